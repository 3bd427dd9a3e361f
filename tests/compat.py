"""What the tests need from newer Pythons, on Python 3.10 too."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator

__all__ = ["timeout"]

if sys.version_info >= (3, 11):
    from asyncio import timeout
else:

    @contextlib.asynccontextmanager
    async def timeout(delay: float) -> AsyncIterator[None]:
        """``asyncio.timeout`` for Python 3.10: the block is cancelled after ``delay`` seconds
        and the cancellation becomes the builtin ``TimeoutError``, as in 3.11."""
        task = asyncio.current_task()
        assert task is not None
        fired = False

        def fire() -> None:
            nonlocal fired
            fired = True
            task.cancel()

        handle = asyncio.get_running_loop().call_later(delay, fire)
        try:
            yield
        except asyncio.CancelledError:
            if fired:
                raise TimeoutError(f"timed out after {delay} s") from None
            raise
        finally:
            handle.cancel()
