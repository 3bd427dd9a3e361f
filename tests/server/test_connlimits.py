"""The connection limits of ``kernelhub serve`` (a real subprocess, real sockets): idle and
half-sent connections are closed, and idle sockets without a token cannot crowd out clients
that have one."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import select
import socket
import time
from pathlib import Path

import pytest

from tests.server.conftest import TOKEN
from tests.server.serve_process import WAIT, ServeProcess, serve, serve_processes
from tests.server.ws_fixtures import stream_text, ws_client

__all__ = ["serve_processes"]  # the fixture, imported for the tests of this module

SHORT = 1.0  # the timeouts under test: long enough for a request, short for a test


@pytest.fixture
def server(tmp_path: Path, serve_processes: Path, monkeypatch: pytest.MonkeyPatch) -> ServeProcess:
    """``kernelhub serve`` with short header and keep-alive timeouts (from the environment)."""
    monkeypatch.setenv("KERNELHUB_HEADER_TIMEOUT", str(SHORT))
    monkeypatch.setenv("KERNELHUB_KEEP_ALIVE_TIMEOUT", str(SHORT))
    (tmp_path / "root").mkdir()
    return serve(tmp_path / "state", tmp_path / "root")


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    sock.settimeout(WAIT)
    return sock


def _closed_by_server(sock: socket.socket) -> bool:
    """Wait (bounded) for the server to close ``sock``: whether it did (EOF or reset)."""
    try:
        while data := sock.recv(65536):
            del data  # a response (a 431, say) before the close
        return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def _still_open(sock: socket.socket) -> bool:
    """Whether ``sock`` has nothing to read now (no EOF, no reset): the server keeps it."""
    readable, _, _ = select.select([sock], [], [], 0)
    return not readable


def _authenticated_get(conn: http.client.HTTPConnection, path: str = "/api/kernels") -> int:
    conn.request("GET", path, headers={"Authorization": f"token {TOKEN}"})
    response = conn.getresponse()
    response.read()
    return response.status


def test_a_socket_that_sends_nothing_is_closed_after_the_header_timeout(
    server: ServeProcess,
) -> None:
    sock = _connect(server.port)
    with sock:
        start = time.monotonic()
        assert _closed_by_server(sock)
        assert time.monotonic() - start >= SHORT * 0.9  # the deadline, not an instant refusal


def test_half_a_header_is_closed_even_while_bytes_keep_coming(server: ServeProcess) -> None:
    sock = _connect(server.port)
    with sock:
        sock.sendall(b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        # A slowloris: one byte every 50 ms never completes the header; the deadline is for
        # the whole header, so the trickle does not keep the connection alive.
        deadline = time.monotonic() + WAIT
        closed = False
        while time.monotonic() < deadline and not closed:
            readable, _, _ = select.select([sock], [], [], 0.05)
            if readable:
                closed = _closed_by_server(sock)
                break
            try:
                sock.sendall(b"a")
            except (BrokenPipeError, ConnectionResetError):
                closed = True
        assert closed, "the server kept a never-ending header open"


def test_an_idle_keep_alive_connection_is_closed(server: ServeProcess) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=WAIT)
    try:
        # Served at once, and again on the same connection: the deadlines spare real clients.
        assert _authenticated_get(conn) == 200
        assert _authenticated_get(conn, "/api/status") == 200
        assert conn.sock is not None
        assert _closed_by_server(conn.sock)
    finally:
        conn.close()


def test_oversized_headers_are_refused(server: ServeProcess) -> None:
    sock = _connect(server.port)
    with sock:
        sock.sendall(b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"b" * 70_000)
        answer = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 431 "), answer[:100]


def test_idle_sockets_without_a_token_do_not_crowd_out_clients(
    tmp_path: Path, serve_processes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cap, idle_count = 20, 100
    monkeypatch.setenv("KERNELHUB_MAX_UNAUTHENTICATED", str(cap))
    monkeypatch.setenv("KERNELHUB_HEADER_TIMEOUT", str(WAIT * 4))  # only the cap closes them
    monkeypatch.setenv("KERNELHUB_KEEP_ALIVE_TIMEOUT", str(WAIT * 4))
    (tmp_path / "root").mkdir()
    server = serve(tmp_path / "state", tmp_path / "root")
    started = server.client.post("/api/kernels", {})
    assert started.status == 201, started.body
    url = f"ws://127.0.0.1:{server.port}/api/kernels/{started.json()['id']}/channels?token={TOKEN}"
    kept = http.client.HTTPConnection("127.0.0.1", server.port, timeout=WAIT)
    idle: list[socket.socket] = []

    def crowd() -> None:
        idle.extend(_connect(server.port) for _ in range(idle_count))
        assert _authenticated_get(kept) == 200  # authenticated: no longer counted
        idle.extend(_connect(server.port) for _ in range(idle_count))

    async def go() -> None:
        async with ws_client(url, v1=True) as before:
            reply, _ = await before.execute("x = 41")
            assert reply["content"]["status"] == "ok"
            await asyncio.to_thread(crowd)
            # A WebSocket open before the crowd, and one opened after it, both work.
            reply, outputs = await before.execute("print(x + 1)")
            assert stream_text(outputs) == "42\n"
            async with ws_client(url) as after:
                reply, outputs = await after.execute("print(x)")
                assert stream_text(outputs) == "41\n"

    try:
        asyncio.run(go())
        # A new client with the token is served, and so is the one that authenticated before.
        fresh = http.client.HTTPConnection("127.0.0.1", server.port, timeout=WAIT)
        try:
            assert _authenticated_get(fresh) == 200
        finally:
            fresh.close()
        assert _authenticated_get(kept) == 200
        # The cap was kept by closing the oldest: the newest idle sockets are still open.
        closed = [sock for sock in idle[: -cap + 1] if _closed_by_server(sock)]
        assert len(closed) == len(idle) - cap + 1
        assert all(_still_open(sock) for sock in idle[-cap + 1 :])
        server.wait_log("connections without a token closed (more than 20 were open)")
    finally:
        kept.close()
        for sock in idle:
            sock.close()
