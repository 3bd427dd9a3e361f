"""A connection's outbox bound counts what the writer holds, not only what is queued."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from kernelhub.server.channels import connection as wsconnection

STREAM = {"msg_id": "a", "msg_type": "stream"}


def _stream(size: int) -> list[bytes]:
    return [b'{"msg_id":"a","msg_type":"stream"}', b"{}", b"{}", b'{"text":"' + b"x" * size + b'"}']


async def test_output_is_dropped_while_the_writer_still_holds_a_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(wsconnection, "DROP_OVER", 1000)
    bridge: Any = SimpleNamespace(id="k")
    conn = wsconnection.Connection(bridge, SimpleNamespace(), v1=True)  # type: ignore[arg-type]
    conn.deliver("iopub", _stream(5000), STREAM, {})  # one large message: queued
    taken = await conn.frames()
    assert taken is not None
    assert conn.pending == 0  # the outbox is empty, but the writer has not written it yet
    conn.deliver("iopub", _stream(100), STREAM, {})
    assert conn.dropped == 1  # counted against the bound all the same
    # The notice of the gap is queued; a reply is never dropped.
    conn.deliver("shell", _stream(100), {"msg_id": "b", "msg_type": "execute_reply"}, {})
    frames = await conn.frames()  # the writer is done with the first batch
    assert frames is not None
    assert len(frames) == 2
    assert b"output dropped" in frames[0]
    # Once the writer asks for more, all it had is written: output is queued again.
    writer = asyncio.ensure_future(conn.frames())
    await asyncio.sleep(0)  # one step: the writer is waiting on an empty outbox
    assert conn.inflight == conn.pending == 0
    conn.deliver("iopub", _stream(100), STREAM, {})
    assert conn.dropped == 1
    assert len(await asyncio.wait_for(writer, 5) or ()) == 1
