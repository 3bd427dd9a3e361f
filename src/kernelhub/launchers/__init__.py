"""How kernel processes are started and controlled.

:class:`~kernelhub.launchers.base.Launcher` is the interface; :class:`LocalLauncher` starts
kernels as child processes of this one. Remote hosts and cluster schedulers will be further
implementations of the same interface. :class:`FileLog` reads the output log of a kernel that
may outlive us (a server re-attaching to one reads it too).
"""

from __future__ import annotations

from kernelhub.launchers._output import FileLog
from kernelhub.launchers.base import KernelProcess, Launcher, LaunchRequest
from kernelhub.launchers.local import LocalKernelProcess, LocalLauncher

__all__ = [
    "FileLog",
    "KernelProcess",
    "LaunchRequest",
    "Launcher",
    "LocalKernelProcess",
    "LocalLauncher",
]
