"""Many kernels at once: ids to managers, concurrent starts and shutdowns.

::

    async with MultiKernelManager() as mkm:
        ids = await asyncio.gather(*(mkm.start_kernel(kernel_type) for _ in range(8)))
        km = mkm.get(ids[0])
        await mkm.shutdown_all()

Kernels that handshake (JEP 66) share one registration socket, as the JEP recommends for a
multi-kernel client. Events of every kernel reach :meth:`on_event` listeners.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

from kernelhub.errors import ClientClosedError, NoSuchKernelError, close_matches
from kernelhub.manager import KernelManager
from kernelhub.manager.events import KernelEvent, Listener
from kernelhub.manager.handshake import Registrar
from kernelhub.providers.base import KernelType

__all__ = ["MultiKernelManager"]


class MultiKernelManager:
    """Starts, finds and stops many kernels; ``aclose()`` shuts them all down.

    ``defaults`` are keyword arguments given to every :class:`KernelManager` (for example
    ``autorestart=True``); those given to :meth:`start_kernel` override them.
    """

    def __init__(self, **defaults: Any) -> None:
        self.defaults = defaults
        self._kernels: dict[str, KernelManager] = {}
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

    async def start_kernel(
        self, kernel_type: KernelType, *, timeout: float = 60.0, **kwargs: Any
    ) -> str:
        """Start a kernel, wait until it is ready, and return its id.

        ``kwargs`` go to :class:`KernelManager` (``cwd``, ``env``, ``launch_params``,
        ``kernel_id``, ``autorestart``...). A kernel that fails to start is not kept.
        """
        if self._closed:
            raise ClientClosedError("the multi-kernel manager is closed")
        options = {**self.defaults, **kwargs}
        options.setdefault("registrar", self._registrar)
        km = KernelManager(kernel_type, **options)
        if km.kernel_id in self._kernels:
            raise ValueError(f"a kernel with id {km.kernel_id!r} is already running")
        self._kernels[km.kernel_id] = km
        km.on_event(self._forward)
        try:
            await km.start(timeout=timeout)
        except BaseException:
            self._kernels.pop(km.kernel_id, None)
            await km.aclose()
            raise
        return km.kernel_id

    async def shutdown_kernel(self, kernel_id: str, *, now: bool = False) -> None:
        """Shut one kernel down and forget it."""
        km = self.get(kernel_id)
        try:
            await km.shutdown(now=now)
        finally:
            self._kernels.pop(kernel_id, None)
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

    async def __aenter__(self) -> MultiKernelManager:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
