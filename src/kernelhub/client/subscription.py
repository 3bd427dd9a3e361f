"""Subscribers to every IOPub message, each with its own bounded queue."""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from kernelhub.aio import AsyncResource
from kernelhub.client.channels import Channels, Failable
from kernelhub.protocol import Message

__all__ = ["IOPubSubscription"]

log = logging.getLogger("kernelhub.client")


class IOPubSubscription(Failable, AsyncResource):
    """An async iterator over every IOPub message from the moment it was created.

    The queue holds at most ``maxsize`` messages; when a slow reader lets it fill up, the
    oldest are dropped (``dropped`` counts them) rather than growing without bound or slowing
    the receive task that serves every other waiter. Iteration ends when the client closes.
    Use ``async with client.iopub() as messages: async for msg in messages: ...``.
    """

    def __init__(self, channels: Channels, maxsize: int = 10_000) -> None:
        self._channels = channels
        self._queue: deque[Message] = deque(maxlen=maxsize)
        self._wake: asyncio.Future[None] | None = None
        self._closed = False
        self.dropped = 0
        channels.subscribe(self._push)
        channels.listen_iopub()

    def _push(self, msg: Message) -> None:
        queue = self._queue
        if len(queue) == queue.maxlen:
            self.dropped += 1
            if self.dropped == 1:
                log.warning("an IOPub subscriber is too slow; dropping its oldest messages")
        queue.append(msg)
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)

    def __aiter__(self) -> IOPubSubscription:
        return self

    async def __anext__(self) -> Message:
        while not self._queue:
            if self._closed or self._channels.closed:
                raise StopAsyncIteration
            self._wake = asyncio.get_running_loop().create_future()
            # The client's close must end the iteration too: it wakes us through this hook.
            self._channels.watch(self)
            try:
                await self._wake
            finally:
                self._wake = None
                self._channels.unwatch(self)
        return self._queue.popleft()

    def fail(self, exc: BaseException) -> None:
        """Wake the reader (the client closed or the kernel died); it ends if closed."""
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)

    async def aclose(self) -> None:
        """Stop receiving messages."""
        self._closed = True
        self._channels.unsubscribe(self._push)
        self.fail(StopAsyncIteration())
