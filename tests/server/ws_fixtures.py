"""Helpers for the WebSocket tests: the real app (``create_app``) served by uvicorn in the
test's loop, kernel types, and a WebSocket client that speaks either framing through
jupyter_server's own codecs (so that our framing is checked against an independent
implementation, not against itself)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import uvicorn
from jupyter_server.services.kernels.connection.base import (
    deserialize_binary_message,
    deserialize_msg_from_ws_v1,
    serialize_binary_message,
    serialize_msg_to_ws_v1,
)
from websockets.asyncio.client import ClientConnection, connect

from kernelhub.protocol import Message, Session
from kernelhub.providers.base import KernelType
from kernelhub.providers.finder import KernelFinder
from kernelhub.server.app import create_app
from kernelhub.server.channels.endpoint import ChannelsAttachment
from kernelhub.server.channels.frames import V1_SUBPROTOCOL
from kernelhub.server.config import ServerConfig
from kernelhub.server.kernels.hub import KernelHub
from tests.compat import timeout

TOKEN = "ws-test-token"
WAIT = 30.0  # every wait on a kernel is bounded by this


def kernel_type(name: str, module: str, language: str, **extra: Any) -> KernelType:
    """A kernel type running ``python -m module`` on the test interpreter."""
    return KernelType(
        id=f"wstest/{name}",
        provider="wstest",
        name=name,
        display_name=name,
        language=language,
        argv=(sys.executable, "-m", module, "-f", "{connection_file}"),
        env={"PYDEVD_DISABLE_FILE_VALIDATION": "1"},
        interpreter=sys.executable,
        **extra,
    )


class TypesProvider:
    """A provider of fixed kernel types: ``wstest-py`` (ipykernel), ``wstest-bash``."""

    id = "wstest"

    def __init__(self) -> None:
        self.types = [
            kernel_type("py", "ipykernel_launcher", "python"),
            kernel_type("bash", "bash_kernel", "bash"),
        ]

    def find(self, *, include_hidden: bool = False) -> list[KernelType]:
        return list(self.types)


@contextlib.contextmanager
def isolated_env(root: Path) -> Iterator[None]:
    """HOME and the Jupyter directories under ``root`` (for fixtures wider than a test)."""
    values = {
        "HOME": str(root / "home"),
        "JUPYTER_DATA_DIR": str(root / "data"),
        "JUPYTER_CONFIG_DIR": str(root / "config"),
        "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
        "JUPYTER_PATH": str(root / "path"),
        "IPYTHONDIR": str(root / "home" / ".ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    for value in values.values():
        os.makedirs(value, exist_ok=True)
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


class LiveServer:
    """uvicorn serving a hub on 127.0.0.1, a free port, in the running loop."""

    def __init__(self, hub: KernelHub, attachment: ChannelsAttachment, ws: str) -> None:
        self.hub, self.attachment = hub, attachment
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        config = uvicorn.Config(
            create_app(hub.config, hub=hub),
            host="127.0.0.1",
            port=self.port,
            ws=ws,  # type: ignore[arg-type]
            lifespan="off",
            log_level="warning",
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)

    def url(self, kernel_id: str, session_id: str | None = None, token: str = TOKEN) -> str:
        query = f"?token={token}" + (f"&session_id={session_id}" if session_id else "")
        return f"ws://127.0.0.1:{self.port}/api/kernels/{kernel_id}/channels{query}"

    def rest(self, method: str, path: str) -> int:
        """Make a REST call with the token (blocking: run it in a thread); its status."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            method=method,
            headers={"Authorization": f"token {TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=WAIT) as response:
            return int(response.status)

    def server_sockets(self) -> list[socket.socket]:
        """The server's side of every open connection."""
        return [
            conn.transport.get_extra_info("socket")  # type: ignore[attr-defined]
            for conn in self.server.server_state.connections
        ]


@contextlib.asynccontextmanager
async def live_server(
    buffer_bytes: int = 2 * 1024 * 1024,
    ws: str = "websockets-sansio",
    starter: Any = None,
    attach: bool = True,
) -> AsyncIterator[LiveServer]:
    """A hub with our channels attachment (unless not ``attach``: then ``create_app`` adds
    its own, not ``LiveServer.attachment``), served by uvicorn; everything closed after."""
    config = ServerConfig(token=TOKEN, buffer_bytes=buffer_bytes, shutdown_kernels_on_exit=True)
    hub = KernelHub(config, KernelFinder([TypesProvider()]))
    hub.starter = starter
    attachment = ChannelsAttachment(config)
    if attach:
        hub.add_attachment(attachment)
    live = LiveServer(hub, attachment, ws)
    # serve() without its signal handlers and main loop: load, then start listening.
    live.server.config.load()
    live.server.lifespan = live.server.config.lifespan_class(live.server.config)
    await live.server.startup()
    try:
        yield live
    finally:
        live.server.should_exit = True
        await live.server.shutdown()
        await hub.aclose()
        for added in hub.attachments:
            if isinstance(added, ChannelsAttachment):
                await added.aclose()


class WsClient:
    """A channels WebSocket client; messages are dicts with ``channel`` and ``buffers``."""

    def __init__(self, ws: ClientConnection, v1: bool) -> None:
        self.ws, self.v1 = ws, v1
        self.session = Session(b"")
        self.received: list[dict[str, Any]] = []

    async def send(
        self,
        channel: str,
        msg_type: str,
        content: Mapping[str, Any] | None = None,
        buffers: Sequence[bytes] = (),
    ) -> str:
        """Send a new message; return its msg_id."""
        msg = self.session.message(msg_type, content or {})
        data = msg.to_dict()
        if self.v1:
            keys = ("header", "parent_header", "metadata", "content")
            parts = [self.session_pack(data[k]) for k in keys] + list(buffers)
            await self.ws.send(serialize_msg_to_ws_v1(parts, channel))
        elif buffers:
            await self.ws.send(
                serialize_binary_message({**data, "channel": channel, "buffers": list(buffers)})
            )
        else:
            data["channel"] = channel
            del data["buffers"]
            await self.ws.send(json.dumps(data))
        return msg.msg_id

    @staticmethod
    def session_pack(obj: Any) -> bytes:
        return json.dumps(obj).encode()

    def _decode(self, frame: str | bytes) -> dict[str, Any]:
        if isinstance(frame, str):
            return dict(json.loads(frame))
        if not self.v1:
            return dict(deserialize_binary_message(frame))
        channel, parts = deserialize_msg_from_ws_v1(frame)
        keys = ("header", "parent_header", "metadata", "content")
        msg = {k: json.loads(p) for k, p in zip(keys, parts[:4], strict=True)}
        return {**msg, "channel": channel, "buffers": parts[4:]}

    async def recv(self) -> dict[str, Any]:
        """The next message (bounded wait)."""
        msg = self._decode(await asyncio.wait_for(self.ws.recv(), WAIT))
        self.received.append(msg)
        return msg

    async def wait_for(self, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The first message from now on (or already received) that matches."""
        for msg in self.received:
            if predicate(msg):
                self.received.remove(msg)
                return msg
        while True:
            msg = await self.recv()
            if predicate(msg):
                self.received.remove(msg)
                return msg

    async def reply(self, msg_id: str) -> dict[str, Any]:
        """The shell/control reply to ``msg_id``."""
        return await self.wait_for(
            lambda m: m["channel"] in ("shell", "control") and parent_id(m) == msg_id
        )

    async def execute(self, code: str, **extra: Any) -> tuple[dict[str, Any], list[dict]]:
        """Run ``code``; return the reply and the IOPub messages up to the idle status."""
        msg_id = await self.send("shell", "execute_request", {"code": code, **extra})
        outputs = []
        while True:
            msg = await self.wait_for(lambda m: m["channel"] == "iopub" and parent_id(m) == msg_id)
            outputs.append(msg)
            if (
                msg["header"]["msg_type"] == "status"
                and msg["content"]["execution_state"] == "idle"
            ):
                break
        return await self.reply(msg_id), outputs


def parent_id(msg: Mapping[str, Any]) -> str | None:
    """The parent msg_id of a received message."""
    return (msg.get("parent_header") or {}).get("msg_id")


def stream_text(outputs: list[dict[str, Any]], name: str = "stdout") -> str:
    """The concatenated text of the stream messages named ``name``."""
    return "".join(
        m["content"]["text"]
        for m in outputs
        if m["header"]["msg_type"] == "stream" and m["content"]["name"] == name
    )


@contextlib.asynccontextmanager
async def ws_client(url: str, *, v1: bool = False, **kw: Any) -> AsyncIterator[WsClient]:
    """Connect to ``url`` offering v1 or not; closed after."""
    protocols = [V1_SUBPROTOCOL] if v1 else None
    async with connect(url, subprotocols=protocols, max_size=None, open_timeout=WAIT, **kw) as ws:  # type: ignore[arg-type]
        assert ws.subprotocol == (V1_SUBPROTOCOL if v1 else None)
        yield WsClient(ws, v1)


async def next_matching(messages: AsyncIterator[Message], want: Callable[[Message], bool]) -> None:
    async for msg in messages:
        if want(msg):
            return


async def trigger_and_wait(kernel: Any, trigger: Path, marker: str) -> None:
    """Create ``trigger``; return once the kernel has printed ``marker`` (seen by a direct
    ZeroMQ client, which no WebSocket knows about)."""
    async with kernel.manager.client() as direct, direct.iopub() as messages:
        # The busy kernel still answers on control, and publishes that request's status:
        # seeing it proves our SUB socket is connected (retried, as a SUB joins late).
        async with timeout(WAIT):
            while True:
                reply = await direct.request("control", "kernel_info_request", {}, timeout=WAIT)

                def answers(m: Message, mine: str | None = reply.parent_msg_id) -> bool:
                    return m.parent_msg_id == mine

                try:
                    async with timeout(1):
                        await next_matching(messages, answers)
                    break
                except TimeoutError:
                    continue
        await asyncio.to_thread(trigger.touch)
        async with timeout(WAIT):
            await next_matching(
                messages,
                lambda m: m.msg_type == "stream" and marker in str(m.content.get("text")),
            )


def wait_code(trigger: Path, then: str) -> str:
    """Python code that waits until ``trigger`` exists, then runs ``then``."""
    return f"import os, time\nwhile not os.path.exists({str(trigger)!r}): time.sleep(0.01)\n" + then
