"""What the blocking client streams: an execution's outputs, and IOPub messages."""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Callable, Iterator
from typing import Any

from kernelhub.aio import BlockingResource
from kernelhub.client.async_client import AsyncKernelClient
from kernelhub.client.portal import BlockingPortal
from kernelhub.client.results import ExecuteResult, InputRequest, Output
from kernelhub.client.subscription import IOPubSubscription
from kernelhub.errors import KernelTimeoutError, WrongStateError
from kernelhub.protocol import Message

__all__ = ["BlockingExecution", "BlockingIOPub"]

_DONE = object()  # the outcome is in ``_outcome``
_INTERRUPT = object()  # put by interrupt_wait()


class BlockingExecution(BlockingResource):
    """A running execution seen from blocking code: iterate for outputs, then ``result``.

    The execution runs as a task on the portal's loop; its outputs and input requests are
    passed to the iterating thread through a thread-safe queue that the iterating thread reads
    directly. A Ctrl-C in that thread interrupts the read and loses nothing: the event stays
    queued for the next one (a cancelled cross-thread call could drop an event in flight), and
    the outcome is kept apart from the queue, so that the end is seen even if a Ctrl-C lands
    just after its event was taken. An input request whose answer was interrupted (Ctrl-C in
    ``on_input``) is answered with an empty line when iteration resumes, so that the execution
    never waits for an answer that will not come.
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
        # Set by the loop thread before it queues _DONE: (result, None) or (None, error).
        self._outcome: tuple[ExecuteResult | None, BaseException | None] | None = None
        self._unanswered: asyncio.Future[str] | None = None
        if on_input is not None:
            kwargs["on_input"] = self._ask
        self._task = portal.start(self._run, client, code, kwargs)
        self._finished = False

    async def _run(self, client: AsyncKernelClient, code: str, kwargs: dict[str, Any]) -> None:
        events = self._queue
        try:
            result = await client.execute(code, on_output=events.put, **kwargs)
        except BaseException as exc:
            self._outcome = (None, exc)
            events.put(_DONE)
            raise
        self._outcome = (result, None)
        events.put(_DONE)

    async def _ask(self, request: InputRequest) -> str:
        # The answer comes from the iterating thread, which may block in input() meanwhile.
        answer: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._queue.put((request, answer))
        return await answer

    def _answer(self, answer: asyncio.Future[str], value: str) -> None:
        self._unanswered = None
        self._portal.loop.call_soon_threadsafe(_resolve, answer, value)

    def interrupt_wait(self) -> None:
        """Make the iterating thread's current (or next) wait raise ``KeyboardInterrupt``.

        Nothing queued is lost: the outputs and the end still come, in order, to the
        iterations after it. Safe to call from any thread, and from a signal handler.
        """
        self._queue.put(_INTERRUPT)

    def __iter__(self) -> Iterator[Output]:
        return self

    def __next__(self) -> Output:
        if self._unanswered is not None:
            self._answer(self._unanswered, "")
        events = self._queue
        while not self._finished:
            if self._outcome is None:
                event = events.get()
            else:  # over: what is left in the queue, then the end (whose event may be gone)
                try:
                    event = events.get_nowait()
                except queue.Empty:
                    event = _DONE
            if event is _DONE:
                assert self._outcome is not None
                self._finished = True
                result, error = self._outcome
                if error is not None:
                    raise error
                self._result = result
                break
            if event is _INTERRUPT:
                raise KeyboardInterrupt
            if isinstance(event, tuple):
                request, answer = event
                self._unanswered = answer
                value = self._user_input(request) if self._user_input else ""
                self._answer(answer, value)
                continue
            out: Output = event
            return out
        raise StopIteration

    @property
    def result(self) -> ExecuteResult:
        """The final result, once iteration has ended."""
        if self._result is None:
            raise WrongStateError("the execution has not finished: iterate over it first")
        return self._result

    def close(self) -> None:
        """Stop listening (the code keeps running in the kernel)."""
        if not self._finished:
            self._finished = True
            self._task.cancel()


def _resolve(fut: asyncio.Future[str], value: str) -> None:
    if not fut.done():
        fut.set_result(value)


class BlockingIOPub(BlockingResource):
    """Every IOPub message, for blocking code: iterate, or :meth:`get` with a timeout."""

    def __init__(self, portal: BlockingPortal, sub: IOPubSubscription) -> None:
        self._portal = portal
        self._sub = sub

    def get(self, timeout: float | None = None) -> Message:
        """The next message; :class:`KernelTimeoutError` if none comes within ``timeout``."""
        try:
            if timeout is None:
                return self._portal.call(self._sub.__anext__)
            return self._portal.call(self._next_within, timeout)
        except StopAsyncIteration:
            raise StopIteration from None

    async def _next_within(self, timeout: float) -> Message:
        # A timer that cancels this task: no extra task per message, as wait_for makes. A
        # message that arrives as the timer fires stays queued for the next call.
        task = asyncio.current_task()
        assert task is not None
        expired = False

        def expire() -> None:
            nonlocal expired
            expired = True
            task.cancel()

        timer = asyncio.get_running_loop().call_later(timeout, expire)
        try:
            return await self._sub.__anext__()
        except asyncio.CancelledError:
            if expired:
                raise KernelTimeoutError(f"no IOPub message within {timeout:g} s") from None
            raise
        finally:
            timer.cancel()

    def __iter__(self) -> Iterator[Message]:
        return self

    def __next__(self) -> Message:
        return self.get()

    def close(self) -> None:
        """Stop receiving messages."""
        self._portal.call(self._sub.aclose)
