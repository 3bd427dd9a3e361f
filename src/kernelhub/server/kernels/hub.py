"""The server's registry of running kernels, and the hooks other parts plug into.

:class:`KernelHub` starts kernels (``autorestart=True``, ``outlive=True``: they survive a crash of
the server so that they can be re-attached) into the library's registry of running kernels, a
:class:`~kernelhub.multikernel.MultiKernelManager` (:attr:`KernelHub.registry`: the managers, one
error for a taken id, the events of every kernel), keeps one :class:`ServedKernel` per kernel beside
it (the live model the REST API shows), turns manager events into model changes, and tells every
:class:`Attachment` (the WebSocket bridge, the state store, the culler, pools) what happens.
Attachments are called in order, one event at a time (:mod:`kernelhub.server.kernels.attachments`);
a failing attachment is logged and the others still hear about the event. The model and the start
request live in :mod:`kernelhub.server.kernels.served`; both modules' names are re-exported here.

``execution_state`` and ``last_activity`` beyond start, restart and death come from IOPub,
which the hub does not read: whoever does (the WebSocket bridge, attached to every kernel from
its start by :mod:`kernelhub.server.app`) sets ``execution_state`` and calls
:meth:`ServedKernel.touch`. ``connections`` is kept by the bridge as well.

A pool serves starts through :attr:`KernelHub.starter`: ``async def starter(request:
StartRequest) -> KernelManager | None``, called with the resolved request; it returns a
running manager (made with :meth:`KernelHub.make_manager` or equivalent, already in
``request.cwd`` with ``request.env``) or ``None`` to let the hub start a fresh kernel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from kernelhub.aio import AsyncResource
from kernelhub.errors import (
    KernelExistsError,
    KernelhubError,
    LaunchError,
    NoSuchKernelError,
    close_matches,
)
from kernelhub.manager import KernelEvent, KernelManager, RestartPolicy
from kernelhub.manager.params import validate_launch_params
from kernelhub.multikernel import MultiKernelManager
from kernelhub.providers.base import KernelType
from kernelhub.providers.finder import KernelFinder
from kernelhub.server.config import ServerConfig
from kernelhub.server.kernels.attachments import Attachment, Attachments
from kernelhub.server.kernels.names import KernelNames, Listing
from kernelhub.server.kernels.rootdir import PathError, resolve_path
from kernelhub.server.kernels.served import ServedKernel, Starter, StartRequest, utcnow

__all__ = [
    "Attachment",
    "Attachments",
    "KernelHub",
    "PathError",
    "ServedKernel",
    "StartRequest",
    "Starter",
    "utcnow",
]

log = logging.getLogger("kernelhub.server")


_ACK_TIMEOUT = 1.0
_REASON_CHARS = 500  # of a failed start's reason in the log
_STATE_AFTER: dict[str, str] = {
    "died": "dead",
    "restarting": "restarting",
    "restarted": "idle",
    "gave_up": "dead",
}


class KernelHub(AsyncResource):
    """The registry of running kernels (see the module docstring)."""

    def __init__(
        self,
        config: ServerConfig,
        finder: KernelFinder,
        *,
        attachments: Sequence[Attachment] = (),
    ) -> None:
        self.config = config
        self.finder = finder
        self.names = KernelNames(
            finder, everything=config.all_kernel_types, default=config.default_kernel_name
        )
        self._attachments = Attachments(attachments)
        #: Every attachment, in the order they are told (see :meth:`add_attachment`).
        self.attachments: list[Attachment] = self._attachments.items
        #: The pool hook, or ``None`` (see the module docstring).
        self.starter: Starter | None = None
        #: How hard each kernel's restarter tries (``None``: the manager's default policy).
        self.restart_policy: RestartPolicy | None = None
        #: The managers of the running kernels (the hub's models are :meth:`kernels`).
        self.registry = MultiKernelManager()
        self.registry.on_event(self._on_event)
        self._kernels: dict[str, ServedKernel] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._closed = False

    def add_attachment(self, attachment: Attachment) -> None:
        """Tell ``attachment`` about every kernel from now on."""
        self.attachments.append(attachment)

    # -- lookups -------------------------------------------------------------------------

    def get(self, kernel_id: str) -> ServedKernel:
        """The kernel with this id; NoSuchKernelError (with close ids) if there is none."""
        kernel = self._kernels.get(kernel_id)
        if kernel is None:
            raise NoSuchKernelError(kernel_id, close_matches(kernel_id, self._kernels), "kernel")
        return kernel

    def __contains__(self, kernel_id: object) -> bool:
        return kernel_id in self._kernels

    def kernels(self) -> list[ServedKernel]:
        """Every kernel in the registry, oldest first."""
        return list(self._kernels.values())

    def resolve_path(self, path: str | None, *, nearest: bool = False) -> str:
        """The absolute working directory for an API ``path`` (see
        :func:`kernelhub.server.kernels.rootdir.resolve_path`). Raises PathError."""
        return resolve_path(self.config.root, path, nearest=nearest)

    # -- life ----------------------------------------------------------------------------

    def make_manager(self, request: StartRequest) -> KernelManager:
        """An unstarted manager for ``request``, set up as the hub's kernels are."""
        return KernelManager(
            request.kernel_type,
            cwd=request.cwd,
            env=request.env,
            launch_params=request.launch_params,
            kernel_id=request.kernel_id,
            outlive=True,
            autorestart=True,
            restart_policy=self.restart_policy,
        )

    async def start_kernel(
        self,
        name: str | None = None,
        *,
        path: str | None = None,
        env: Mapping[str, str] | None = None,
        launch_params: Mapping[str, Any] | None = None,
        kernel_id: str | None = None,
    ) -> ServedKernel:
        """Start a kernel of type ``name`` (API name, id or bare spec name; ``None``: the
        default) in ``path`` (a directory under the root; a missing one: the nearest existing
        one above it, as in Jupyter Server); return it once it answers. Raises
        NoSuchKernelError, PathError, LaunchParamsError, LaunchError, KernelDiedError,
        KernelTimeoutError; each failure is logged on one line with its reason."""
        wanted = name or self.config.default_kernel_name
        try:
            return await self._start(wanted, path, env, launch_params, kernel_id)
        except KernelhubError as exc:
            reason = " / ".join(line.strip() for line in str(exc).splitlines() if line.strip())
            log.warning("kernel start failed (%s): %s", wanted, reason[:_REASON_CHARS])
            raise

    def _resolve(self, listing: Listing, name: str) -> KernelType:
        try:
            return self.names.resolve(listing, name)
        except NoSuchKernelError:
            if name.lower() == "python":
                # jupyter_client's KernelManager takes "python" for its native "python3".
                with contextlib.suppress(NoSuchKernelError):
                    return self.names.resolve(listing, "python3")
            raise

    async def _start(
        self,
        name: str,
        path: str | None,
        env: Mapping[str, str] | None,
        launch_params: Mapping[str, Any] | None,
        kernel_id: str | None,
    ) -> ServedKernel:
        self._check_open()
        listing = await self.names.listing()
        kernel_type = self._resolve(listing, name)
        if kernel_type.status == "invalid":
            problems = "; ".join(kernel_type.diagnostics) or "invalid"
            raise LaunchError(f"cannot launch {kernel_type.id}: {problems}")
        if kernel_id is not None and kernel_id in self.registry:
            raise KernelExistsError(kernel_id)
        request = StartRequest(
            kernel_type,
            listing.name_of(kernel_type),
            self.resolve_path(path, nearest=True),
            dict(env or {}),
            # Checked here, before a pool could hand out a kernel for bad parameters.
            validate_launch_params(kernel_type, launch_params or {}),
            kernel_id,
        )
        manager = await self.starter(request) if self.starter is not None else None
        if manager is None:
            manager = await self.registry.launch(self.make_manager(request))
        else:
            self.registry.adopt(manager)
        kernel = ServedKernel(manager.kernel_id, request.name, kernel_type, manager, request.cwd)
        kernel.execution_state = "idle"
        await self.adopt(kernel)
        log.info("kernel %s started (%s, pid %s)", kernel.id, kernel.name, manager.pid)
        return kernel

    async def adopt(self, kernel: ServedKernel) -> None:
        """Register a running kernel (a fresh one, or one re-attached after a restart of the
        server) and tell every attachment. The caller logs how the kernel came."""
        self._check_open()
        fresh = kernel.id in self.registry and self.registry.get(kernel.id) is kernel.manager
        if not fresh:  # a fresh kernel is registered already; anything else is adopted
            self.registry.adopt(kernel.manager)
        self._kernels[kernel.id] = kernel
        await self._attachments.started(kernel)

    def _on_event(self, event: KernelEvent) -> None:
        state = _STATE_AFTER.get(event.kind)
        kernel = self._kernels.get(event.kernel_id)
        if state is None or kernel is None:
            # started/shutdown: start_kernel and shutdown_kernel deal with those; a kernel
            # still starting has no model yet.
            return
        kernel.execution_state = state
        kernel.reason = event.reason if state == "dead" else None
        kernel.touch()
        log.info(
            "kernel %s %s%s", kernel.id, event.kind, f": {event.reason}" if event.reason else ""
        )
        self._attachments.post(kernel, event)

    def _forget(self, kernel: ServedKernel) -> None:
        self._kernels.pop(kernel.id, None)
        self.registry.forget(kernel.id)

    async def shutdown_kernel(self, kernel_id: str, *, now: bool = False) -> None:
        """Shut a kernel down and take it out of the registry.

        Graceful (not ``now``): this returns as soon as the kernel has acknowledged the
        ``shutdown_request`` (it then runs no more code) while the rest of the shutdown, the
        wait for the process's exit with SIGTERM and SIGKILL behind it, goes on in a task
        the hub owns and :meth:`aclose` awaits. A kernel that does not acknowledge is waited
        for. ``now``: killed at once, and gone when this returns.
        """
        kernel = self.get(kernel_id)
        self._forget(kernel)
        manager = kernel.manager
        if not now:
            await self._interrupt_if_busy(kernel)
        finish = await manager.begin_shutdown(now=now, close=True)
        if finish.done():
            await finish  # raises what the shutdown raised
        else:
            self._background.add(finish)
            finish.add_done_callback(self._background.discard)
        kernel.execution_state = "dead"
        log.info("kernel %s shut down", kernel.id)
        await self._attachments.stopped(kernel)

    @staticmethod
    async def _interrupt_if_busy(kernel: ServedKernel) -> None:
        """Interrupt the kernel's running code first, as jupyter_client does before a shutdown
        or a restart: a kernel busy in a cell acknowledges a shutdown request on control but
        exits only when the cell ends, so without this it is killed with SIGTERM seconds
        later (its atexit handlers lost) instead of exiting cleanly at once. Only when busy:
        an idle kernel has nothing to stop, and not every kernel survives a SIGINT."""
        if kernel.execution_state != "busy" or not kernel.manager.is_alive():
            return
        try:
            await kernel.manager.interrupt(timeout=_ACK_TIMEOUT)
        except KernelhubError as exc:  # it is being stopped anyway
            log.info("kernel %s: interrupt before stopping failed: %s", kernel.id, exc)

    async def restart_kernel(self, kernel_id: str) -> ServedKernel:
        """Restart a kernel on the same ports; return it once the new process answers."""
        kernel = self.get(kernel_id)
        await self._interrupt_if_busy(kernel)
        kernel.execution_state = "restarting"
        try:
            await kernel.manager.restart()
        except BaseException:
            kernel.execution_state = "dead" if not kernel.manager.is_alive() else "idle"
            kernel.reason = kernel.manager.death_reason
            raise
        kernel.execution_state, kernel.reason = "idle", None
        kernel.touch()
        return kernel

    async def interrupt_kernel(self, kernel_id: str) -> None:
        """Interrupt the kernel's running code (KernelDiedError if it is not running)."""
        kernel = self.get(kernel_id)
        await kernel.manager.interrupt()
        kernel.touch()

    def _check_open(self) -> None:
        if self._closed:
            raise LaunchError("the kernel hub is closed")

    async def aclose(self) -> None:
        """Stop the hub: shut every kernel down if ``config.shutdown_kernels_on_exit``, else
        let go of them (they keep running, to be re-attached by the next server)."""
        self._closed = True
        kernels = self.kernels()
        if self.config.shutdown_kernels_on_exit:
            results = await asyncio.gather(
                *(self.shutdown_kernel(k.id) for k in kernels), return_exceptions=True
            )
            for kernel, result in zip(kernels, results, strict=True):
                if isinstance(result, BaseException):
                    log.error("kernel %s did not shut down: %s", kernel.id, result)
        else:
            for kernel in kernels:
                self._forget(kernel)
                await kernel.manager.detach()
                log.info("kernel %s left running (pid %s)", kernel.id, kernel.manager.pid)
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        await self.registry.aclose()  # empty by now: closes its registration socket
        await self._attachments.aclose()
