"""An event loop in a background thread, for blocking code to call coroutines on.

Like anyio's ``BlockingPortal``: the blocking facades run the one async implementation on this
loop instead of being a second implementation.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, TypeVar

from kernelhub.errors import ClientClosedError

__all__ = ["BlockingPortal"]

T = TypeVar("T")


class BlockingPortal:
    """Owns a daemon thread running an event loop until :meth:`stop`.

    :meth:`call` runs a coroutine function on the loop and blocks for its result; a
    ``KeyboardInterrupt`` while blocked cancels the coroutine and propagates.
    """

    def __init__(self, name: str = "kernelhub-portal") -> None:
        self._loop = asyncio.new_event_loop()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The portal's event loop."""
        return self._loop

    def _run(self) -> None:
        loop = self._loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            # Whatever is still running was abandoned by a caller: cancel it, let it unwind.
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            if tasks:
                loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def start(
        self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[T]:
        """Schedule ``fn(*args, **kwargs)`` on the loop; a future of its result."""
        if self._stopped:
            raise ClientClosedError("the client's event loop thread has been stopped")

        async def run() -> T:
            return await fn(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(run(), self._loop)

    def call(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` on the loop and return its result (or raise its error)."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("BlockingPortal.call from its own loop thread would deadlock")
        future = self.start(fn, *args, **kwargs)
        try:
            return future.result()
        except KeyboardInterrupt:
            future.cancel()
            raise

    def stop(self) -> None:
        """Stop the loop and wait for the thread to end (cancelling what is left)."""
        if self._stopped:
            return
        self._stopped = True
        self._loop.call_soon_threadsafe(self._loop.stop)
        if threading.current_thread() is not self._thread:
            self._thread.join()

    def __enter__(self) -> BlockingPortal:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
