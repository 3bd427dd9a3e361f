"""The server against Jupyter Server, both started in this run with the same kernelspecs.

- ``GET /api/kernelspecs`` throughput, measured with ``wrk`` (Debian's ``wrk``; a small Python
  load generator in a subprocess when wrk is missing), 1 wrk thread, 16 connections, 3 s
  (1 s with ``--quick``), target >= 5x Jupyter Server.
- ``DELETE /api/kernels/{id}`` latency with ipykernel (a kernel is started before each run,
  untimed), target <= 0.3x. kernelhub answers once the kernel has acknowledged the
  ``shutdown_request`` (it runs no more code) and supervises the process's exit in the
  background; Jupyter Server answers after the process is gone. So the time from the DELETE
  until the process has exited is reported as well, for both, to keep the comparison honest.

Both servers run with isolated ``JUPYTER_*`` directories and a known token, on 127.0.0.1.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from _harness import Result, compare

TITLE = "server: REST (issue 5)"
TOKEN = "bench-token-0123456789abcdef"
BIN = Path(sys.executable).parent


@dataclass
class Server:
    """A running server: its port, process and runtime dir."""

    name: str
    port: int
    proc: subprocess.Popen[str]

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            headers = {"Authorization": f"token {TOKEN}"}
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()


def _isolated_env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("data", "config", "runtime", "path", "home"):
        (root / name).mkdir()
    env.update(
        HOME=str(root / "home"),
        JUPYTER_DATA_DIR=str(root / "data"),
        JUPYTER_CONFIG_DIR=str(root / "config"),
        JUPYTER_RUNTIME_DIR=str(root / "runtime"),
        JUPYTER_PATH=str(root / "path"),
        IPYTHONDIR=str(root / "home" / ".ipython"),
    )
    return env


def _wait_for_url(proc: subprocess.Popen[str], stream: str) -> int:
    """The port in the first ``http://127.0.0.1:PORT/`` line of the given stream."""
    pipe = proc.stdout if stream == "stdout" else proc.stderr
    assert pipe is not None
    for line in pipe:
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if found:
            # Keep the pipe drained so that the server never blocks on its log.
            threading.Thread(target=pipe.read, daemon=True).start()
            return int(found[1])
    raise RuntimeError(f"server exited: {proc.wait()}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def servers(root: Path) -> Iterator[tuple[Server, Server]]:
    """kernelhub serve and jupyter server, on free ports, same directories."""
    env = _isolated_env(root)
    work = root / "work"
    work.mkdir()
    ours_cmd = [str(BIN / "kernelhub"), "serve", "--port", "0", "--token", TOKEN]
    ours_cmd += ["--shutdown-kernels-on-exit", "--log-level", "WARNING"]
    theirs_cmd = [
        sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
        f"--port={_free_port()}",
        "--ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={work}",
    ]  # fmt: skip
    procs = []
    try:
        pipe = subprocess.PIPE
        ours = subprocess.Popen(ours_cmd, env=env, cwd=work, stdout=pipe, stderr=pipe, text=True)
        procs.append(ours)
        theirs = subprocess.Popen(
            theirs_cmd, env=env, cwd=work, stdout=pipe, stderr=pipe, text=True
        )
        procs.append(theirs)
        yield (
            Server("kernelhub", _wait_for_url(ours, "stdout"), ours),
            Server("jupyter_server", _wait_for_url(theirs, "stderr"), theirs),
        )
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGINT)
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


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


def _kernel_pid(runtime: Path, kernel_id: str) -> int:
    needle = f"kernel-{kernel_id}.json".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle in (entry / "cmdline").read_bytes():
                    return int(entry.name)
            except OSError:
                continue
    raise RuntimeError(f"no process for kernel {kernel_id}")


def _delete(server: Server, runtime: Path, gone_ms: list[float]) -> Callable[[], float]:
    def once() -> float:
        status, body = server.request("POST", "/api/kernels", json.dumps({"name": "python3"}))
        assert status == 201, body
        kernel_id = json.loads(body)["id"]
        pidfd = os.pidfd_open(_kernel_pid(runtime, kernel_id))
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
    root = Path(tempfile.mkdtemp(prefix="kernelhub-bench-server-"))
    try:
        with servers(root) as (ours, theirs):
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
            runtime = root / "runtime"
            ours_gone: list[float] = []
            theirs_gone: list[float] = []
            deleted = compare(
                "DELETE /api/kernels/{id} (ipykernel)",
                _delete(ours, runtime, ours_gone),
                _delete(theirs, runtime, theirs_gone),
                runs=runs * 2 + 1,
                target=0.3,
            )
            import statistics

            gone_ours = statistics.median(ours_gone)
            gone_theirs = statistics.median(theirs_gone)
            note = (
                f"DELETE -> process exited: kernelhub {gone_ours:.0f} ms, "
                f"jupyter_server {gone_theirs:.0f} ms (kernelhub answers at the kernel's "
                "acknowledgement; the exit is supervised in the background)"
            )
            results.append(
                Result(
                    deleted.case,
                    deleted.ours,
                    deleted.theirs,
                    "ms",
                    deleted.runs,
                    deleted.target,
                    note=note,
                )
            )
            results.append(
                Result("DELETE -> kernel process gone", gone_ours, gone_theirs, "ms", deleted.runs)
            )
            return results
    finally:
        shutil.rmtree(root, ignore_errors=True)
