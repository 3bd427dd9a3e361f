"""Kernel life seen through the channels WebSocket: death, auto-restart, restart, shutdown,
and the bound on output kept for a disconnected client. A fresh server and kernel per test."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from kernelhub.manager import KernelManager
from kernelhub.server.channels.connection import ReplayBuffer
from kernelhub.server.channels.endpoint import ChannelsAttachment
from kernelhub.server.kernels.hub import StartRequest
from tests.server.ws_fixtures import (
    WAIT,
    live_server,
    parent_id,
    trigger_and_wait,
    wait_code,
    ws_client,
)


async def _no_restarts(request: StartRequest) -> KernelManager:
    manager = KernelManager(
        request.kernel_type, cwd=request.cwd, env=request.env, kernel_id=request.kernel_id
    )
    await manager.start()
    return manager


def _status(state: str) -> object:
    return lambda m: m["channel"] == "iopub" and m["content"].get("execution_state") == state


@pytest.mark.parametrize("v1", [False, True], ids=["json", "v1"])
async def test_death_is_a_dead_status_with_the_reason(v1: bool) -> None:
    async with live_server(starter=_no_restarts) as live:
        kernel = await live.hub.start_kernel("wstest-py")
        async with ws_client(live.url(kernel.id), v1=v1) as client:
            await client.send("shell", "execute_request", {"code": "import os; os._exit(3)"})
            dead = await client.wait_for(_status("dead"))  # type: ignore[arg-type]
        assert "3" in dead["content"]["reason"]
        assert dead["parent_header"] == {}
        assert kernel.execution_state == "dead"
        assert kernel.reason == dead["content"]["reason"]
        # A client that connects later is told at once.
        async with ws_client(live.url(kernel.id), v1=v1) as late:
            told = await late.recv()
        assert told["content"] == dead["content"]


async def test_auto_restart_is_announced_and_the_socket_keeps_working() -> None:
    async with live_server() as live:
        kernel = await live.hub.start_kernel("wstest-py")
        async with ws_client(live.url(kernel.id)) as client:
            await client.send("shell", "execute_request", {"code": "import os; os._exit(1)"})
            restarting = await client.wait_for(_status("restarting"))  # type: ignore[arg-type]
            assert "1" in restarting["content"]["reason"]
            assert not any(m["content"].get("execution_state") == "dead" for m in client.received)
            # The same WebSocket reaches the new process (same ports, sockets reconnect).
            reply, _ = await client.execute("'back'")
            assert reply["content"]["status"] == "ok"


async def test_restart_on_request_keeps_the_socket() -> None:
    async with live_server() as live:
        kernel = await live.hub.start_kernel("wstest-py")
        async with ws_client(live.url(kernel.id), v1=True) as client:
            await client.execute("x = 1")
            await live.hub.restart_kernel(kernel.id)
            reply, outputs = await client.execute("'x' in dir()")
        assert reply["content"]["status"] == "ok"
        [result] = [m for m in outputs if m["header"]["msg_type"] == "execute_result"]
        assert result["content"]["data"]["text/plain"] == "False"
        assert kernel.execution_state == "idle"


async def test_the_first_websocket_attaches_the_bridge() -> None:
    """A hub without the channels attachment (create_app adds it; an app made without the
    services does not): the endpoint adds it."""
    async with live_server(attach=False) as live:
        live.hub.attachments[:] = [
            a for a in live.hub.attachments if not isinstance(a, ChannelsAttachment)
        ]
        kernel = await live.hub.start_kernel("wstest-py")
        async with ws_client(live.url(kernel.id), v1=True) as client:
            # The handshake waited for the new bridge's IOPub: the first output arrives.
            reply, outputs = await client.execute("print('first')")
        assert reply["content"]["status"] == "ok"
        assert [m["content"]["text"] for m in outputs if m["header"]["msg_type"] == "stream"] == [
            "first\n"
        ]
        [attachment] = [a for a in live.hub.attachments if isinstance(a, ChannelsAttachment)]
        assert kernel.id in attachment.bridges


async def test_shutdown_closes_the_socket() -> None:
    async with live_server() as live:
        kernel = await live.hub.start_kernel("wstest-py")
        async with ws_client(live.url(kernel.id)) as client:
            await live.hub.shutdown_kernel(kernel.id)
            await asyncio.wait_for(client.ws.wait_closed(), WAIT)
            assert client.ws.close_code == 1000
        assert live.attachment.bridges == {}


async def test_replay_is_bounded_oldest_dropped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    trigger = tmp_path / "go"
    lines = "for i in range(40): print(f'{i:03d}' + 'x' * 500, flush=True)\nprint('done')"
    async with live_server(buffer_bytes=8000) as live:
        kernel = await live.hub.start_kernel("wstest-py")
        async with ws_client(live.url(kernel.id, "s1")) as client:
            msg_id = await client.send(
                "shell", "execute_request", {"code": wait_code(trigger, lines)}
            )
            await client.wait_for(lambda m: m["header"]["msg_type"] == "execute_input")
        with caplog.at_level(logging.WARNING, logger="kernelhub.server"):
            await trigger_and_wait(kernel, trigger, "done")
            async with ws_client(live.url(kernel.id, "s1")) as again:
                await again.wait_for(
                    lambda m: m["header"]["msg_type"] == "stream" and "done" in m["content"]["text"]
                )
                await again.reply(msg_id)
    replayed = "".join(
        m["content"]["text"]
        for m in again.received
        if m["header"]["msg_type"] == "stream" and parent_id(m) == msg_id
    )
    numbers = [int(line[:3]) for line in replayed.splitlines() if line[:3].isdigit()]
    assert numbers
    assert numbers[-1] == 39  # the newest output is kept...
    assert numbers[0] > 0  # ...the oldest was dropped
    assert any("buffered messages dropped" in r.message for r in caplog.records)
    # ...and the client is told so, first, in the output of the execution that lost some.
    told = again.received[0]
    assert told["header"]["msg_type"] == "stream"
    assert told["content"]["name"] == "stderr"
    assert "were dropped" in told["content"]["text"]
    assert parent_id(told) == msg_id


def test_replay_buffer_keeps_the_newest_within_its_limit() -> None:
    buffer = ReplayBuffer(100)
    for i in range(10):
        buffer.add("iopub", [b"x" * 30, str(i).encode()], {"msg_id": str(i), "msg_type": "stream"})
    assert buffer.size <= 100
    assert [h["msg_id"] for _, _, h in buffer.items] == ["7", "8", "9"]
    assert buffer.dropped == 7


def test_uvloop_sets_tcp_nodelay_on_accepted_sockets() -> None:
    """uvicorn's default loop is uvloop when installed: its TCP transports set TCP_NODELAY."""
    uvloop = pytest.importorskip("uvloop")
    loop = uvloop.new_event_loop()
    seen: list[int] = []
    accepted = threading.Event()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            accepted.set()

    server = loop.run_until_complete(loop.create_server(Probe, "127.0.0.1", 0))
    port = server.sockets[0].getsockname()[1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT):
            assert accepted.wait(WAIT)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(WAIT)
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()
    assert seen
    assert seen[0] != 0


async def test_a_client_that_reads_too_slowly_is_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    from kernelhub.server.channels import connection as wsconnection

    monkeypatch.setattr(wsconnection, "OUTBOX_LIMIT", 1000)
    bridge: Any = SimpleNamespace(id="k")
    conn = wsconnection.Connection(bridge, SimpleNamespace(), v1=True)  # type: ignore[arg-type]
    parts = [b'{"msg_id":"a","msg_type":"stream"}', b"{}", b"{}", b'{"text":"' + b"x" * 600 + b'"}']
    conn.deliver("iopub", parts, {"msg_id": "a", "msg_type": "stream"}, {})
    assert conn.close_code is None
    conn.deliver("iopub", parts, {"msg_id": "a", "msg_type": "stream"}, {})
    assert conn.close_code == 1013
    assert await conn.frames() is not None  # what was queued is still written, then the close
    assert await conn.frames() is None
