"""What follows every kernel of the hub, and how the hub tells it what happens.

An :class:`Attachment` (the WebSocket bridges, the state store, tests' recorders) hears of each
kernel's start, stop and manager events. :class:`Attachments` calls them in order, one at a
time; a failing attachment is logged and the others still hear about it. Manager events come
from callbacks that cannot await: they are queued and delivered from one task, which
:class:`Attachments` owns and :meth:`Attachments.aclose` drains (bounded) and stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from typing import Protocol

from kernelhub.aio import AsyncResource
from kernelhub.manager.events import KernelEvent
from kernelhub.server.kernels.served import ServedKernel

__all__ = ["Attachment", "Attachments"]

log = logging.getLogger("kernelhub.server")

_DRAIN_TIMEOUT = 10.0


class Attachment(Protocol):
    """Something that follows every kernel of the hub (bridge, state, culler, pools)."""

    async def kernel_started(self, kernel: ServedKernel) -> None:
        """A kernel was started or adopted and is in the registry."""

    async def kernel_stopped(self, kernel: ServedKernel) -> None:
        """A kernel was shut down (it is out of the registry) or died for good."""

    async def kernel_event(self, kernel: ServedKernel, event: KernelEvent) -> None:
        """A manager event (died, restarting, restarted, gave_up, ...), after the model
        was updated."""


class Attachments(AsyncResource):
    """The hub's attachments, in order, and the task that delivers manager events to them."""

    def __init__(self, attachments: Sequence[Attachment] = ()) -> None:
        #: The attachments, in the order they are told (the hub shows this very list).
        self.items: list[Attachment] = list(attachments)
        self._queue: asyncio.Queue[tuple[ServedKernel, KernelEvent] | None] = asyncio.Queue()
        self._dispatcher: asyncio.Task[None] | None = None

    async def started(self, kernel: ServedKernel) -> None:
        """Tell every attachment that ``kernel`` started (or was adopted)."""
        for attachment in list(self.items):
            await self._call(attachment.kernel_started(kernel), attachment)

    async def stopped(self, kernel: ServedKernel) -> None:
        """Tell every attachment that ``kernel`` stopped."""
        for attachment in list(self.items):
            await self._call(attachment.kernel_stopped(kernel), attachment)

    def post(self, kernel: ServedKernel, event: KernelEvent) -> None:
        """Queue a manager event for every attachment (from a callback in the running loop);
        a ``gave_up`` is followed by a stop."""
        if self._dispatcher is None:
            self._dispatcher = asyncio.get_running_loop().create_task(
                self._dispatch(), name="kernelhub-hub-events"
            )
        self._queue.put_nowait((kernel, event))

    async def _dispatch(self) -> None:
        while (item := await self._queue.get()) is not None:
            kernel, event = item
            for attachment in list(self.items):
                await self._call(attachment.kernel_event(kernel, event), attachment)
            if event.kind == "gave_up":
                await self.stopped(kernel)

    async def _call(self, call: Awaitable[None], attachment: Attachment) -> None:
        try:
            await call
        except Exception:
            log.exception("server attachment %r failed", attachment)

    async def aclose(self) -> None:
        """Deliver what is queued (bounded: an attachment may hang), then stop the task."""
        if self._dispatcher is None:
            return
        self._queue.put_nowait(None)
        try:
            await asyncio.wait_for(self._dispatcher, _DRAIN_TIMEOUT)
        except asyncio.TimeoutError:
            log.warning("server attachments did not take the last events in time")
        self._dispatcher = None
