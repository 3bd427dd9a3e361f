"""Many kernels at once: ids to managers, concurrent starts and shutdowns.

::

    async with MultiKernelManager() as mkm:
        ids = await asyncio.gather(*(mkm.start_kernel(kernel_type) for _ in range(8)))
        km = mkm.get(ids[0])
        await mkm.shutdown_all()

Kernels that handshake (JEP 66) share one registration socket, as the JEP recommends for a
multi-kernel client. Events of every kernel reach :meth:`on_event` listeners.

It is the one registry of running kernels: the server's hub keeps its kernels' managers in one
too, and builds on :meth:`launch` (start a manager it made and register it), :meth:`adopt`
(register a running one: a pool's warm kernel, a kernel re-attached after a restart of the
server) and :meth:`forget` (take one out without stopping it). A second kernel with the id of
a registered one is a :class:`~kernelhub.errors.KernelExistsError`, however it comes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

from kernelhub.aio import AsyncResource
from kernelhub.errors import ClientClosedError, KernelExistsError, NoSuchKernelError, close_matches
from kernelhub.manager import KernelManager
from kernelhub.manager.events import KernelEvent, Listener
from kernelhub.manager.handshake import Registrar
from kernelhub.providers.base import KernelType

__all__ = ["MultiKernelManager"]


class MultiKernelManager(AsyncResource):
    """Starts, finds and stops many kernels; ``aclose()`` shuts them all down.

    ``defaults`` are keyword arguments given to every :class:`KernelManager` (for example
    ``autorestart=True``); those given to :meth:`start_kernel` override them.
    """

    def __init__(self, **defaults: Any) -> None:
        self.defaults = defaults
        self._kernels: dict[str, KernelManager] = {}
        self._unsubscribe: dict[str, Callable[[], None]] = {}
        self._registrar = Registrar()
        self._listeners: list[Listener] = []
        self._closed = False

    def __len__(self) -> int:
        return len(self._kernels)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._kernels))

    def __contains__(self, kernel_id: object) -> bool:
        return kernel_id in self._kernels

    def list(self) -> list[KernelManager]:
        """The managers of every kernel, in the order they were started."""
        return list(self._kernels.values())

    def get(self, kernel_id: str) -> KernelManager:
        """The manager of ``kernel_id``; NoSuchKernelError (with suggestions) if unknown."""
        try:
            return self._kernels[kernel_id]
        except KeyError:
            hints = close_matches(kernel_id, self._kernels) or [
                k for k in self._kernels if k.startswith(kernel_id)
            ]
            raise NoSuchKernelError(kernel_id, hints, what="running kernel") from None

    def on_event(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event)`` for the events of every kernel; returns an unsubscriber."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _forward(self, event: KernelEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    def make_manager(self, kernel_type: KernelType, **kwargs: Any) -> KernelManager:
        """An unstarted manager with this registry's defaults (``kwargs`` override them) and
        its shared registration socket, for :meth:`launch`."""
        options = {**self.defaults, **kwargs}
        options.setdefault("registrar", self._registrar)
        return KernelManager(kernel_type, **options)

    async def start_kernel(
        self, kernel_type: KernelType, *, timeout: float = 60.0, **kwargs: Any
    ) -> str:
        """Start a kernel, wait until it is ready, and return its id.

        ``kwargs`` go to :class:`KernelManager` (``cwd``, ``env``, ``launch_params``,
        ``kernel_id``, ``autorestart``...). A kernel that fails to start is not kept.
        """
        self._check_open()
        km = await self.launch(self.make_manager(kernel_type, **kwargs), timeout=timeout)
        return km.kernel_id

    async def launch(self, km: KernelManager, *, timeout: float | None = None) -> KernelManager:
        """Register the unstarted manager ``km`` and start it (within ``timeout`` s, or the
        manager's own bound); a kernel that fails to start is closed and not kept.
        KernelExistsError if its id is taken."""
        self._add(km)
        try:
            if timeout is None:
                await km.start()
            else:
                await km.start(timeout=timeout)
        except BaseException:
            self.forget(km.kernel_id)
            await km.aclose()
            raise
        return km

    def adopt(self, km: KernelManager) -> KernelManager:
        """Register ``km``, a manager already running (started elsewhere, or attached to a
        kernel an earlier process left). KernelExistsError if its id is taken."""
        self._add(km)
        return km

    def _add(self, km: KernelManager) -> None:
        self._check_open()
        if km.kernel_id in self._kernels:
            raise KernelExistsError(km.kernel_id)
        self._kernels[km.kernel_id] = km
        self._unsubscribe[km.kernel_id] = km.on_event(self._forward)

    def forget(self, kernel_id: str) -> KernelManager | None:
        """Take ``kernel_id`` out of the registry without stopping it; its manager, or
        ``None`` if it was not registered. Its events no longer reach the listeners."""
        km = self._kernels.pop(kernel_id, None)
        unsubscribe = self._unsubscribe.pop(kernel_id, None)
        if unsubscribe is not None:
            unsubscribe()
        return km

    def _check_open(self) -> None:
        if self._closed:
            raise ClientClosedError("the multi-kernel manager is closed")

    async def shutdown_kernel(self, kernel_id: str, *, now: bool = False) -> None:
        """Shut one kernel down and forget it."""
        km = self.get(kernel_id)
        try:
            await km.shutdown(now=now)
        finally:
            self.forget(kernel_id)
            await km.aclose()

    async def restart_kernel(self, kernel_id: str, *, now: bool = False) -> dict[str, Any]:
        """Restart one kernel; return its new ``kernel_info_reply`` content."""
        return await self.get(kernel_id).restart(now=now)

    async def interrupt_kernel(self, kernel_id: str) -> None:
        """Interrupt the code one kernel is running."""
        await self.get(kernel_id).interrupt()

    async def shutdown_all(self, *, now: bool = False) -> None:
        """Shut every kernel down, all at once."""
        ids = list(self._kernels)
        results = await asyncio.gather(
            *(self.shutdown_kernel(k, now=now) for k in ids), return_exceptions=True
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            raise errors[0]

    async def aclose(self) -> None:
        """Shut every kernel down and close the shared registration socket."""
        self._closed = True
        try:
            await self.shutdown_all()
        finally:
            await self._registrar.aclose()
