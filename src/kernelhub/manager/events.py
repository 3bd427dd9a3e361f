"""A kernel's lifecycle events and their subscribers.

Everything that happens to a kernel (started, died, restarting, restarted, gave up, shut down)
is one frozen :class:`KernelEvent`, delivered by the manager's :class:`EventHub` to callbacks
(``manager.on_event``) and to :class:`EventStream` readers (``async with manager.events()``).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from kernelhub.aio import AsyncResource

__all__ = ["EventHub", "EventKind", "EventStream", "KernelEvent", "Listener"]

log = logging.getLogger("kernelhub")

#: What happened to a kernel.
EventKind = Literal["started", "died", "restarting", "restarted", "gave_up", "shutdown"]


@dataclass(frozen=True)
class KernelEvent:
    """One thing that happened to a kernel, as frontends are told about it.

    ``reason`` explains deaths (``"killed by signal 9 (SIGKILL), possibly out of memory"``),
    restarts and giving up; ``restarts`` counts automatic restarts in the current window.
    """

    kind: EventKind
    kernel_id: str
    reason: str | None = None
    exit_code: int | None = None
    restarts: int = 0
    time: float = 0.0


Listener = Callable[[KernelEvent], None]


class EventStream(AsyncResource):
    """Events as an async iterator: ``async with manager.events() as events: async for ...``.

    Bounded: when a slow reader lets ``maxsize`` events pile up, the oldest are dropped.
    """

    def __init__(self, unsubscribe: Callable[[], None] | None = None, maxsize: int = 1000) -> None:
        self._queue: collections.deque[KernelEvent] = collections.deque(maxlen=maxsize)
        self._wakeup = asyncio.Event()
        self._closed = False
        self._unsubscribe = unsubscribe

    def push(self, event: KernelEvent) -> None:
        """Deliver ``event`` (the manager calls this)."""
        self._queue.append(event)
        self._wakeup.set()

    async def get(self) -> KernelEvent:
        """The next event; raises StopAsyncIteration once closed and drained."""
        while not self._queue:
            if self._closed:
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()
        return self._queue.popleft()

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> KernelEvent:
        return await self.get()

    def close(self) -> None:
        """Stop receiving; iteration ends after the events already queued."""
        self._closed = True
        self._wakeup.set()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    async def aclose(self) -> None:
        """:meth:`close`, as every resource has it (also run on leaving ``async with``)."""
        self.close()


class EventHub:
    """The subscribers of one kernel's events: callbacks and :class:`EventStream` readers.

    Each :class:`~kernelhub.manager.KernelManager` has one (``manager.on_event(callback)`` and
    ``async with manager.events() as events`` go to it).
    """

    def __init__(self, kernel_id: str) -> None:
        self.kernel_id = kernel_id
        self._listeners: list[Listener] = []

    def on_event(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event)`` for every event; returns a function that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def events(self, maxsize: int = 1000) -> EventStream:
        """An async iterator of the events from now on; close it (or ``async with``)."""
        stream = EventStream(maxsize=maxsize)
        stream._unsubscribe = self.on_event(stream.push)
        return stream

    def publish(
        self,
        kind: EventKind,
        *,
        reason: str | None = None,
        exit_code: int | None = None,
        restarts: int = 0,
    ) -> KernelEvent:
        """Deliver an event to every subscriber; a failing listener is logged and skipped."""
        event = KernelEvent(kind, self.kernel_id, reason, exit_code, restarts, time.time())
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("kernel event listener %r failed", listener)
        return event

    def unsubscribe_all(self) -> None:
        """Drop every subscriber."""
        self._listeners.clear()
