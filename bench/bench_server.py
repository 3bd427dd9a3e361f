"""The server against Jupyter Server, both started in this run with the same kernelspecs.

- ``GET /api/kernelspecs`` throughput, measured with ``wrk`` (Debian's ``wrk``; a small Python
  load generator in a subprocess when wrk is missing), 1 wrk thread, 16 connections, 3 s
  (1 s with ``--quick``), target >= 5x Jupyter Server.
- ``DELETE /api/kernels/{id}`` latency with ipykernel (a kernel is started before each run,
  untimed), target <= 0.3x. kernelhub answers once the kernel has acknowledged the
  ``shutdown_request`` (it runs no more code) and supervises the process's exit in the
  background; Jupyter Server answers after the process is gone. So the time from the DELETE
  until the process has exited is reported as well, for both, to keep the comparison honest.

Both servers are started by :func:`bench_ws.server_pair` (isolated ``JUPYTER_*`` directories
and ``HOME``, a known token, 127.0.0.1).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Result, compare
from bench_ws import TOKEN, Server, server_pair

TITLE = "server: REST (issue 5)"


# -- throughput ---------------------------------------------------------------------------

_LOADGEN = textwrap.dedent(
    """
    import asyncio, sys, time
    port, path, token, seconds, conns = sys.argv[1:6]
    request = (f"GET {path} HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n"
               f"Authorization: token {token}\\r\\n\\r\\n").encode()
    done = 0
    async def one(deadline):
        global done
        reader, writer = await asyncio.open_connection("127.0.0.1", int(port))
        while time.monotonic() < deadline:
            writer.write(request)
            head = await reader.readuntil(b"\\r\\n\\r\\n")
            length = 0
            for line in head.split(b"\\r\\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            done += 1
        writer.close()
    async def main():
        deadline = time.monotonic() + float(seconds)
        start = time.monotonic()
        await asyncio.gather(*(one(deadline) for _ in range(int(conns))))
        print(f"Requests/sec: {done / (time.monotonic() - start):.1f}")
    asyncio.run(main())
    """
)


def _throughput(server: Server, seconds: float) -> Callable[[], float]:
    url = f"http://127.0.0.1:{server.port}/api/kernelspecs"
    if shutil.which("wrk"):
        cmd = ["wrk", "-t1", "-c16", f"-d{seconds:g}s", "-H", f"Authorization: token {TOKEN}", url]
    else:
        cmd = [sys.executable, "-c", _LOADGEN, str(server.port), "/api/kernelspecs", TOKEN]
        cmd += [str(seconds), "16"]

    def once() -> float:
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        found = re.search(r"Requests/sec:\s+([\d.]+)", out)
        if found is None or "Non-2xx" in out:
            raise RuntimeError(f"load generator failed on {server.name}: {out}")
        return float(found[1])

    return once


# -- DELETE ---------------------------------------------------------------------------------


def _kernel_pid(kernel_id: str) -> int:
    needle = f"kernel-{kernel_id}.json".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle in (entry / "cmdline").read_bytes():
                    return int(entry.name)
            except OSError:
                continue
    raise RuntimeError(f"no process for kernel {kernel_id}")


def _delete(server: Server, gone_ms: list[float]) -> Callable[[], float]:
    def once() -> float:
        status, body = server.request("POST", "/api/kernels", {"name": "python3"})
        assert status == 201, body
        kernel_id = json.loads(body)["id"]
        pidfd = os.pidfd_open(_kernel_pid(kernel_id))
        try:
            start = time.perf_counter()
            status, body = server.request("DELETE", f"/api/kernels/{kernel_id}")
            answered = (time.perf_counter() - start) * 1000
            assert status == 204, body
            ready, _, _ = select.select([pidfd], [], [], 30)
            assert ready, f"{server.name} left kernel {kernel_id} running"
            gone_ms.append((time.perf_counter() - start) * 1000)
        finally:
            os.close(pidfd)
        return answered

    return once


def run(quick: bool) -> list[Result]:
    """Measure every case; ``quick`` runs each a few times only."""
    runs = 3 if quick else 7
    seconds = 1.0 if quick else 3.0
    with tempfile.TemporaryDirectory(prefix="kernelhub-bench-server-") as tmp:
        with server_pair(Path(tmp)) as (ours, theirs):
            for server in (ours, theirs):  # warm both: first listings, imports
                for _ in range(3):
                    assert server.request("GET", "/api/kernelspecs")[0] == 200
            results = [
                compare(
                    "GET /api/kernelspecs throughput",
                    _throughput(ours, seconds),
                    _throughput(theirs, seconds),
                    runs=runs,
                    unit="req/s",
                    target=5.0,
                    higher_is_better=True,
                    note=("wrk" if shutil.which("wrk") else "python load generator")
                    + f" -c16 -d{seconds:g}s, 1 thread",
                ),
            ]
            ours_gone: list[float] = []
            theirs_gone: list[float] = []
            deleted = compare(
                "DELETE /api/kernels/{id} (ipykernel)",
                _delete(ours, ours_gone),
                _delete(theirs, theirs_gone),
                runs=runs * 2 + 1,
                target=0.3,
            )
        gone_ours = statistics.median(ours_gone)
        gone_theirs = statistics.median(theirs_gone)
        note = (
            f"DELETE -> process exited: kernelhub {gone_ours:.0f} ms, "
            f"jupyter_server {gone_theirs:.0f} ms (kernelhub answers at the kernel's "
            "acknowledgement; the exit is supervised in the background)"
        )
        results.append(dataclasses.replace(deleted, unit="ms", note=note))
        results.append(
            Result("DELETE -> kernel process gone", gone_ours, gone_theirs, "ms", deleted.runs)
        )
        return results
