"""What a manager knows about the kernel it supervises, and the controls of a running kernel.

:class:`RunningKernel` is the half of :class:`~kernelhub.manager.KernelManager` that does not
start or stop anything: the kernel's state, process id, exit code and death, its output and
log, its events, and interrupting, pinging, killing and connecting to it. The life itself
(start, restart, shutdown, attach, detach) is the manager's.
"""

from __future__ import annotations

import signal
import weakref

from kernelhub.aio import AsyncResource
from kernelhub.client.async_client import AsyncKernelClient
from kernelhub.connection import ConnectionInfo
from kernelhub.errors import ClientClosedError, KernelDiedError
from kernelhub.launchers import KernelProcess
from kernelhub.manager.deaths import Death
from kernelhub.manager.events import EventHub, EventKind
from kernelhub.manager.restarter import Restarter
from kernelhub.manager.state import Life, State
from kernelhub.providers.base import KernelType

__all__ = ["RunningKernel"]


class RunningKernel(EventHub, AsyncResource):
    """The supervised kernel of a :class:`~kernelhub.manager.KernelManager` (its base class)."""

    def __init__(self, kernel_type: KernelType, kernel_id: str) -> None:
        super().__init__(kernel_id)
        self.kernel_type = kernel_type
        #: With ``autorestart``, what restarts the kernel after a death.
        self.restarter: Restarter | None = None
        #: Where the kernel listens (``None`` before the first start).
        self.connection_info: ConnectionInfo | None = None
        #: How the last kernel process ended (``None`` while it runs, or before it started).
        self.death: Death | None = None
        self._process: KernelProcess | None = None
        self._client: AsyncKernelClient | None = None  # the manager's own
        self._clients: weakref.WeakSet[AsyncKernelClient] = weakref.WeakSet()
        self._kill_detail: str | None = None
        self._life = Life(kernel_id)

    @property
    def state(self) -> State:
        """Where the kernel is in its life (see :mod:`kernelhub.manager.state`)."""
        return self._life.state

    @property
    def will_restart(self) -> bool:
        """Whether a death now would be restarted: autorestart is on, no shutdown has been
        asked for and the restarter has not given up."""
        return self.restarter is not None and self.restarter.active

    @property
    def pid(self) -> int | None:
        """The kernel process's id (of the last process, once it has died)."""
        return self._process.pid if self._process else None

    @property
    def exit_code(self) -> int | None:
        """The last process's exit code (negative: the signal); ``None`` while it runs."""
        return self._process.returncode if self._process else None

    @property
    def death_reason(self) -> str | None:
        """Why the kernel died, in words (``"exited with code 3: ..."``)."""
        return self.death.reason if self.death else None

    def is_alive(self) -> bool:
        """Whether the kernel process is running."""
        return self._process is not None and self._process.is_alive()

    @property
    def log_path(self) -> str | None:
        """The file the kernel writes its output to (kernels that may outlive us), if any."""
        return self._process.log_path if self._process else None

    def output(self) -> str:
        """The tail of what the kernel wrote to stdout/stderr (bounded)."""
        return self._process.output() if self._process else ""

    def emit(self, kind: EventKind, *, reason: str | None = None, restarts: int = 0) -> None:
        """Publish an event to every subscriber (the restarter uses this too)."""
        self.publish(kind, reason=reason, exit_code=self.exit_code, restarts=restarts)

    def kill_unresponsive(self, detail: str) -> None:
        """Kill a hung kernel; its death is reported (and restarted) like any other."""
        if self._process is not None and self.is_alive():
            self._kill_detail = detail
            self._process.signal(signal.SIGKILL, group=True)

    async def interrupt(self, timeout: float = 5.0) -> None:
        """Interrupt the running code: SIGINT to the process group, or an ``interrupt_request``
        on control for kernel types whose ``interrupt_mode`` is ``"message"``."""
        if not self.is_alive() or self._process is None:
            raise KernelDiedError(self.death_reason or "the kernel is not running", self.exit_code)
        if self.kernel_type.interrupt_mode == "message" and self._client is not None:
            await self._client.interrupt_request(timeout=timeout)
        else:
            self._process.signal(signal.SIGINT, group=True)

    async def ping(self, timeout: float = 1.0) -> bool:
        """Whether the kernel's heartbeat answers within ``timeout`` seconds."""
        if self._client is None:
            raise ClientClosedError(f"kernel {self.kernel_id} is not running")
        return await self._client.heartbeat(timeout)

    def client(self) -> AsyncKernelClient:
        """A new client for the kernel; use it with ``async with`` (the caller closes it)."""
        if self.connection_info is None:
            raise ClientClosedError(f"kernel {self.kernel_id} has not been started")
        client = AsyncKernelClient(self.connection_info)
        self._clients.add(client)
        return client

    def _check_open(self) -> None:
        if self.state is State.CLOSED:
            raise ClientClosedError(f"the manager of kernel {self.kernel_id} is closed")
