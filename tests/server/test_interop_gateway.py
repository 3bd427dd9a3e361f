"""Jupyter Server in gateway mode (``--gateway-url``) with ``kernelhub serve`` as its gateway.

A kernel is started through Jupyter Server's REST API; Jupyter Server asks kernelhub for it
(``POST /api/kernels`` with its token); code runs over Jupyter Server's WebSocket (the JSON
framing), which Jupyter Server relays to kernelhub's. The kernel is kernelhub's: its
``GET /api/kernels`` lists it.
"""

from __future__ import annotations

import asyncio
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from tests.server.conftest import TOKEN, Client
from tests.server.serve_process import WAIT, kernel_processes, serve, serve_processes
from tests.server.ws_fixtures import stream_text, ws_client

__all__ = ["serve_processes"]  # the fixture, imported for the tests of this module

JS_TOKEN = "jupyter-server-token-42"
# Jupyter Server's own URL (the gateway's URL is logged too, but without a token). Jupyter
# Server logs it before it binds its socket (a callback of its event loop, run before the one
# that starts the extensions): the debug line of an extension started says it listens.
_JS_URL = re.compile(r"http://127\.0\.0\.1:(\d+)/\?token=")
_JS_LISTENING = "extension was successfully started"


def _pump(pipe: IO[str], sink: queue.Queue[str]) -> None:
    for line in pipe:
        sink.put(line)
    sink.put("")  # the end


@pytest.fixture
def jupyter_server(tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    """The Jupyter Server processes a test starts; stopped (bounded) afterwards."""
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(WAIT)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(WAIT)
        if proc.stderr is not None:
            proc.stderr.close()


def start_jupyter_server(
    procs: list[subprocess.Popen[str]], cwd: Path, gateway_port: int
) -> tuple[int, list[str]]:
    """Start Jupyter Server with kernelhub as its gateway; its port once it serves, and its
    log so far."""
    argv = [sys.executable, "-m", "jupyter_server", "--allow-root", "--no-browser"]
    argv += ["--ip", "127.0.0.1", "--port", "0", "--log-level=DEBUG"]
    argv += [f"--IdentityProvider.token={JS_TOKEN}", f"--GatewayClient.auth_token={TOKEN}"]
    argv += [f"--gateway-url=http://127.0.0.1:{gateway_port}"]
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    procs.append(proc)
    assert proc.stderr is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_pump, args=(proc.stderr, lines), daemon=True).start()
    log: list[str] = []
    port = None
    while True:
        try:
            line = lines.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"Jupyter Server did not start: {''.join(log)}") from None
        assert line, f"Jupyter Server exited: {''.join(log)}"
        log.append(line)
        found = _JS_URL.search(line)
        if found:
            port = int(found[1])
        if port is not None and _JS_LISTENING in line:
            return port, log


@pytest.mark.timeout(120)
def test_jupyter_server_runs_code_in_a_kernelhub_kernel(
    tmp_path: Path, serve_processes: Path, jupyter_server: list[subprocess.Popen[str]]
) -> None:
    (tmp_path / "root").mkdir()
    hub = serve(tmp_path / "state", tmp_path / "root", "--shutdown-kernels-on-exit")
    js_port, _ = start_jupyter_server(jupyter_server, tmp_path, hub.port)
    js = Client(js_port, JS_TOKEN)

    started = js.post("/api/kernels", {"name": "python3"})
    assert started.status == 201, started.body
    kernel_id = started.json()["id"]
    listed = hub.client.get("/api/kernels")
    assert listed.status == 200
    assert kernel_id in [k["id"] for k in listed.json()]
    assert hub.client.get(f"/api/kernels/{kernel_id}").json()["name"] == "python3"

    async def run() -> tuple[str, str]:
        url = f"ws://127.0.0.1:{js_port}/api/kernels/{kernel_id}/channels?token={JS_TOKEN}"
        async with ws_client(url) as client:  # JSON framing, as Jupyter Server relays it
            reply, outputs = await asyncio.wait_for(client.execute("print(6*7)"), WAIT)
        return reply["content"]["status"], stream_text(outputs)

    status, text = asyncio.run(run())
    assert status == "ok"
    assert text == "42\n"

    deleted = js.delete(f"/api/kernels/{kernel_id}")
    assert deleted.status == 204, deleted.body
    assert kernel_id not in [k["id"] for k in hub.client.get("/api/kernels").json()]

    proc = jupyter_server[0]
    proc.send_signal(signal.SIGTERM)
    proc.wait(WAIT)
    assert hub.stop() == 0
    assert not kernel_processes(serve_processes)
