"""The kernel WebSocket: ``kernelhub serve`` against jupyter_server and the direct ZeroMQ floor.

Both servers run as real processes in this run, on 127.0.0.1, with isolated Jupyter
directories (and ``HOME``) and the same ``python3`` kernelspec (ipykernel); :func:`server_pair`
is the one way the benchmarks start them (``bench_server`` and ``bench_pool`` too). The
WebSocket client speaks the ``v1.kernel.websocket.jupyter.org`` subprotocol (what JupyterLab
negotiates) and sets TCP_NODELAY on its side, as browsers do, so that what is measured is the
server.

- ``execute("1+1")`` round trip (send, then wait for the reply and IOPub idle): over
  kernelhub's WebSocket, over jupyter_server's, and with kernelhub's own ZeroMQ client on the
  same kernel as kernelhub's WebSocket (the floor). Target: at most the floor + 1 ms.
- ``POST /api/kernels`` until the first ``kernel_info_reply`` over a new WebSocket, kernel
  deleted after each run (not timed). Target: at most 0.75x jupyter_server's.

    python bench/bench_ws.py [--quick]        # or: python bench/run.py ws
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Result, compare, print_results
from bench_launch import Bare, with_floor

TITLE = "kernel WebSocket (ms, lower is better)"
BIN = Path(sys.executable).parent
TOKEN = "bench-" + uuid.uuid4().hex
V1 = "v1.kernel.websocket.jupyter.org"
START_TARGET = 0.75


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(root: Path) -> dict[str, str]:
    # HOME too: kernelhub finds Python environments under it, which would lengthen its
    # kernelspec listing on one machine and not another.
    dirs = {
        "HOME": root / "home",
        "JUPYTER_DATA_DIR": root / "data",
        "JUPYTER_CONFIG_DIR": root / "config",
        "JUPYTER_RUNTIME_DIR": root / "runtime",
        "JUPYTER_PATH": root / "path",
        "IPYTHONDIR": root / "ipython",
    }
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    return {**os.environ, **{k: str(v) for k, v in dirs.items()}, "JUPYTER_PLATFORM_DIRS": "1"}


class Server:
    """One server process (kernelhub or jupyter_server) and its REST calls."""

    def __init__(self, name: str, argv: list[str], port: int, root: Path) -> None:
        self.name, self.port, self.root = name, port, root
        self.env = _env(root)
        self.proc = subprocess.Popen(
            argv, env=self.env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while True:  # a benchmark may poll: readiness of another process, bounded
            try:
                self.rest("GET", "/api/status")
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"{name} did not start") from None
                time.sleep(0.05)

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        """One request over a fresh ``http.client`` connection: (status, body), any status."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            data = json.dumps(body) if body is not None else None
            conn.request(method, path, body=data, headers={"Authorization": f"token {TOKEN}"})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def rest(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def connect(self, kernel_id: str) -> Any:
        from websockets.sync.client import connect

        sock = socket.create_connection(("127.0.0.1", self.port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        url = (
            f"ws://127.0.0.1:{self.port}/api/kernels/{kernel_id}/channels"
            f"?session_id={uuid.uuid4().hex}&token={TOKEN}"
        )
        return connect(url, sock=sock, subprotocols=[V1], max_size=None)  # type: ignore[list-item]

    def close(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _message(msg_type: str, content: dict[str, Any]) -> tuple[str, bytes]:
    from jupyter_server.services.kernels.connection.base import serialize_msg_to_ws_v1

    msg_id = uuid.uuid4().hex
    header = {
        "msg_id": msg_id,
        "msg_type": msg_type,
        "username": "bench",
        "session": "bench",
        "date": "2026-01-01T00:00:00.000000Z",
        "version": "5.4",
    }
    msg = {"header": header, "parent_header": {}, "metadata": {}, "content": content}
    return msg_id, serialize_msg_to_ws_v1(msg, "shell", lambda o: json.dumps(o).encode())


def _round_trip(ws: Any, msg_type: str, content: dict[str, Any], idle: bool) -> float:
    """Send a request; ms until its reply (and, if ``idle``, its IOPub idle) came."""
    from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1

    msg_id, frame = _message(msg_type, content)
    start = time.perf_counter()
    ws.send(frame)
    replied, idled = False, not idle
    while not (replied and idled):
        channel, parts = deserialize_msg_from_ws_v1(ws.recv(timeout=60))
        if json.loads(parts[1] or b"{}").get("msg_id") != msg_id:
            continue
        if channel == "shell":
            replied = True
        elif channel == "iopub" and json.loads(parts[0])["msg_type"] == "status":
            idled = json.loads(parts[3]).get("execution_state") == "idle"
    return (time.perf_counter() - start) * 1000


class Direct:
    """kernelhub's AsyncKernelClient on a kernel of kernelhub serve, in a loop of its own."""

    def __init__(self, server: Server, kernel_id: str) -> None:
        import asyncio

        from kernelhub.client import AsyncKernelClient
        from kernelhub.connection import read_connection_file

        path = Path(server.env["JUPYTER_RUNTIME_DIR"]) / f"kernel-{kernel_id}.json"
        self.loop = asyncio.new_event_loop()
        self.client = AsyncKernelClient(read_connection_file(str(path)))
        self.opened = contextlib.AsyncExitStack()  # left in close
        self.loop.run_until_complete(self.opened.enter_async_context(self.client))
        self.loop.run_until_complete(self.client.wait_for_ready(30))

    def round_trip(self) -> float:
        start = time.perf_counter()
        self.loop.run_until_complete(self.client.execute("1+1"))
        return (time.perf_counter() - start) * 1000

    def close(self) -> None:
        self.loop.run_until_complete(self.opened.aclose())
        self.loop.close()


def _start_to_info(server: Server) -> float:
    start = time.perf_counter()
    kernel = server.rest("POST", "/api/kernels", {"name": "python3"})
    with server.connect(kernel["id"]) as ws:
        _round_trip(ws, "kernel_info_request", {}, idle=False)
    elapsed = (time.perf_counter() - start) * 1000
    server.rest("DELETE", f"/api/kernels/{kernel['id']}")
    return elapsed


@contextlib.contextmanager
def server_pair(root: Path, *options: str) -> Iterator[tuple[Server, Server]]:
    """``kernelhub serve`` (with ``options``) and ``jupyter server`` on free ports, their root
    directories ``root/kernelhub`` and ``root/jupyter_server``; both stopped afterwards."""
    ours_port, theirs_port = _free_port(), _free_port()
    ours = Server(
        "kernelhub",
        [
            *(str(BIN / "kernelhub"), "serve", "--ip", "127.0.0.1", "--port", str(ours_port)),
            *("--token", TOKEN, "--shutdown-kernels-on-exit", "--log-level", "WARNING"),
            *options,
        ],
        ours_port,
        root / "kernelhub",
    )
    try:
        theirs = Server(
            "jupyter_server",
            [
                *(str(BIN / "jupyter"), "server", "--allow-root", "--no-browser"),
                *(f"--port={theirs_port}", f"--IdentityProvider.token={TOKEN}"),
                "--ServerApp.log_level=WARN",
            ],
            theirs_port,
            root / "jupyter_server",
        )
        try:
            yield ours, theirs
        finally:
            theirs.close()
    finally:
        ours.close()


@contextlib.contextmanager
def servers() -> Iterator[tuple[Server, Server]]:
    """The two servers with default settings, in a temporary directory."""
    with tempfile.TemporaryDirectory() as tmp, server_pair(Path(tmp)) as pair:
        yield pair


def run(quick: bool) -> list[Result]:
    """The benchmark cases (``quick``: a smoke test with few runs, not figures)."""
    runs, starts = (4, 2) if quick else (30, 20)
    results = []
    with servers() as (ours, theirs):
        kh_kernel = ours.rest("POST", "/api/kernels", {"name": "python3"})["id"]
        js_kernel = theirs.rest("POST", "/api/kernels", {"name": "python3"})["id"]
        direct = Direct(ours, kh_kernel)
        with ours.connect(kh_kernel) as kh_ws, theirs.connect(js_kernel) as js_ws:
            # What kernelhub's client sends for execute("1+1") (and JupyterLab for a cell).
            content = {
                "code": "1+1",
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            }

            def kh() -> float:
                return _round_trip(kh_ws, "execute_request", content, idle=True)

            def js() -> float:
                return _round_trip(js_ws, "execute_request", content, idle=True)

            for warm in (kh, js, direct.round_trip) * 3:
                warm()
            floor = compare("execute: WS vs direct ZeroMQ", kh, direct.round_trip, runs=runs)
            limit = (floor.theirs or 0) + 1.0
            results.append(
                dataclasses.replace(
                    floor,
                    target=limit / floor.theirs if floor.theirs else None,
                    note=f"target: <= direct + 1 ms ({limit:.2f} ms)",
                )
            )
            results.append(compare("execute: WS vs jupyter_server WS", kh, js, runs=runs))
        direct.close()
        ours.rest("DELETE", f"/api/kernels/{kh_kernel}")
        theirs.rest("DELETE", f"/api/kernels/{js_kernel}")
        # The kernel's own start-up, with no server or manager: both servers stand on it.
        bare = Bare(_env(ours.root.parent / "bare"))
        floor_ms: list[float] = []
        start = compare(
            "POST /api/kernels -> WS kernel_info_reply",
            with_floor(lambda: _start_to_info(ours), bare.launch, floor_ms),
            lambda: _start_to_info(theirs),
            runs=starts,
            target=START_TARGET,
        )
        results.append(
            dataclasses.replace(
                start,
                note=f"floor (bare Popen -> first reply, no server) "
                f"{statistics.median(floor_ms):.0f} ms",
            )
        )
    return results


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    print_results(TITLE, run(parser.parse_args().quick))
