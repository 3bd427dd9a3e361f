"""The server's memory under an output flood to a slow WebSocket client: a real ``kernelhub
serve``, a real kernel printing 100 kB lines as fast as it can, a client that reads one message
every 2 ms. The server's RSS (psutil) must stay within a bound while the flood lasts and fall
back once it is over; the reply, the idle status and the drop notice still arrive.

Measured before the fix (8 runs of this flood or one like it): peaks 33-221 MB above the RSS
before the flood, 16-86 MB still held 5 s after it. After: peaks 9-28 MB above (once 68),
1-2 MB held after. Before the fix this test failed 3 runs out of 3.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import psutil

from tests.compat import timeout
from tests.server.conftest import TOKEN
from tests.server.serve_process import WAIT, serve, serve_processes
from tests.server.ws_fixtures import parent_id, ws_client

__all__ = ["serve_processes"]  # the fixture, imported for the tests of this module

MB = 1024 * 1024
# The outbox bound is 4 MB; copies in flight add to it, and the bridge's IOPub queue in
# ZeroMQ (at most 1,000 messages, 100 MB of these) fills when the loop falls behind: generous.
PEAK_OVER = 150 * MB
AFTER_OVER = 10 * MB
FLOOD = "s = 'x' * 100_000\nfor i in range(3000):\n    print(s, flush=True)\n"


class Sampler:
    """The highest RSS of a process, sampled every 10 ms in a thread until stopped."""

    def __init__(self, proc: psutil.Process) -> None:
        self.proc, self.peak = proc, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join(WAIT)
        return self.peak


def _settled_rss(proc: psutil.Process, bound: int, timeout: float) -> int:
    """The RSS once it is under ``bound``, or what it is after ``timeout`` s (polled: the
    server gives memory back a second or so after the traffic stops)."""
    deadline = time.monotonic() + timeout
    while (rss := proc.memory_info().rss) > bound and time.monotonic() < deadline:
        time.sleep(0.1)
    return rss


def test_a_flood_to_a_slow_client_stays_bounded_and_memory_comes_back(
    tmp_path: Path, serve_processes: Path
) -> None:
    (tmp_path / "root").mkdir()
    server = serve(tmp_path / "state", tmp_path / "root")
    proc = psutil.Process(server.proc.pid)
    reply = server.client.post("/api/kernels", {})
    assert reply.status == 201, reply.body
    kernel_id = reply.json()["id"]
    url = f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels?token={TOKEN}"

    async def flood() -> tuple[int, int, dict[str, object], int]:
        async with ws_client(url, v1=True, max_queue=4) as client:
            warm, _ = await client.execute("print('warm')")
            assert warm["content"]["status"] == "ok"
            base = proc.memory_info().rss
            sampler = Sampler(proc)
            msg_id = await client.send("shell", "execute_request", {"code": FLOOD})
            done: dict[str, object] = {}
            notices = 0
            async with timeout(WAIT * 4):
                while not {"reply", "idle"} <= done.keys():
                    msg = await client.recv()
                    client.received.clear()
                    kind = msg["header"]["msg_type"]
                    if parent_id(msg) == msg_id:
                        if msg["channel"] == "shell":
                            done["reply"] = msg["content"]
                        elif kind == "status" and msg["content"]["execution_state"] == "idle":
                            done["idle"] = True
                        elif kind == "stream" and "[kernelhub: output dropped" in str(
                            msg["content"]["text"]
                        ):
                            notices += 1
                    await asyncio.sleep(0.002)  # a slow reader
            return base, sampler.stop(), done, notices

    base, peak, done, notices = asyncio.run(flood())
    reply_content = done["reply"]
    assert isinstance(reply_content, dict)
    assert reply_content["status"] == "ok", reply_content
    assert notices >= 1, "the flood never went over the client's bound: not a test of it"
    assert peak - base < PEAK_OVER, f"peak {(peak - base) / MB:.0f} MB over the start"
    after = _settled_rss(proc, base + AFTER_OVER, 10.0)
    assert after - base < AFTER_OVER, f"still {(after - base) / MB:.0f} MB over after the flood"
