"""Giving memory back after a flood of kernel output.

A flood to a slow client passes hundreds of megabytes through the server in messages of a few
kB to a few hundred kB. glibc's malloc serves those from its heaps (ZeroMQ's I/O thread has
an arena of its own), and freed memory there goes back to the system only from the top of a
heap, which a live object usually pins: measured, the server's RSS stayed 18-86 MB above its
start after a flood of 100 kB lines, and ``malloc_trim(0)`` brought it back to within 1-5 MB.
(Most of that flood's memory was a second reader of IOPub, since removed, which left less
behind; the trim is what makes "given back" hold whatever piled up.) A :class:`Trimmer`
calls it once the traffic it watches goes quiet after a flood (and now and then during a long
one). Elsewhere (musl, macOS) there is no ``malloc_trim`` and it does nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import sys
from collections.abc import Callable

from kernelhub.aio import AsyncResource

__all__ = ["Trimmer", "release"]


def _find_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)  # the process's own C library
    except OSError:  # pragma: no cover - a static interpreter
        return None
    trim = getattr(libc, "malloc_trim", None)  # glibc only
    if trim is None:  # pragma: no cover - musl
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim  # type: ignore[no-any-return]


_TRIM = _find_trim()


def release() -> bool:
    """Return the C heap's free memory to the system (glibc's ``malloc_trim(0)``); whether
    this C library can."""
    if _TRIM is None:
        return False
    _TRIM(0)
    return True


class Trimmer(AsyncResource):
    """Calls :func:`release` when ``volume()`` (bytes passed so far, never decreasing) has
    grown by ``after`` bytes since the last time and then stays (nearly) still for ``every``
    seconds, or has grown by ``8 * after`` (a long flood). It looks every ``every`` seconds;
    :meth:`start` starts it (in the running loop), :meth:`aclose` stops it."""

    def __init__(
        self, volume: Callable[[], int], *, every: float = 1.0, after: int = 16 * 1024 * 1024
    ) -> None:
        self.volume = volume
        self.every = every
        self.after = after
        #: How many times memory was released.
        self.releases = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start watching (again after :meth:`aclose`; nothing if already watching)."""
        if self._task is None and _TRIM is not None:
            self._task = asyncio.get_running_loop().create_task(
                self._watch(), name="kernelhub-trimmer"
            )

    async def _watch(self) -> None:
        released = last = self.volume()
        while True:
            await asyncio.sleep(self.every)
            now = self.volume()
            grown, recent = now - released, now - last
            last = now
            if grown >= 8 * self.after or (grown >= self.after and recent < self.after // 16):
                release()
                self.releases += 1
                released = now

    async def aclose(self) -> None:
        """Stop watching."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
