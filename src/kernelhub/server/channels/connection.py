"""One WebSocket client's share of a kernel bridge: its outbox, its DEALER sockets, the buffer
that keeps a disconnected session's output for its return, what the bridge needs of a served
kernel, and the nudge that proves a new IOPub subscription.

Memory per client is bounded whatever the kernel prints. The writer takes frames in batches of
at most ``_BATCH_BYTES`` and the ASGI server's ``send`` waits while the socket cannot take
more (uvicorn's websockets-sansio does; wsproto does not), so a slow reader's frames wait in
its outbox. Output (IOPub ``stream``, ``display_data``, ``update_display_data``) that
arrives while more than :data:`DROP_OVER` bytes wait there or in the writer's hands (a batch
taken is not written yet: counting only the outbox let a slow client hold one batch more, or
one more frame however large) is dropped until the client has taken half of them, and the
client is told where by a ``stream`` message on stderr of our own (the parent header of the
first message dropped, so it shows in that cell's output), as Jupyter Server's rate limit
does. Every other message is queued: a reply, a status or a comm message dropped would break
the client. A client that still lets :data:`OUTBOX_LIMIT` bytes pile up is closed (1013).
The replay buffer is bounded on its own (oldest dropped), and a returning client is told what
it missed in the same way.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import uuid
from typing import Protocol

import zmq

from kernelhub.connection import ConnectionInfo
from kernelhub.manager import KernelManager
from kernelhub.protocol import DELIMITER, Header, Session
from kernelhub.server.channels.frames import Incoming, encode_json, encode_v1
from kernelhub.server.channels.zmqwire import KernelWire

__all__ = [
    "DROP_OVER",
    "OUTBOX_LIMIT",
    "UNTRACKED",
    "Connection",
    "Frame",
    "Host",
    "ReplayBuffer",
    "ServedKernelLike",
    "Sockets",
    "notice",
    "nudge",
]

log = logging.getLogger("kernelhub.server")

#: Requests whose busy/idle neither change a kernel's ``execution_state`` nor count as its
#: activity, and which do not count as activity when a client sends them either (Jupyter
#: Server's ``untracked_message_types`` that are requests): a frontend that asks for
#: ``kernel_info`` on every reconnect would otherwise keep an idle kernel from being culled.
UNTRACKED = frozenset(
    {
        "kernel_info_request",
        "comm_info_request",
        "shutdown_request",
        "interrupt_request",
        "debug_request",
    }
)

#: A client that lets this much pile up unsent is closed (1013: try again later).
OUTBOX_LIMIT = 64 * 1024 * 1024
#: Output arriving while this much waits unsent for a client is dropped (see the docstring).
DROP_OVER = 4 * 1024 * 1024
_DROPPABLE = frozenset({"stream", "display_data", "update_display_data"})
_BATCH_BYTES = 1024 * 1024
_NOTICE_SESSION = Session(b"", username="kernelhub")
#: An encoded WebSocket frame: text (JSON framing) or binary.
Frame = str | bytes
_NOBLOCK = zmq.NOBLOCK
_NUDGES, _NUDGE_EVERY = 40, 0.25  # IOPub proof: up to 10 s, then carry on regardless


class ServedKernelLike(Protocol):
    """What the bridge needs of the hub's ``ServedKernel``."""

    id: str
    execution_state: str
    connections: int
    reason: str | None

    @property
    def manager(self) -> KernelManager: ...  # its ``connection_info`` and ``restarter``

    def touch(self) -> None: ...


class Host(Protocol):
    """What a connection and its sockets need of the bridge that holds them (the bridge is
    one; the connection never sees the rest of it): the kernel, its wire, and the replay
    buffer that takes a parked session's messages."""

    @property
    def id(self) -> str: ...

    @property
    def kernel(self) -> ServedKernelLike: ...

    @property
    def wire(self) -> KernelWire: ...

    @property
    def buffer(self) -> ReplayBuffer | None: ...


class ReplayBuffer:
    """Messages kept for a disconnected session, at most ``limit`` bytes, oldest dropped."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: collections.deque[tuple[str, list[bytes], Header]] = collections.deque()
        self.size = 0
        self.dropped = 0
        #: The parent header (raw JSON) of the newest message dropped.
        self.dropped_parent = b"{}"

    def add(self, channel: str, parts: list[bytes], header: Header) -> None:
        """Keep one message, dropping the oldest ones while over the limit."""
        self.items.append((channel, parts, header))
        self.size += sum(map(len, parts))
        while self.size > self.limit and self.items:
            _, old, _ = self.items.popleft()
            self.size -= sum(map(len, old))
            self.dropped += 1
            self.dropped_parent = old[1]


class Sockets:
    """The DEALER sockets of one session; they outlive a WebSocket while its output buffers."""

    def __init__(self, bridge: Host, session_id: str) -> None:
        self.session_id = session_id
        self.owner: Connection | None = None
        # Shell and stdin share the identity: the kernel sends input_request to the identity
        # an execute_request came from.
        identity = f"{session_id}-{uuid.uuid4().hex[:8]}".encode()
        self.sockets = {
            ch: bridge.wire.open(ch, zmq.DEALER, identity, self._route)
            for ch in ("stdin", "shell", "control")  # stdin first: ready before any request
        }
        self.bridge = bridge

    def _route(self, channel: str, parts: list[bytes], header: Header) -> None:
        if self.owner is not None:
            self.owner.deliver(channel, parts, header, {})
        elif self.bridge.buffer is not None:
            self.bridge.buffer.add(channel, parts, header)

    def close(self) -> None:
        for sock in self.sockets.values():
            self.bridge.wire.close(sock)
        self.sockets.clear()


class Connection:
    """One WebSocket client of a kernel: its outbox of encoded frames and its sockets."""

    def __init__(self, bridge: Host, sockets: Sockets, v1: bool) -> None:
        self.bridge = bridge
        self.sockets = sockets
        self.v1 = v1
        self.outbox: collections.deque[Frame] = collections.deque()
        self.pending = 0  # bytes in the outbox
        self.inflight = 0  # bytes the writer took and is still writing
        self.wakeup = asyncio.Event()
        self.close_code: int | None = None
        self.close_reason = ""
        self.dropping = False  # in a gap of dropped output (see the module docstring)
        self.dropped = 0  # output messages dropped so far
        self.dropped_bytes = 0

    def deliver(
        self, channel: str, parts: list[bytes], header: Header, cache: dict[bool, Frame]
    ) -> None:
        """Queue a kernel message for the client (``cache`` shares encodings across clients)."""
        if self.close_code is not None:
            return
        if channel == "iopub" and header.get("msg_type") in _DROPPABLE and self._full(parts):
            return
        frame = cache.get(self.v1)
        if frame is None:
            frame = encode_v1(channel, parts) if self.v1 else encode_json(channel, parts, header)
            cache[self.v1] = frame
        self._queue(frame)
        if self.pending > OUTBOX_LIMIT and len(self.outbox) > 1:
            log.warning("kernel %s: closing a client that reads too slowly", self.bridge.id)
            self.close(1013, "the client reads too slowly")

    def _queue(self, frame: Frame) -> None:
        self.outbox.append(frame)
        self.pending += len(frame)
        self.wakeup.set()

    def _full(self, parts: list[bytes]) -> bool:
        """Whether to drop this output message (counted); the first of a gap queues a notice."""
        # What the writer holds counts: a batch taken is not yet written (a slow client
        # kept one batch beyond the bound, or one frame however large).
        waiting = self.pending + self.inflight
        if self.dropping and waiting <= DROP_OVER // 2:
            self.dropping = False
        elif not self.dropping and waiting > DROP_OVER:
            self.dropping = True
            if not self.dropped:
                log.warning("kernel %s: a client reads too slowly; output dropped", self.bridge.id)
            self.tell(
                "[kernelhub: output dropped here: this client could not keep up with the "
                "kernel's output]",
                parts[1],
            )
        if self.dropping:
            self.dropped += 1
            self.dropped_bytes += sum(map(len, parts))
        return self.dropping

    def tell(self, text: str, parent: bytes) -> None:
        """Queue a ``stream`` message to stderr of our own with the raw ``parent`` header."""
        parts, header = notice(text, parent)
        self._queue(encode_v1("iopub", parts) if self.v1 else encode_json("iopub", parts, header))

    async def frames(self) -> list[Frame] | None:
        """Wait for frames to send; ``None`` once the connection is to be closed. The writer
        asks again once it has written the frames it had (they count as waiting till then)."""
        self.inflight = 0
        while not self.outbox:
            if self.close_code is not None:
                return None
            self.wakeup.clear()
            await self.wakeup.wait()
        out: list[Frame] = []
        size = 0
        while self.outbox and size < _BATCH_BYTES:
            frame = self.outbox.popleft()
            out.append(frame)
            size += len(frame)
        self.pending -= size
        self.inflight = size
        return out

    def send(self, msg: Incoming) -> None:
        """Sign a browser message with the kernel's key and send it on its channel (not once
        the connection is closing: its sockets may belong to a newer connection by then)."""
        if self.close_code is not None:
            return
        if msg.header.get("msg_type") not in UNTRACKED:
            self.bridge.kernel.touch()
        header, parent, metadata, content, *buffers = msg.parts
        signature = self.bridge.wire.signer.sign(header, parent, metadata, content)
        sock = self.sockets.sockets.get(msg.channel)
        if sock is None:
            return
        try:
            sock.send_multipart(
                [DELIMITER, signature, header, parent, metadata, content, *buffers], _NOBLOCK
            )
        except zmq.Again:
            log.warning("kernel %s: %s queue full; dropped a message", self.bridge.id, msg.channel)
            return
        # Sending can consume the FD's edge for a reply that arrived meanwhile.
        self.bridge.wire.kick(sock)

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Ask the writer to close the WebSocket with ``code``."""
        if self.close_code is None:
            self.close_code, self.close_reason = code, reason
        self.wakeup.set()


def notice(text: str, parent: bytes) -> tuple[list[bytes], Header]:
    """A ``stream`` message to stderr from kernelhub itself, whose parent header is the raw
    JSON ``parent``: its four parts (unsigned: clients never see a signature) and header."""
    msg = _NOTICE_SESSION.message("stream", {"name": "stderr", "text": f"\n{text}\n"})
    parts = _NOTICE_SESSION.serialize(msg)[2:]
    parts[1] = parent
    return parts, msg.header


async def nudge(
    ctx: zmq.Context[zmq.Socket[bytes]], info: ConnectionInfo, ready: asyncio.Event, kernel_id: str
) -> None:
    """Send ``kernel_info_request`` on control until ``ready`` is set (IOPub received
    something), every 0.25 s for at most 10 s: the kernel publishes each request's busy/idle."""
    session = Session(info.key, info.signature_scheme, username="kernelhub")
    sock = ctx.socket(zmq.DEALER)
    sock.linger = 0
    sock.connect(info.url("control"))
    try:
        for _ in range(_NUDGES):
            with contextlib.suppress(zmq.Again):
                sock.send_multipart(
                    session.serialize(session.message("kernel_info_request")), _NOBLOCK
                )
            try:
                await asyncio.wait_for(ready.wait(), _NUDGE_EVERY)
                return
            except asyncio.TimeoutError:
                continue
        log.warning("kernel %s: IOPub silent after %d kernel_info requests", kernel_id, _NUDGES)
    finally:
        sock.close(linger=0)
