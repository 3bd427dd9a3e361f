"""What the blocking client streams: an execution's outputs, and IOPub messages."""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

from kernelhub.client.async_client import AsyncKernelClient
from kernelhub.client.portal import BlockingPortal
from kernelhub.client.results import ExecuteResult, InputRequest, Output
from kernelhub.client.subscription import IOPubSubscription
from kernelhub.errors import KernelTimeoutError
from kernelhub.protocol import Message

__all__ = ["BlockingExecution", "BlockingIOPub"]

_DONE = object()


class BlockingExecution:
    """A running execution seen from blocking code: iterate for outputs, then ``result``.

    The execution runs as a task on the portal's loop; its outputs and input requests are
    passed to the iterating thread through a thread-safe queue that the iterating thread reads
    directly. A Ctrl-C in that thread interrupts the read and loses nothing: the event stays
    queued for the next one (a cancelled cross-thread call could drop an event in flight).
    """

    def __init__(
        self,
        portal: BlockingPortal,
        client: AsyncKernelClient,
        code: str,
        on_input: Callable[[InputRequest], str] | None,
        kwargs: dict[str, Any],
    ) -> None:
        self._portal = portal
        self._user_input = on_input
        self._result: ExecuteResult | None = None
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        if on_input is not None:
            kwargs["on_input"] = self._ask
        self._task = portal.start(self._run, client, code, kwargs)
        self._finished = False

    async def _run(self, client: AsyncKernelClient, code: str, kwargs: dict[str, Any]) -> None:
        events = self._queue
        try:
            result = await client.execute(code, on_output=events.put, **kwargs)
        except BaseException as exc:
            events.put((_DONE, exc))
            raise
        events.put((_DONE, result))

    async def _ask(self, request: InputRequest) -> str:
        # The answer comes from the iterating thread, which may block in input() meanwhile.
        answer: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._queue.put((request, answer))
        return await answer

    def __iter__(self) -> Iterator[Output]:
        return self

    def __next__(self) -> Output:
        while not self._finished:
            event = self._queue.get()
            if isinstance(event, tuple) and event[0] is _DONE:
                self._finished = True
                if isinstance(event[1], BaseException):
                    raise event[1]
                self._result = event[1]
                break
            if isinstance(event, tuple):
                request, answer = event
                value = self._user_input(request) if self._user_input else ""
                self._portal.loop.call_soon_threadsafe(_resolve, answer, value)
                continue
            out: Output = event
            return out
        raise StopIteration

    @property
    def result(self) -> ExecuteResult:
        """The final result, once iteration has ended."""
        if self._result is None:
            raise RuntimeError("the execution has not finished: iterate over it first")
        return self._result

    def close(self) -> None:
        """Stop listening (the code keeps running in the kernel)."""
        if not self._finished:
            self._finished = True
            self._task.cancel()

    def __enter__(self) -> BlockingExecution:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _resolve(fut: asyncio.Future[str], value: str) -> None:
    if not fut.done():
        fut.set_result(value)


class BlockingIOPub:
    """Every IOPub message, for blocking code: iterate, or :meth:`get` with a timeout."""

    def __init__(self, portal: BlockingPortal, sub: IOPubSubscription) -> None:
        self._portal = portal
        self._sub = sub

    def get(self, timeout: float | None = None) -> Message:
        """The next message; :class:`KernelTimeoutError` if none comes within ``timeout``."""

        async def next_message() -> Message:
            try:
                return await asyncio.wait_for(self._sub.__anext__(), timeout)
            except TimeoutError:
                raise KernelTimeoutError(f"no IOPub message within {timeout:g} s") from None

        try:
            return self._portal.call(next_message)
        except StopAsyncIteration:
            raise StopIteration from None

    def __iter__(self) -> Iterator[Message]:
        return self

    def __next__(self) -> Message:
        return self.get()

    def close(self) -> None:
        """Stop receiving messages."""
        self._portal.call(self._sub.aclose)

    def __enter__(self) -> BlockingIOPub:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
