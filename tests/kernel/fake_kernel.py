"""A scripted fake kernel in the test's own event loop, for protocol edge cases.

It binds real ZeroMQ sockets (so the client under test is unchanged) and hands every shell
and control request to a handler the test supplies, which answers with whatever misbehaviour
the test is about: replies without status, outputs after the reply, garbage frames, forged
signatures.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import zmq
import zmq.asyncio

from kernelhub.connection import ConnectionInfo, new_key
from kernelhub.protocol import Message, Session, Signer


def _dict(content: Any) -> dict[str, Any]:
    return content if type(content) is dict else {}


Handler = Callable[["FakeKernel", list[bytes], Message], Awaitable[None]]


@dataclass
class FakeKernel:
    """The fake kernel's sockets and session; ``info`` is what a client connects with."""

    info: ConnectionInfo
    session: Session
    shell: zmq.asyncio.Socket
    control: zmq.asyncio.Socket
    iopub: zmq.asyncio.Socket
    stdin: zmq.asyncio.Socket
    requests: list[Message] = field(default_factory=list)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def wait_request(
        self, msg_type: str, where: Callable[[Message], bool] = lambda m: True
    ) -> Message:
        """The first request of ``msg_type`` received for which ``where`` holds (waiting for it
        if need be): a request an earlier client sent counts too, so tell yours apart."""

        def wanted(m: Message) -> bool:
            return m.msg_type == msg_type and where(m)

        async with self.arrived:
            await self.arrived.wait_for(lambda: any(wanted(m) for m in self.requests))
        return next(m for m in self.requests if wanted(m))

    def frames(self, msg: Message, content: Any, idents: Sequence[bytes] = ()) -> list[bytes]:
        """``msg``'s frames, signed; ``content`` not a dict (garbage) replaces its content."""
        if type(content) is dict:
            return self.session.serialize(msg, idents)
        frames = self.session.serialize(msg)
        frames[5] = json.dumps(content).encode()
        frames[1] = Signer(self.info.key).sign(*frames[2:6])
        return [*idents, *frames]

    async def reply(
        self,
        idents: list[bytes],
        parent: Message,
        content: Any,
        *,
        channel: str = "shell",
    ) -> None:
        """Send ``<request>_reply`` with ``content`` (see :meth:`frames`) to ``idents``."""
        msg_type = parent.msg_type.replace("_request", "_reply")
        msg = self.session.message(msg_type, _dict(content), parent=parent)
        sock = self.shell if channel == "shell" else self.control
        await sock.send_multipart(self.frames(msg, content, idents))

    async def publish(self, msg_type: str, content: Any, parent: Message | None = None) -> None:
        """Publish a message on IOPub (``parent`` None: an empty parent header); ``content``
        as in :meth:`frames`."""
        msg = self.session.message(msg_type, _dict(content), parent=parent)
        await self.iopub.send_multipart(self.frames(msg, content))

    async def ask(self, idents: list[bytes], parent: Message, content: Any) -> Message:
        """Send an ``input_request`` with ``content`` on stdin and return the input_reply."""
        msg = self.session.message("input_request", _dict(content), parent=parent)
        await self.stdin.send_multipart(self.frames(msg, content, idents))
        _, answer = self.session.deserialize(await self.stdin.recv_multipart())
        return answer

    async def publish_frames(self, frames: list[bytes]) -> None:
        """Publish raw frames on IOPub, garbage included."""
        await self.iopub.send_multipart(frames)

    async def status(self, state: str, parent: Message) -> None:
        """Publish ``status: state`` for ``parent``."""
        await self.publish("status", {"execution_state": state}, parent)


async def _serve(kernel: FakeKernel, sock: zmq.asyncio.Socket, handler: Handler) -> None:
    while True:
        frames = await sock.recv_multipart()
        idents, msg = kernel.session.deserialize(frames)
        async with kernel.arrived:
            kernel.requests.append(msg)
            kernel.arrived.notify_all()
        await handler(kernel, idents, msg)


async def _welcome(kernel: FakeKernel) -> None:
    # An XPUB kernel greets each new subscriber with a parentless iopub_welcome (JEP 65).
    while True:
        event = await kernel.iopub.recv()
        if event[:1] == b"\x01":
            await kernel.publish("iopub_welcome", {"subscription": event[1:].decode()})


@contextlib.asynccontextmanager
async def fake_kernel(handler: Handler, *, welcome: bool = True) -> AsyncIterator[FakeKernel]:
    """Run a fake kernel whose shell and control requests go to ``handler``.

    ``welcome`` false: no ``iopub_welcome``, so that only IOPub messages caused by the
    client's requests prove its subscription (as with kernels that bind a plain PUB socket).
    """
    ctx = zmq.asyncio.Context.instance()
    socks: dict[str, zmq.asyncio.Socket] = {
        "shell": ctx.socket(zmq.ROUTER),
        "control": ctx.socket(zmq.ROUTER),
        "iopub": ctx.socket(zmq.XPUB),
        "stdin": ctx.socket(zmq.ROUTER),
        "hb": ctx.socket(zmq.REP),
    }
    ports = {name: s.bind_to_random_port("tcp://127.0.0.1") for name, s in socks.items()}
    key = new_key()
    info = ConnectionInfo(
        shell_port=ports["shell"],
        iopub_port=ports["iopub"],
        stdin_port=ports["stdin"],
        control_port=ports["control"],
        hb_port=ports["hb"],
        key=key,
    )
    kernel = FakeKernel(
        info, Session(key), socks["shell"], socks["control"], socks["iopub"], socks["stdin"]
    )
    tasks = [
        asyncio.create_task(_serve(kernel, socks["shell"], handler)),
        asyncio.create_task(_serve(kernel, socks["control"], handler)),
    ]
    if welcome:
        tasks.append(asyncio.create_task(_welcome(kernel)))
    try:
        yield kernel
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for s in socks.values():
            s.close(linger=0)


async def standard(kernel: FakeKernel, idents: list[bytes], msg: Message) -> None:
    """A well-behaved answer: busy, reply, idle (execute: an execute_result too)."""
    await kernel.status("busy", msg)
    if msg.msg_type == "execute_request":
        await kernel.publish(
            "execute_result",
            {"data": {"text/plain": "42"}, "metadata": {}, "execution_count": 1},
            msg,
        )
        await kernel.reply(idents, msg, {"status": "ok", "execution_count": 1})
    else:
        await kernel.reply(idents, msg, {"status": "ok"})
    await kernel.status("idle", msg)
