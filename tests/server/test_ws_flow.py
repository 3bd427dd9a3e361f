"""Flow through the channels WebSocket with real kernels: a session that comes back while its
old connection is stale, a flood of output to a client that reads slowly, and the state of a
kernel that no WebSocket has ever watched. One server serves the module, a fresh kernel each
test."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from kernelhub.protocol import Header
from kernelhub.server.channels import connection as wsconnection
from kernelhub.server.channels.connection import Connection
from kernelhub.server.channels.endpoint import ChannelsAttachment
from kernelhub.server.kernels.hub import ServedKernel
from tests.compat import timeout
from tests.server.ws_fixtures import (
    WAIT,
    LiveServer,
    isolated_env,
    live_server,
    parent_id,
    stream_text,
    wait_code,
    ws_client,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

_DROP_OVER = 64 * 1024
# Flushed every 100 lines: 2,000 stream messages (one per 0.2 s, unflushed, would be a few).
_FLOOD = (
    "import sys\nfor i in range(200000):\n    print(i)\n    if i % 100 == 99: sys.stdout.flush()\n"
)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveServer]:
    with isolated_env(tmp_path_factory.mktemp("wsflow")):
        async with live_server(attach=False) as live:  # create_app attaches the bridges
            yield live


@pytest_asyncio.fixture(loop_scope="module")
async def kernel(live: LiveServer) -> AsyncIterator[ServedKernel]:
    kernel = await live.hub.start_kernel("wstest-py")
    try:
        yield kernel
    finally:
        await live.hub.shutdown_kernel(kernel.id, now=True)


async def test_a_session_that_comes_back_replaces_its_stale_connection(
    live: LiveServer, kernel: ServedKernel, tmp_path: Path
) -> None:
    trigger = tmp_path / "go"
    async with ws_client(live.url(kernel.id, "comeback")) as stale:
        waiting = await stale.send(
            "shell", "execute_request", {"code": wait_code(trigger, "print('late')")}
        )
        await stale.wait_for(lambda m: m["header"]["msg_type"] == "execute_input")
        async with ws_client(live.url(kernel.id, "comeback"), v1=True) as fresh:
            await asyncio.wait_for(stale.ws.wait_closed(), WAIT)
            assert stale.ws.close_code == 1000
            assert "newer connection" in (stale.ws.close_reason or "")
            assert kernel.model()["connections"] == 1
            # The new connection has the session's sockets: the old request's reply is its.
            await asyncio.to_thread(trigger.touch)
            late = await fresh.reply(waiting)
            assert late["content"]["status"] == "ok"
            reply, outputs = await fresh.execute("print('fresh')")
            assert reply["content"]["status"] == "ok"
            assert stream_text(outputs) == "fresh\n"
            assert kernel.model()["connections"] == 1
    assert kernel.connections == 0


def _slow_socket(port: int) -> socket.socket:
    """A client TCP socket with a tiny receive window, so that the server's send blocks."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    return sock


@pytest.fixture
def watched(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A low drop threshold, and what each connection queues: the most bytes waiting at
    once, the largest frame, and an event per message id set when its idle status is queued."""
    monkeypatch.setattr(wsconnection, "DROP_OVER", _DROP_OVER)
    seen: dict[str, Any] = {"peak": 0, "largest": 0, "idle": {}}
    deliver, queue = Connection.deliver, Connection._queue

    def spy_queue(self: Connection, frame: wsconnection.Frame) -> None:
        queue(self, frame)
        seen["peak"] = max(seen["peak"], self.pending)
        seen["largest"] = max(seen["largest"], len(frame))

    def spy_deliver(
        self: Connection, channel: str, parts: list[bytes], header: Header, cache: Any
    ) -> None:
        deliver(self, channel, parts, header, cache)
        if header.get("msg_type") == "status" and b'"idle"' in parts[3]:
            parent = json.loads(parts[1]).get("msg_id")
            seen["idle"].setdefault(parent, asyncio.Event()).set()

    monkeypatch.setattr(Connection, "_queue", spy_queue)
    monkeypatch.setattr(Connection, "deliver", spy_deliver)
    return seen


async def test_a_flood_to_a_slow_client_is_dropped_with_a_notice(
    live: LiveServer, kernel: ServedKernel, watched: dict[str, Any]
) -> None:
    sock = _slow_socket(live.port)
    async with ws_client(live.url(kernel.id), sock=sock, max_queue=1) as client:
        # ...and the server's side a small send buffer (else Linux grows it to megabytes).
        [server_side] = live.server_sockets()
        server_side.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        msg_id = await client.send("shell", "execute_request", {"code": _FLOOD})
        idle = watched["idle"].setdefault(msg_id, asyncio.Event())
        # The client reads nothing until the flood is over and queued on the server's side.
        await asyncio.wait_for(idle.wait(), WAIT)
        # Megabytes of output, never more queued than the threshold and a few frames more.
        assert watched["peak"] <= _DROP_OVER + 8 * watched["largest"]
        [conn] = _bridges(live).bridges[kernel.id].connections
        assert conn.dropped > 0
        assert conn.dropped_bytes > 1024 * 1024
        # Statuses are never dropped: the client sees the cell end; nor are replies.
        await client.wait_for(
            lambda m: parent_id(m) == msg_id and m["content"].get("execution_state") == "idle"
        )
        reply = await client.reply(msg_id)
        outputs = [m for m in client.received if parent_id(m) == msg_id]
    assert reply["content"]["status"] == "ok"
    assert outputs[0]["content"]["execution_state"] == "busy"
    notices = [m for m in outputs if "output dropped" in m["content"].get("text", "")]
    assert notices
    assert {m["content"]["name"] for m in notices} == {"stderr"}
    numbers = [int(n) for n in stream_text(outputs).split()]
    assert numbers == sorted(set(numbers))  # in order, none twice...
    assert 0 < len(numbers) < 200000  # ...and some dropped


async def test_a_kernel_nobody_watches_keeps_its_state(
    live: LiveServer, kernel: ServedKernel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bridge is there from the start: IOPub drives the model with no WebSocket."""
    assert kernel.model()["execution_state"] == "idle"
    assert kernel.id in _bridges(live).bridges  # opened at start, not by a client
    heard = asyncio.Event()
    touch = kernel.touch

    def spy() -> None:  # the bridge touches the model after each IOPub message
        touch()
        heard.set()

    async def state(wanted: str) -> None:
        async with timeout(WAIT):
            while kernel.execution_state != wanted:
                heard.clear()
                await heard.wait()

    monkeypatch.setattr(kernel, "touch", spy)
    trigger = tmp_path / "go"
    started = kernel.last_activity
    async with kernel.manager.client() as direct:
        running = asyncio.ensure_future(direct.execute(wait_code(trigger, "1"), timeout=WAIT))
        await state("busy")
        await asyncio.to_thread(trigger.touch)
        await running
    await state("idle")
    assert kernel.last_activity > started
    assert kernel.connections == 0


async def test_a_kernel_info_answered_while_busy_leaves_it_busy(
    live: LiveServer, kernel: ServedKernel, tmp_path: Path
) -> None:
    """ipykernel answers kernel_info on control while a cell runs, with a busy and an idle
    of its own: the model stays busy (as in Jupyter Server)."""
    trigger = tmp_path / "go"
    async with ws_client(live.url(kernel.id)) as client:
        running = await client.send("shell", "execute_request", {"code": wait_code(trigger, "1")})
        await client.wait_for(lambda m: m["header"]["msg_type"] == "execute_input")
        assert kernel.execution_state == "busy"
        info = await client.send("control", "kernel_info_request")
        await client.wait_for(
            lambda m: parent_id(m) == info and m["content"].get("execution_state") == "idle"
        )
        assert kernel.execution_state == "busy"
        await asyncio.to_thread(trigger.touch)
        await client.wait_for(
            lambda m: parent_id(m) == running and m["content"].get("execution_state") == "idle"
        )
        assert kernel.execution_state == "idle"


async def test_a_status_read_after_a_death_does_not_revive_the_model(
    live: LiveServer, kernel: ServedKernel
) -> None:
    """The kernel's last statuses may be read after its death was seen: 'dead' stays."""
    kernel.execution_state, kernel.reason = "dead", "as the hub records a death"
    async with ws_client(live.url(kernel.id)) as client:
        told = await client.recv()  # a client of a dead kernel is told at once
        assert told["content"]["execution_state"] == "dead"
        msg_id = await client.send("shell", "kernel_info_request")
        await client.wait_for(
            lambda m: parent_id(m) == msg_id and m["content"].get("execution_state") == "idle"
        )
    assert kernel.execution_state == "dead"


def _bridges(live: LiveServer) -> ChannelsAttachment:
    """The channels attachment that create_app added to the hub."""
    [attachment] = [a for a in live.hub.attachments if isinstance(a, ChannelsAttachment)]
    return attachment


async def test_kernel_info_from_a_client_is_not_activity(
    live: LiveServer, kernel: ServedKernel
) -> None:
    """A frontend's kernel_info (sent on every reconnect) must not keep an idle kernel from
    being culled; code it runs does count."""
    async with ws_client(live.url(kernel.id)) as client:
        # The connection's own settling (its IOPub nudge) is over once a first reply is in.
        first = await client.send("shell", "kernel_info_request")
        await client.wait_for(lambda m: parent_id(m) == first and m["channel"] == "shell")
        before = kernel.last_activity
        info = await client.send("shell", "kernel_info_request")
        await client.wait_for(
            lambda m: parent_id(m) == info and m["content"].get("execution_state") == "idle"
        )
        assert kernel.last_activity == before
        ran = await client.send("shell", "execute_request", {"code": "1+1"})
        await client.wait_for(
            lambda m: parent_id(m) == ran and m["content"].get("execution_state") == "idle"
        )
        assert kernel.last_activity > before
