"""One kernel's whole life: start, ready, interrupt, restart, shutdown, and death with a reason.

::

    async with KernelManager(kernel_type) as km:
        await km.start()                  # returns at the first kernel_info_reply
        async with km.client() as kc:
            await kc.execute("1+1")

The manager owns the kernel process, a client of its own (for control messages and the
heartbeat), a task that notices the process's exit the moment it happens, and, with
``autorestart=True``, a :class:`~kernelhub.manager.restarter.Restarter`. Every death gets a human
reason (:attr:`death_reason`); every change is published as a
:class:`~kernelhub.manager.events.KernelEvent` to :meth:`on_event` listeners and :meth:`events`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import uuid
import weakref
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from kernelhub import paths
from kernelhub.client.async_client import AsyncKernelClient
from kernelhub.connection import ConnectionInfo, new_key, remove_connection_file
from kernelhub.errors import (
    ClientClosedError,
    ConnectionFileError,
    KernelDiedError,
    KernelTimeoutError,
    LaunchError,
)
from kernelhub.launchers import KernelProcess, Launcher, LocalLauncher, logs
from kernelhub.manager import ports, startup, stopping
from kernelhub.manager.deaths import Death, explain_after
from kernelhub.manager.events import EventHub, EventKind
from kernelhub.manager.handshake import Registrar
from kernelhub.manager.params import validate_launch_params
from kernelhub.manager.restarter import Restarter, RestartPolicy
from kernelhub.providers.base import KernelType

__all__ = ["KernelManager", "RestartPolicy"]

log = logging.getLogger("kernelhub")


class KernelManager(EventHub):
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
        super().__init__()
        self.kernel_type = kernel_type
        self.kernel_id = kernel_id or str(uuid.uuid4())
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
        #: Where the kernel listens (``None`` before the first start).
        self.connection_info: ConnectionInfo | None = None
        self._process: KernelProcess | None = None
        self._client: AsyncKernelClient | None = None
        self._clients: weakref.WeakSet[AsyncKernelClient] = weakref.WeakSet()
        self._watcher: asyncio.Task[None] | None = None
        #: The content of the kernel's first ``kernel_info_reply`` after the last start.
        self.kernel_info: dict[str, Any] = {}
        self._ready_output = ""
        #: How the last kernel process ended (``None`` while it runs, or before it started).
        self.death: Death | None = None
        self._kill_detail: str | None = None
        # Whether a process of this kernel ever died unasked (its log is then kept).
        self._died = False
        # _stopping: a stop is under way; _down: shut down; _wanted: should be running.
        self._stopping = self._down = self._wanted = self._closed = False
        self._lock = asyncio.Lock()
        self.start_timeout = 60.0

    # -- state ---------------------------------------------------------------------------

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
        path: str | None = getattr(self._process, "log_path", None)
        return path

    def output(self) -> str:
        """The tail of what the kernel wrote to stdout/stderr (bounded)."""
        return self._process.output() if self._process else ""

    def emit(self, kind: EventKind, *, reason: str | None = None, restarts: int = 0) -> None:
        """Publish an event to every subscriber (the restarter uses this too)."""
        self.publish(kind, reason=reason, exit_code=self.exit_code, restarts=restarts)

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
            self._wanted = True
            await self._launch(timeout)
        self.emit("started")
        return self.kernel_info

    async def _launch(self, timeout: float) -> None:
        info = self.connection_info or ConnectionInfo(
            key=self._key, kernel_name=self.kernel_type.name
        )
        if self._registrar is None and ports.strategy_for(self.kernel_type) == "handshake":
            self._registrar = Registrar()
        plan = startup.Plan(self.kernel_type, self.kernel_id, self.connection_file, self.cwd)
        plan = replace(plan, env=self.env, params=self.launch_params, outlive=self.outlive)
        try:
            started = await startup.start(
                plan, self.launcher, info, timeout=timeout, registrar=self._registrar
            )
        except BaseException:
            # Whatever ended the start (death, timeout, lost ports, a bad program, a
            # cancellation), no kernel reads this file any more: a client finding it would
            # wait for a kernel that is not there.
            with contextlib.suppress(OSError, LookupError, ConnectionFileError):
                remove_connection_file(self.connection_file, info)
            if self.outlive:  # its log, if it wrote one, is a dead kernel's now
                logs.prune(os.path.dirname(self.connection_file))
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
        self.death, self._kill_detail, self._stopping, self._down = None, None, False, False
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
            client = await AsyncKernelClient(info).__aenter__()
            try:
                if not await client.heartbeat(timeout):
                    raise KernelTimeoutError(
                        f"kernel {self.kernel_id}: no heartbeat in {timeout:g} s"
                    )
                reply = await client.request("control", "kernel_info_request", {}, timeout=timeout)
            except BaseException:
                await client.aclose()
                raise
            self.connection_info, self._key, self._wanted = info, info.key, True
            self._supervise(process, client, dict(reply.content))
        self.emit("started")
        return self.kernel_info

    async def _watch(self, process: KernelProcess) -> None:
        await process.wait()
        if process is not self._process or self._stopping:
            return  # a shutdown or restart is dealing with it
        # returncode, not wait()'s value: it is None for a process that is not our child.
        self.death = death = explain_after(
            process.returncode, process.output(), self._ready_output, killed=self._kill_detail
        )
        self._died = True
        log.warning("kernel %s died: %s", self.kernel_id, death.reason)
        for client in [self._client, *self._clients]:
            if client is not None:
                client.notify_died(death.reason, process.returncode)
        self.emit("died", reason=death.reason)
        if self.restarter is not None and self._wanted:
            self.restarter.kernel_died(death.reason)

    async def relaunch(self) -> bool:
        """Start a dead kernel again on the same ports (the restarter's call); ``False``: no-op."""
        async with self._lock:
            self._check_open()
            if not self._wanted or self.is_alive():
                return False
            await self._stop(now=True, restart=True)
            await self._launch(self.start_timeout)
            return True

    async def restart(self, now: bool = False, timeout: float = 60.0) -> dict[str, Any]:
        """Stop the kernel (gracefully unless ``now``), start it again on the same ports; return
        the new process's first ``kernel_info_reply`` content."""
        async with self._lock:
            self._check_open()
            self._wanted = True
            await self._stop(now=now, restart=True)
            await self._launch(timeout)
        self.emit("restarted", reason="restarted on request")
        return self.kernel_info

    async def shutdown(self, now: bool = False) -> None:
        """Stop the kernel; remove its connection file, and its log unless it ever died.

        A ``shutdown_request`` on control first (unless ``now``), then SIGTERM, then SIGKILL to
        the whole process group; each stage waits at most ``shutdown_wait`` seconds and ends
        the moment the process is gone.
        """
        self._wanted = False
        async with self._lock:
            if self._process is None or self._down:
                return
            await self._stop(now=now, restart=False)
            self._down = True
            with contextlib.suppress(OSError, LookupError):
                remove_connection_file(self.connection_file, self.connection_info)
            self._settle_log()
        self.emit("shutdown", reason=self.death_reason)

    def _settle_log(self) -> None:
        """A kernel shut down normally leaves no log; one that ever died leaves its log for a
        post-mortem, among a bounded number (see :mod:`kernelhub.launchers.logs`)."""
        path = self.log_path
        if path is None:
            return
        if not self._died:
            logs.remove(path)
        # Also bounds what was left before logs were bounded (or by a kernel dead meanwhile).
        logs.prune(os.path.dirname(path))

    async def _stop(self, *, now: bool, restart: bool) -> None:
        process = self._process
        if process is None:
            return
        self._stopping = True
        if process.is_alive():
            self.death = await stopping.stop(
                process, self._client, now=now, restart=restart, wait=self.shutdown_wait
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
        if self._closed:
            raise ClientClosedError(f"the manager of kernel {self.kernel_id} is closed")

    async def aclose(self) -> None:
        """Shut the kernel down and release everything the manager owns."""
        if self.restarter is not None:
            await self.restarter.aclose()
        await self.shutdown()
        self._closed = True
        if self._registrar is not None and self._own_registrar:
            await self._registrar.aclose()
        self.unsubscribe_all()

    async def detach(self) -> None:
        """Let go of the kernel without stopping it (it must have been started with
        ``outlive=True`` to survive): stop supervising it, keep its connection file, close
        the manager. Another process can connect to it again from the connection file."""
        self._wanted = False
        if self.restarter is not None:
            await self.restarter.aclose()
        async with self._lock:
            self._stopping = True  # its exit, from now on, is not ours to report
            await self._teardown()
        self._closed = True
        if self._registrar is not None and self._own_registrar:
            await self._registrar.aclose()
        self.unsubscribe_all()

    async def __aenter__(self) -> KernelManager:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
