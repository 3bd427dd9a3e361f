"""Flow through the channels WebSocket with real kernels: a session that comes back while its
old connection is stale. One server serves the module, a fresh kernel each test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from kernelhub.server.hub import ServedKernel
from tests.server.ws_fixtures import (
    WAIT,
    LiveServer,
    isolated_env,
    live_server,
    stream_text,
    wait_code,
    ws_client,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveServer]:
    with isolated_env(tmp_path_factory.mktemp("wsflow")):
        async with live_server() as live:
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
