"""One kernel's life: start, ready, interrupt, restart, shutdown, and death with a reason.

:class:`KernelManager` (:mod:`kernelhub.manager.manager`) is the entry point. The modules
below it, in the order a start uses them: :mod:`~kernelhub.manager.params` (launch parameters
against the type's schema), :mod:`~kernelhub.manager.ports` (how the five ports are chosen),
:mod:`~kernelhub.manager.handshake` (JEP 66 registration), :mod:`~kernelhub.manager.startup`
(from kernel type to a ready kernel), :mod:`~kernelhub.manager.stopping`,
:mod:`~kernelhub.manager.deaths` (why it died, in words), :mod:`~kernelhub.manager.events`,
:mod:`~kernelhub.manager.restarter`, :mod:`~kernelhub.manager.state` (the one state machine)
and :mod:`~kernelhub.manager.running` (the manager's read side and controls).
:class:`KernelFinder` (:mod:`~kernelhub.manager.finder`) is the providers' finder that can also
launch what it finds.
"""

from __future__ import annotations

from kernelhub.manager.events import EventStream, KernelEvent
from kernelhub.manager.finder import KernelFinder
from kernelhub.manager.manager import KernelManager
from kernelhub.manager.restarter import RestartPolicy
from kernelhub.manager.state import State

__all__ = [
    "EventStream",
    "KernelEvent",
    "KernelFinder",
    "KernelManager",
    "RestartPolicy",
    "State",
]
