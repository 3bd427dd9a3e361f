"""The channels WebSocket against real kernels (ipykernel, bash_kernel) behind real uvicorn.

One server and one kernel of each kind serve the whole module (kernel starts are the expensive
part on shared machines); tests that kill or restart kernels live in test_ws_life.py.
"""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from websockets.exceptions import InvalidStatus

from kernelhub.protocol import Header
from kernelhub.server.channels.connection import ReplayBuffer
from kernelhub.server.kernels.hub import ServedKernel
from tests.server.ws_fixtures import (
    TOKEN,
    WAIT,
    LiveServer,
    isolated_env,
    live_server,
    parent_id,
    stream_text,
    trigger_and_wait,
    ws_client,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class Served:
    live: LiveServer
    py: ServedKernel
    bash: ServedKernel

    def url(self, kernel: ServedKernel, session_id: str | None = None, token: str = TOKEN) -> str:
        return self.live.url(kernel.id, session_id, token)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def served(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    with isolated_env(tmp_path_factory.mktemp("ws")):
        async with live_server() as live:
            py, bash = await asyncio.gather(
                live.hub.start_kernel("wstest-py"), live.hub.start_kernel("wstest-bash")
            )
            yield Served(live, py, bash)


def _idle_after(msg_id: str) -> Callable[[dict[str, Any]], bool]:
    def idle(m: dict[str, Any]) -> bool:
        state = m["content"].get("execution_state")
        return m["channel"] == "iopub" and state == "idle" and parent_id(m) == msg_id

    return idle


@pytest.mark.parametrize("v1", [False, True], ids=["json", "v1"])
@pytest.mark.parametrize("which", ["py", "bash"])
async def test_kernel_info(served: Served, v1: bool, which: str) -> None:
    kernel = getattr(served, which)
    async with ws_client(served.url(kernel), v1=v1) as client:
        msg_id = await client.send("shell", "kernel_info_request")
        reply = await client.reply(msg_id)
    assert reply["header"]["msg_type"] == "kernel_info_reply"
    assert reply["channel"] == "shell"
    assert reply["content"]["language_info"]["name"] == ("python" if which == "py" else "bash")


@pytest.mark.parametrize("v1", [False, True], ids=["json", "v1"])
async def test_execute_streams_output(served: Served, v1: bool) -> None:
    async with ws_client(served.url(served.py), v1=v1) as client:
        reply, outputs = await client.execute("print('hello'); 6 * 7")
    assert reply["content"]["status"] == "ok"
    assert stream_text(outputs) == "hello\n"
    [result] = [m for m in outputs if m["header"]["msg_type"] == "execute_result"]
    assert result["content"]["data"]["text/plain"] == "42"
    assert outputs[0]["content"]["execution_state"] == "busy"


async def test_bash_executes(served: Served) -> None:
    async with ws_client(served.url(served.bash), v1=True) as client:
        reply, outputs = await client.execute("echo from-bash")
    assert reply["content"]["status"] == "ok"
    assert "from-bash" in stream_text(outputs)


async def test_errors_reach_the_client(served: Served) -> None:
    async with ws_client(served.url(served.py)) as client:
        reply, outputs = await client.execute("1/0")
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "ZeroDivisionError"
    assert [m["content"]["ename"] for m in outputs if m["header"]["msg_type"] == "error"] == [
        "ZeroDivisionError"
    ]


@pytest.mark.parametrize("v1", [False, True], ids=["json", "v1"])
async def test_input_over_stdin(served: Served, v1: bool) -> None:
    async with ws_client(served.url(served.py), v1=v1) as client:
        code = "name = input('who? '); print('hi', name)"
        msg_id = await client.send("shell", "execute_request", {"code": code, "allow_stdin": True})
        request = await client.wait_for(lambda m: m["channel"] == "stdin")
        assert request["header"]["msg_type"] == "input_request"
        assert request["content"]["prompt"] == "who? "
        await client.send("stdin", "input_reply", {"value": "ada"})
        await client.wait_for(_idle_after(msg_id))
        reply = await client.reply(msg_id)
    assert reply["content"]["status"] == "ok"
    assert stream_text([m for m in client.received if parent_id(m) == msg_id]) == "hi ada\n"


ECHO_TARGET = """
import comm

def _echo(c, msg):
    c.on_msg(lambda m: c.send(data={"echo": m["content"]["data"]}, buffers=m["buffers"]))

comm.get_comm_manager().register_target("echo", _echo)
"""


@pytest.mark.parametrize("v1", [False, True], ids=["json", "v1"])
async def test_binary_buffers_both_ways(served: Served, v1: bool) -> None:
    """A comm echoes a message's binary buffers: browser -> kernel -> browser."""
    blob = bytes(range(256)) * 3
    async with ws_client(served.url(served.py), v1=v1) as client:
        reply, _ = await client.execute(ECHO_TARGET)
        assert reply["content"]["status"] == "ok"
        comm_id = uuid.uuid4().hex
        await client.send("shell", "comm_open", {"comm_id": comm_id, "target_name": "echo"})
        sent = await client.send(
            "shell", "comm_msg", {"comm_id": comm_id, "data": {"n": 1}}, buffers=[blob, b"2"]
        )
        echo = await client.wait_for(
            lambda m: m["header"]["msg_type"] == "comm_msg" and parent_id(m) == sent
        )
        await client.send("shell", "comm_close", {"comm_id": comm_id, "data": {}})
    assert echo["content"]["data"] == {"echo": {"n": 1}}
    assert [bytes(b) for b in echo["buffers"]] == [blob, b"2"]


async def test_comm_info_on_shell(served: Served) -> None:
    async with ws_client(served.url(served.py), v1=True) as client:
        await client.execute(ECHO_TARGET)
        comm_id = uuid.uuid4().hex
        await client.send("shell", "comm_open", {"comm_id": comm_id, "target_name": "echo"})
        msg_id = await client.send("shell", "comm_info_request", {"target_name": "echo"})
        reply = await client.reply(msg_id)
        await client.send("shell", "comm_close", {"comm_id": comm_id, "data": {}})
    assert reply["header"]["msg_type"] == "comm_info_reply"
    assert reply["content"]["comms"][comm_id] == {"target_name": "echo"}


@pytest.mark.parametrize("v1", [False, True], ids=["json", "v1"])
async def test_large_output(served: Served, v1: bool) -> None:
    async with ws_client(served.url(served.py), v1=v1) as client:
        reply, outputs = await client.execute("print('x' * 200_000)")
    assert reply["content"]["status"] == "ok"
    assert stream_text(outputs) == "x" * 200_000 + "\n"


async def test_interrupt(served: Served) -> None:
    code = "import time; print('sleeping', flush=True); time.sleep(60)"
    async with ws_client(served.url(served.py)) as client:
        msg_id = await client.send("shell", "execute_request", {"code": code})
        # Interrupt once the user's code runs (an earlier SIGINT hits IPython's own setup).
        await client.wait_for(
            lambda m: m["header"]["msg_type"] == "stream" and parent_id(m) == msg_id
        )
        path = f"/api/kernels/{served.py.id}/interrupt"
        assert await asyncio.to_thread(served.live.rest, "POST", path) == 204
        reply = await client.reply(msg_id)
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "KeyboardInterrupt"


async def test_control_channel(served: Served) -> None:
    async with ws_client(served.url(served.py), v1=True) as client:
        msg_id = await client.send("control", "kernel_info_request")
        reply = await client.reply(msg_id)
    assert reply["channel"] == "control"


async def test_two_clients_own_replies_shared_iopub(served: Served) -> None:
    async with (
        ws_client(served.url(served.py, "alice")) as alice,
        ws_client(served.url(served.py, "bob"), v1=True) as bob,
    ):
        assert served.py.connections == 2
        reply, _ = await alice.execute("print('for everyone')")
        assert reply["content"]["status"] == "ok"
        msg_id = reply["parent_header"]["msg_id"]
        await bob.wait_for(_idle_after(msg_id))
        seen_by_bob = [m for m in bob.received if parent_id(m) == msg_id]
        assert stream_text(seen_by_bob) == "for everyone\n"
        # Bob's own request gets Bob's reply; Alice never sees a reply she did not ask for.
        bob_id = await bob.send("shell", "kernel_info_request")
        await bob.reply(bob_id)
        alice_id = await alice.send("shell", "kernel_info_request")
        await alice.reply(alice_id)
        shell_to_alice = [m for m in alice.received if m["channel"] == "shell"]
        assert shell_to_alice == []
    # ...but she does see the IOPub traffic of Bob's request.
    assert {m["channel"] for m in alice.received if parent_id(m) == bob_id} == {"iopub"}


async def test_reconnect_replays_output(served: Served, tmp_path: Path) -> None:
    trigger = tmp_path / "go"
    code = (
        "import os, time\n"
        f"while not os.path.exists({str(trigger)!r}): time.sleep(0.01)\n"
        "print('done while away')"
    )
    async with ws_client(served.url(served.py, "replayed")) as client:
        msg_id = await client.send("shell", "execute_request", {"code": code})
        await client.wait_for(lambda m: m["header"]["msg_type"] == "execute_input")
    assert served.py.connections == 0
    await trigger_and_wait(served.py, trigger, "done while away")
    async with ws_client(served.url(served.py, "replayed"), v1=True) as again:
        await again.wait_for(_idle_after(msg_id))
        reply = await again.reply(msg_id)
    # print() may reach IOPub as two stream messages (the text, then the newline).
    assert stream_text([m for m in again.received if parent_id(m) == msg_id]) == (
        "done while away\n"
    )
    assert reply["content"]["status"] == "ok"


async def test_another_session_gets_no_replay(
    served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trigger = tmp_path / "go"
    code = (
        "import os, time\n"
        f"while not os.path.exists({str(trigger)!r}): time.sleep(0.01)\n"
        "print('done: private')"
    )
    buffered, msg_id = asyncio.Event(), ""
    add = ReplayBuffer.add

    def spy(self: ReplayBuffer, channel: str, parts: list[bytes], header: Header) -> None:
        add(self, channel, parts, header)
        if (json.loads(parts[1]) or {}).get("msg_id") == msg_id and b'"idle"' in parts[3]:
            buffered.set()

    monkeypatch.setattr(ReplayBuffer, "add", spy)
    async with ws_client(served.url(served.py, "first")) as client:
        msg_id = await client.send("shell", "execute_request", {"code": code})
        await client.wait_for(lambda m: m["header"]["msg_type"] == "execute_input")
    await trigger_and_wait(served.py, trigger, "done: private")
    # All of it in the buffer (the bridge reads IOPub apart from that direct client): what
    # the bridge read after the next client came would be live output, rightly shared.
    await asyncio.wait_for(buffered.wait(), WAIT)
    async with ws_client(served.url(served.py, "second")) as other:
        reply, _ = await other.execute("'marker'")
        assert reply["content"]["status"] == "ok"
    # Only the live tail of that execution (its idle status) may reach the new session.
    leaked = [m["header"]["msg_type"] for m in other.received if parent_id(m) == msg_id]
    assert set(leaked) <= {"status"}


@pytest.mark.parametrize("v1", [False, True], ids=["json", "v1"])
async def test_garbage_frames_break_nothing(
    served: Served, v1: bool, caplog: pytest.LogCaptureFixture
) -> None:
    garbage: list[str | bytes] = [
        "not json",
        "[]",
        json.dumps({"header": {"msg_type": "x"}, "channel": "shell"}),
        json.dumps({"header": {"msg_id": "a", "msg_type": "x"}, "channel": "iopub"}),
        b"\x00" * 3,
        b"\xff" * 64,
        b"\x05\x00\x00\x00\x00\x00\x00\x00" + b"\x01" * 40,
    ]
    async with (
        ws_client(served.url(served.py), v1=v1) as client,
        ws_client(served.url(served.py)) as bystander,
    ):
        for frame in garbage:
            await client.ws.send(frame)
        reply, _ = await client.execute("'still here'")
        assert reply["content"]["status"] == "ok"
        other, _ = await bystander.execute("'me too'")
        assert other["content"]["status"] == "ok"
    assert sum("ignored a bad WebSocket frame" in r.message for r in caplog.records) == len(garbage)


async def test_model_tracks_connections_and_state(served: Served) -> None:
    before = served.py.last_activity
    async with ws_client(served.url(served.py)) as client:
        assert served.py.connections == 1
        await client.execute("1")
        assert served.py.execution_state == "idle"
        assert served.py.last_activity > before
    assert served.py.connections == 0


async def test_tcp_nodelay_on_the_server_side(served: Served) -> None:
    async with ws_client(served.url(served.py)):
        sockets = served.live.server_sockets()
        assert sockets
        for sock in sockets:
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


@pytest.mark.parametrize(
    ("kind", "status"),
    [("origin", 403), ("token", 403), ("no-token", 403), ("kernel", 404), ("quoted", 404)],
)
async def test_refused_handshakes(served: Served, kind: str, status: int) -> None:
    url = served.url(served.py)
    headers = {}
    if kind == "origin":
        headers["Origin"] = "http://evil.example"
    elif kind == "token":
        url = served.url(served.py, token="wrong")
    elif kind == "no-token":
        url = url.split("?")[0]
    elif kind == "kernel":
        url = served.live.url("no-such-kernel")
    else:  # an id with a quote in it: the error body must still be valid JSON
        url = served.live.url("no%22such")
    with pytest.raises(InvalidStatus) as info:
        async with ws_client(url, additional_headers=headers):
            pass
    assert info.value.response.status_code == status
    if kind == "kernel":
        assert json.loads(info.value.response.body)["message"] == "no kernel with id no-such-kernel"
    if kind == "quoted":
        assert json.loads(info.value.response.body)["message"] == 'no kernel with id no"such'
    # Nothing happened to the kernel: it still answers.
    async with ws_client(served.url(served.py)) as client:
        reply, _ = await client.execute("'fine'")
    assert reply["content"]["status"] == "ok"


async def test_allowed_origin(served: Served) -> None:
    origin = f"http://127.0.0.1:{served.live.port}"
    async with ws_client(served.url(served.py), origin=origin) as client:  # type: ignore[arg-type]
        reply, _ = await client.execute("'same origin'")
    assert reply["content"]["status"] == "ok"
