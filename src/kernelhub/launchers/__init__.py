"""How kernel processes are started and controlled.

:class:`~kernelhub.launchers.base.Launcher` is the interface; :class:`LocalLauncher` starts
kernels as child processes of this one. Remote hosts and cluster schedulers will be further
implementations of the same interface.
"""

from __future__ import annotations

from kernelhub.launchers.base import KernelProcess, Launcher, LaunchRequest
from kernelhub.launchers.local import LocalKernelProcess, LocalLauncher

__all__ = ["KernelProcess", "LaunchRequest", "Launcher", "LocalKernelProcess", "LocalLauncher"]
