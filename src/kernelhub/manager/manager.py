"""One kernel's whole life: start, ready, interrupt, restart, shutdown, and death with a reason.

::

    async with KernelManager(kernel_type) as km:
        await km.start()                  # returns at the first kernel_info_reply
        async with km.client() as kc:
            await kc.execute("1+1")

The manager owns the kernel process, a client of its own (for control messages and the
heartbeat), a task that notices the process's exit the moment it happens, and, with
``autorestart=True``, a :class:`~kernelhub.manager.restarter.Restarter`. Every death gets a
human reason (:attr:`death_reason`); every change is published as a
:class:`~kernelhub.manager.events.KernelEvent` to :meth:`on_event` listeners and :meth:`events`.
Where the kernel is in its life is one :class:`~kernelhub.manager.state.State`
(:attr:`KernelManager.state`), moved only by the table in :mod:`kernelhub.manager.state`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import Mapping
from typing import Any

from kernelhub import paths
from kernelhub.client.async_client import AsyncKernelClient
from kernelhub.connection import ConnectionInfo, new_key, remove_connection_file
from kernelhub.errors import LaunchError
from kernelhub.launchers import KernelProcess, Launcher, LaunchRequest, LocalLauncher, logs
from kernelhub.manager import ports, startup, stopping
from kernelhub.manager.deaths import explain_after
from kernelhub.manager.handshake import Registrar
from kernelhub.manager.params import validate_launch_params
from kernelhub.manager.restarter import Restarter, RestartPolicy
from kernelhub.manager.running import RunningKernel
from kernelhub.manager.state import State, Step
from kernelhub.providers.base import KernelType

__all__ = ["KernelManager", "RestartPolicy", "State"]

log = logging.getLogger("kernelhub")


class KernelManager(RunningKernel):
    """Starts and supervises one kernel of ``kernel_type`` (see the module docstring).

    ``env`` is laid over the current environment and the kernel type's; ``launch_params``
    are checked against ``kernel_type.launch_schema``. ``outlive`` starts a kernel that keeps
    running if this process dies. ``shutdown_wait`` bounds each stage of a shutdown (the
    shutdown request, then SIGTERM, then SIGKILL); every stage ends as soon as the process is
    gone. ``registrar`` shares a JEP 66 registration socket (one is made when needed).
    """

    def __init__(
        self,
        kernel_type: KernelType,
        *,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        launch_params: Mapping[str, Any] | None = None,
        outlive: bool = False,
        launcher: Launcher | None = None,
        kernel_id: str | None = None,
        autorestart: bool = False,
        restart_policy: RestartPolicy | None = None,
        registrar: Registrar | None = None,
        shutdown_wait: float = 2.5,
    ) -> None:
        super().__init__(kernel_type, kernel_id or str(uuid.uuid4()))
        self.cwd = cwd
        self.env = dict(env or {})
        self.launch_params = dict(launch_params or {})
        self.outlive = outlive
        self.launcher: Launcher = launcher or LocalLauncher()
        self.shutdown_wait = shutdown_wait
        self.connection_file = os.path.join(paths.runtime_dir(), f"kernel-{self.kernel_id}.json")
        self.restarter = Restarter(self, restart_policy) if autorestart else None
        self._registrar = registrar
        self._own_registrar = registrar is None
        self._key = new_key()
        self._watcher: asyncio.Task[None] | None = None
        #: The content of the kernel's first ``kernel_info_reply`` after the last start.
        self.kernel_info: dict[str, Any] = {}
        self._ready_output = ""
        # Whether a process of this kernel ever died unasked (its log is then kept).
        self._died = False
        # Held by whoever moves the state through STARTING or STOPPING.
        self._lock = asyncio.Lock()
        self.start_timeout = 60.0

    # -- life ----------------------------------------------------------------------------

    async def start(self, timeout: float = 60.0) -> dict[str, Any]:
        """Start the kernel; return its first ``kernel_info_reply`` content once it is ready.

        Raises InvalidSpecError (a broken kernel.json), LaunchParamsError, LaunchError,
        KernelDiedError (with the reason) or KernelTimeoutError (the kernel was killed). A
        start that fails leaves no connection file behind.
        """
        async with self._lock:
            self._check_open()
            if self.is_alive():
                raise LaunchError(f"kernel {self.kernel_id} is already running")
            self.kernel_type.check_launchable()
            self.launch_params = validate_launch_params(self.kernel_type, self.launch_params)
            self.start_timeout = timeout
            self._resume_restarts()
            await self._launch(timeout)
        self.emit("started")
        return self.kernel_info

    async def _launch(self, timeout: float) -> None:
        info = self.connection_info or ConnectionInfo(
            key=self._key, kernel_name=self.kernel_type.name
        )
        if self._registrar is None and ports.strategy_for(self.kernel_type) == "handshake":
            self._registrar = Registrar()
        request = LaunchRequest(
            self.kernel_type,
            self.connection_file,
            self.kernel_id,
            cwd=self.cwd,
            env=self.env,
            params=self.launch_params,
            outlive=self.outlive,
        )
        self._life.advance(Step.START)
        try:
            started = await startup.start(
                request, self.launcher, info, timeout=timeout, registrar=self._registrar
            )
        except BaseException:
            self._life.advance(Step.FAIL)
            raise
        self.connection_info = started.info
        self._supervise(started.process, started.client, started.kernel_info)

    def _supervise(
        self, process: KernelProcess, client: AsyncKernelClient, kernel_info: dict[str, Any]
    ) -> None:
        self._process, self._client, self.kernel_info = process, client, kernel_info
        # It pings, interrupts and shuts down; reading the kernel's output too cost a server
        # under an output flood most of its memory (measured: 168 MB peak, 58 MB without).
        client.ignore_iopub()
        # Start-up chatter (ipykernel's warning about unencrypted TCP) explains no later death.
        self._ready_output = process.output()
        self.death, self._kill_detail = None, None
        self._life.advance(Step.READY)
        self._watcher = asyncio.get_running_loop().create_task(
            self._watch(process), name=f"kernelhub-watch-{self.kernel_id}"
        )
        if self.restarter is not None:
            self.restarter.kernel_started()

    async def attach(
        self, process: KernelProcess, info: ConnectionInfo, *, timeout: float = 5.0
    ) -> dict[str, Any]:
        """Supervise a kernel that runs already, started by someone else (a server that died):
        ``process`` is its handle, ``info`` where it listens. It must answer its heartbeat and
        a ``kernel_info_request`` on control (answered even while it runs code) within
        ``timeout`` each; returns that reply's content. Raises KernelTimeoutError, leaving the
        process alone (the caller decides its fate). A restart starts a child of our own."""
        async with self._lock:
            self._check_open()
            if self._process is not None:
                raise LaunchError(f"kernel {self.kernel_id} is already supervised")
            client, reply = await startup.connect(info, self.kernel_id, timeout)
            self.connection_info, self._key = info, info.key
            self._resume_restarts()
            self._life.advance(Step.START)
            self._supervise(process, client, reply)
        self.emit("started")
        return self.kernel_info

    async def _watch(self, process: KernelProcess) -> None:
        await process.wait()
        if process is not self._process or self.state is not State.RUNNING:
            return  # a shutdown or restart is dealing with it
        # returncode, not wait()'s value: it is None for a process that is not our child.
        self.death = death = explain_after(
            process.returncode, process.output(), self._ready_output, killed=self._kill_detail
        )
        self._died = True
        self._life.advance(Step.DIE)
        log.warning("kernel %s died: %s", self.kernel_id, death.reason)
        for client in [self._client, *self._clients]:
            if client is not None:
                client.notify_died(death.reason, process.returncode)
        self.emit("died", reason=death.reason)
        if self.restarter is not None:  # it ignores deaths while a shutdown is asked for
            self.restarter.kernel_died(death.reason)

    async def relaunch(self) -> bool:
        """Start a dead kernel again on the same ports (the restarter's call); ``False``: no-op."""
        async with self._lock:
            self._check_open()
            if self.state is not State.DIED or self.is_alive():
                return False
            if self.restarter is not None and not self.restarter.active:
                return False  # a shutdown was asked for while this waited
            await self._stop(now=True, restart=True)
            await self._launch(self.start_timeout)
            return True

    async def restart(self, now: bool = False, timeout: float = 60.0) -> dict[str, Any]:
        """Stop the kernel (gracefully unless ``now``), start it again on the same ports; return
        the new process's first ``kernel_info_reply`` content."""
        async with self._lock:
            self._check_open()
            self._resume_restarts()
            await self._stop(now=now, restart=True)
            await self._launch(timeout)
        self.emit("restarted", reason="restarted on request")
        return self.kernel_info

    async def shutdown(
        self, now: bool = False, *, acknowledged: asyncio.Event | None = None
    ) -> None:
        """Stop the kernel; remove its connection file, and its log unless it ever died.

        A ``shutdown_request`` on control first (unless ``now``), then SIGTERM, then SIGKILL to
        the whole process group; each stage waits at most ``shutdown_wait`` seconds and ends
        the moment the process is gone. ``acknowledged`` is set when the kernel answers the
        request (it runs no more code from then on; see :meth:`begin_shutdown`).
        """
        if self.restarter is not None:
            self.restarter.hold()  # an exit from now on is this shutdown's, not a death
        async with self._lock:
            if self._process is None or self.state in (State.DOWN, State.CLOSED):
                return
            await self._stop(now=now, restart=False, acknowledged=acknowledged)
            self._life.advance(Step.STOPPED)
            with contextlib.suppress(OSError, LookupError):
                remove_connection_file(self.connection_file, self.connection_info)
            if self.log_path is not None:
                logs.settle(self.log_path, died=self._died)
        self.emit("shutdown", reason=self.death_reason)

    async def begin_shutdown(self, now: bool = False, *, close: bool = False) -> asyncio.Task[None]:
        """Start :meth:`shutdown` (then, with ``close``, :meth:`aclose`) in a task; return the
        task as soon as the kernel has acknowledged the ``shutdown_request`` or the task is
        done, whichever comes first. A server answers a DELETE then: the kernel runs no more
        code, while its exit (with SIGTERM and SIGKILL behind it) may take a while longer.
        The caller owns the task and awaits it, now or later (it raises what the shutdown
        raised). ``now``, or a kernel that does not answer: the task is done on return."""

        async def finish(acknowledged: asyncio.Event) -> None:
            try:
                await self.shutdown(now=now, acknowledged=acknowledged)
            finally:
                if close:
                    await self.aclose()

        return await stopping.until_acknowledged(finish, f"kernelhub-shutdown-{self.kernel_id}")

    async def _stop(
        self, *, now: bool, restart: bool, acknowledged: asyncio.Event | None = None
    ) -> None:
        process = self._process
        if process is None:
            return
        self._life.advance(Step.STOP)
        if process.is_alive():
            self.death = await stopping.stop(
                process,
                self._client,
                now=now,
                restart=restart,
                wait=self.shutdown_wait,
                acknowledged=acknowledged,
            )
        await self._teardown()

    async def _teardown(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self._process is not None:
            await self._process.aclose()

    def _resume_restarts(self) -> None:
        if self.restarter is not None:
            self.restarter.resume()

    async def aclose(self) -> None:
        """Shut the kernel down and release everything the manager owns."""
        if self.restarter is not None:
            await self.restarter.aclose()
        await self.shutdown()
        await self._close()

    async def detach(self) -> None:
        """Let go of the kernel without stopping it (it must have been started with
        ``outlive=True`` to survive): stop supervising it, keep its connection file, close
        the manager. Another process can connect to it again from the connection file."""
        if self.restarter is not None:
            self.restarter.hold()
            await self.restarter.aclose()
        async with self._lock:
            if self.state is State.CLOSED:
                return
            self._life.advance(Step.STOP)  # its exit, from now on, is not ours to report
            await self._teardown()
        await self._close()

    async def _close(self) -> None:
        self._life.advance(Step.CLOSE)
        if self._registrar is not None and self._own_registrar:
            await self._registrar.aclose()
        self.unsubscribe_all()
