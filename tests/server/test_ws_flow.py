"""Flow through the channels WebSocket with real kernels: a session that comes back while its
old connection is stale, and the state of a kernel that no WebSocket has ever watched. One
server serves the module, a fresh kernel each test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from kernelhub.server.channels import ChannelsAttachment
from kernelhub.server.hub import ServedKernel
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
        async with asyncio.timeout(WAIT):
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
