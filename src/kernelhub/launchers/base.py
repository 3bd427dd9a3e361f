"""The launcher interface: what starts a kernel process, and the handle it returns.

A :class:`Launcher` turns a kernel type and a written connection file into a running
:class:`KernelProcess`. The connection file is written by the caller (the manager), because
*what* goes into it depends on how the kernel's ports are chosen (see
:mod:`kernelhub.manager.ports`): real ports, ports of ``0`` that the kernel replaces, or the
address of a registration socket.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from kernelhub.providers.base import KernelType

__all__ = ["KernelProcess", "LaunchRequest", "Launcher"]


@dataclass(frozen=True)
class LaunchRequest:
    """Everything a launcher needs to start one kernel process.

    ``env`` is laid over the current environment and the kernel type's ``env``; ``params``
    are launch parameters (already validated) that may fill ``{name}`` placeholders in argv.
    ``outlive`` asks for a kernel that keeps running when this process dies.
    """

    kernel_type: KernelType
    connection_file: str
    kernel_id: str
    cwd: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    outlive: bool = False


@runtime_checkable
class KernelProcess(Protocol):
    """A started kernel process, as seen by its manager.

    ``returncode`` is ``None`` while the process runs, then its exit code (negative: the
    signal that killed it). ``output()`` is the tail of what the kernel wrote to stdout and
    stderr, kept so that a death can be explained.
    """

    @property
    def pid(self) -> int:
        """The kernel's process id (also its process group and session id, locally)."""
        ...

    @property
    def returncode(self) -> int | None:
        """The exit code once the process has ended, else ``None``."""
        ...

    @property
    def log_path(self) -> str | None:
        """The file the kernel's output goes to (kernels that may outlive us), else ``None``."""
        ...

    def is_alive(self) -> bool:
        """Whether the process is still running."""
        ...

    async def wait(self) -> int:
        """Wait until the process ends; return its exit code. Returns at once if it has."""
        ...

    def signal(self, signum: int, *, group: bool = False) -> bool:
        """Send ``signum`` to the kernel (``group``: to its whole process group).

        Returns ``False`` when there was nobody left to signal.
        """
        ...

    def output(self) -> str:
        """The last part of what the kernel wrote to stdout/stderr (bounded)."""
        ...

    async def output_grew(self) -> None:
        """Wait until the kernel may have written more output (to watch ``output()``).

        Returns when new output arrived, or, where output goes to a file that cannot be
        watched, after a short while. Never returns for a kernel whose output has ended.
        """
        ...

    async def aclose(self) -> None:
        """Release what watches the process; kill it if it is alive and may not outlive us."""
        ...


class Launcher(Protocol):
    """Starts kernel processes."""

    async def launch(self, request: LaunchRequest) -> KernelProcess:
        """Start the kernel described by ``request``; return as soon as the process exists.

        Raises :class:`~kernelhub.errors.LaunchError` when the process cannot be started
        (missing executable, bad working directory).
        """
        ...
