"""An event loop in a background thread, for blocking code to call coroutines on.

Like anyio's ``BlockingPortal``: the blocking facades run the one async implementation on this
loop instead of being a second implementation.

A :meth:`BlockingPortal.call` costs the two thread hand-offs it cannot avoid and little else.
The caller queues the call and wakes the loop thread (on Linux with an eventfd: one write, and
one read on the other side, where ``call_soon_threadsafe`` sends on a socket pair and reads it
twice), then sleeps on a plain lock that the call's task releases the moment the outcome is
known. ``run_coroutine_threadsafe`` would add a ``concurrent.futures.Future`` (a condition and
a waiter lock per call) and a chain of done-callbacks (one more loop iteration per call).
Client CPU per round trip is a benchmarked target, and that was most of the facade's overhead.

Signals: the loop thread runs with SIGINT blocked, so that Ctrl-C always reaches the main
thread, which runs Python's handler and is woken by it even while it waits in :meth:`call`
(a signal taken by another thread sets Python's flag but wakes nobody). Threads started from
the loop thread inherit the blocked mask, and so would processes forked from them: whoever
spawns processes there must clear the mask in the child (``launchers/_child.py`` does).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import signal
import threading
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from types import TracebackType
from typing import Any, Generic, TypeVar

from kernelhub.errors import ClientClosedError, WrongStateError

__all__ = ["BlockingPortal"]

T = TypeVar("T")


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """SIGINT blocked in this thread meanwhile (threads started meanwhile keep it blocked)."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: signals only reach the main thread
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _closed() -> ClientClosedError:
    return ClientClosedError("the client's event loop thread has been stopped")


class _Call(Generic[T]):
    """One :meth:`BlockingPortal.call`: its task on the loop, its outcome, the caller's lock."""

    __slots__ = ("args", "cancelled", "done", "error", "fn", "kwargs", "result", "task")
    result: T

    def __init__(self, fn: Callable[..., Awaitable[T]], args: Any, kwargs: Any) -> None:
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.done = threading.Lock()
        self.done.acquire()
        self.error: BaseException | None = None
        self.task: asyncio.Task[None] | None = None
        self.cancelled = False

    def begin(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start the task (on the loop thread)."""
        if not self.cancelled:
            self.task = loop.create_task(self._run())

    async def _run(self) -> None:
        try:
            self.result = await self.fn(*self.args, **self.kwargs)
        except BaseException as exc:  # the caller's to handle, cancellation included
            self.error = exc
        finally:
            self.done.release()

    def cancel(self) -> None:
        """Cancel the call, begun or not (on the loop thread)."""
        self.cancelled = True
        if self.task is not None:
            self.task.cancel()

    def fail(self, exc: BaseException) -> None:
        """Answer a call that was never begun."""
        self.error = exc
        self.done.release()


class BlockingPortal:
    """Owns a daemon thread running an event loop until :meth:`stop`.

    :meth:`call` runs a coroutine function on the loop and blocks for its result; a
    ``KeyboardInterrupt`` while blocked cancels the coroutine and propagates.
    """

    def __init__(self, name: str = "kernelhub-portal") -> None:
        self._loop = loop = asyncio.new_event_loop()
        self._stopped = False
        self._finished = False  # the loop is closed: calls queued now are failed by the caller
        self._calls: deque[_Call[Any]] = deque()
        self._wake: Callable[[], object]
        self._wake_fd: int | None = None
        if hasattr(os, "eventfd"):
            self._wake_fd = fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
            loop.add_reader(fd, self._take)
            self._wake = lambda: os.eventfd_write(fd, 1)
            # Closed only when nobody can write to it any more (never reused meanwhile).
            weakref.finalize(self, os.close, fd)
        else:
            self._wake = lambda: loop.call_soon_threadsafe(self._take)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        # Started with SIGINT blocked, so that there is no moment when the thread can take it.
        with _sigint_blocked():
            self._thread.start()
        self._ident = self._thread.ident

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The portal's event loop."""
        return self._loop

    def _take(self) -> None:
        if self._wake_fd is not None:
            with contextlib.suppress(BlockingIOError):  # an earlier wake-up took it all
                os.eventfd_read(self._wake_fd)
        calls, loop = self._calls, self._loop
        while calls:
            calls.popleft().begin(loop)

    def _run(self) -> None:
        loop = self._loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            self._take()  # begun, so that they are cancelled below and their callers answered
            # Whatever is still running was abandoned by a caller: cancel it, let it unwind.
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            if tasks:
                loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            if self._wake_fd is not None:
                loop.remove_reader(self._wake_fd)
            loop.close()
            self._finished = True
            self._fail_queued()

    def _fail_queued(self) -> None:
        calls = self._calls
        while calls:
            with contextlib.suppress(IndexError):  # the other side took it
                calls.popleft().fail(_closed())

    def _check_open(self) -> None:
        if self._stopped:
            raise _closed()

    def start(
        self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[T]:
        """Schedule ``fn(*args, **kwargs)`` on the loop; a future of its result."""
        self._check_open()

        async def run() -> T:
            return await fn(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(run(), self._loop)

    def call(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` on the loop and return its result (or raise its error)."""
        self._check_open()
        if threading.get_ident() == self._ident:
            raise WrongStateError("BlockingPortal.call from its own loop thread would deadlock")
        call = _Call(fn, args, kwargs)
        try:
            self._calls.append(call)
            self._wake()
            if self._finished:  # too late for the loop thread: it will not take this call
                self._fail_queued()
            call.done.acquire()
        except KeyboardInterrupt:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nothing to cancel
                self._loop.call_soon_threadsafe(call.cancel)
            raise
        error = call.error
        if error is not None:
            call.error = None  # no reference cycle through the traceback
            if self._stopped and isinstance(error, asyncio.CancelledError):
                raise _closed() from None
            raise error
        return call.result

    def stop(self) -> None:
        """Stop the loop and wait for the thread to end (cancelling what is left)."""
        if self._stopped:
            return
        self._stopped = True
        self._loop.call_soon_threadsafe(self._loop.stop)
        if threading.get_ident() != self._ident:
            self._thread.join()

    def __enter__(self) -> BlockingPortal:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
