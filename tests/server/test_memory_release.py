"""kernelhub.server.channels.memory: the C heap's free memory goes back to the system, and the
trimmer does it once traffic goes quiet after a flood."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from kernelhub.server.channels import memory
from kernelhub.server.channels.memory import Trimmer

glibc = pytest.mark.skipif(memory._TRIM is None, reason="no malloc_trim in this C library")

# 60 MB in 10 kB objects (glibc's heap, not mmap), one in 100 kept: the heap's top stays
# pinned, so free() alone gives almost nothing back.
_FRAGMENT = """
import os
from kernelhub.server.channels.memory import release
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
base = rss()
chunks = [bytes(10_000) + bytes([i % 256]) for i in range(6_000)]
kept = chunks[::100]
del chunks
before = rss()
assert release()
print(before - base, rss() - base)
"""


@glibc
def test_release_gives_fragmented_heap_memory_back() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _FRAGMENT], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    held, after = map(int, out.split())
    assert held > 40 * 1024 * 1024, f"free() alone gave back too much for a test: {held}"
    assert after < held / 4, (held, after)


@glibc
async def test_the_trimmer_releases_once_a_flood_goes_quiet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    released = asyncio.Event()

    def release() -> bool:
        released.set()
        return True

    monkeypatch.setattr(memory, "release", release)
    volume = [0]
    trimmer = Trimmer(lambda: volume[0], every=0.01, after=1000)
    trimmer.start()
    try:
        volume[0] = 999  # under the threshold: nothing to give back
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(released.wait(), 0.1)
        volume[0] = 5000  # a flood; then quiet
        await asyncio.wait_for(released.wait(), 10)
        released.clear()
        with pytest.raises(asyncio.TimeoutError):  # quiet since: once is enough
            await asyncio.wait_for(released.wait(), 0.1)
        assert trimmer.releases == 1
    finally:
        await trimmer.aclose()
    assert trimmer._task is None
