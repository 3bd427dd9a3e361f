"""The ZeroMQ side of a client: five sockets, one receive task per socket, reply routing.

Replies are routed by the ``msg_id`` of their parent to whoever waits for them, so any number
of requests can be in flight on one socket and a message meant for one waiter is never consumed
by another. Each receive task drains every queued message synchronously after one wake-up,
which keeps the asyncio cost per message low (the client-CPU benchmark is dominated by it).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable

import zmq
import zmq.asyncio

from kernelhub.connection import Channel, ConnectionInfo
from kernelhub.errors import ClientClosedError, KernelDiedError, KernelTimeoutError, ProtocolError
from kernelhub.protocol import Message, Session

__all__ = ["Channels", "Failable"]

log = logging.getLogger("kernelhub.client")

Handler = Callable[[Message], None]


class Failable:
    """Something waiting on the kernel that can be woken with an error (death, close)."""

    def fail(self, exc: BaseException) -> None:
        """Wake the waiter with ``exc``."""
        raise NotImplementedError


class _Pending(Failable):
    """One request waiting for its reply."""

    __slots__ = ("fut",)

    def __init__(self) -> None:
        self.fut: asyncio.Future[Message] = asyncio.get_running_loop().create_future()

    def __call__(self, msg: Message) -> None:
        if not self.fut.done():
            self.fut.set_result(msg)

    def fail(self, exc: BaseException) -> None:
        if not self.fut.done():
            self.fut.set_exception(exc)

    def expire(self, what: str, timeout: float) -> None:
        self.fail(KernelTimeoutError(f"{what}: no reply from the kernel within {timeout:g} s"))


class Channels:
    """The sockets of one client and the tables that route what arrives on them.

    ``replies`` maps a request's ``msg_id`` to the handler of its reply (shell and control);
    ``iopub_routes`` and ``stdin_routes`` map it to a handler called for every IOPub
    or stdin message whose parent it is. Every IOPub message also goes to ``on_iopub`` hooks
    (subscribers). ``iopub_seen`` is set by the first IOPub message: proof that our SUB socket
    is connected and subscribed.
    """

    def __init__(self, info: ConnectionInfo, session: Session) -> None:
        self.info = info
        self.session = session
        self.replies: dict[str, Handler] = {}
        self.iopub_routes: dict[str, Handler] = {}
        self.stdin_routes: dict[str, Handler] = {}
        self.on_iopub: list[Handler] = []
        self.waiters: set[Failable] = set()
        self.iopub_seen = asyncio.Event()
        self.closed = False
        self._ctx = zmq.asyncio.Context.instance()
        self._sockets: dict[str, zmq.asyncio.Socket] = {}
        self._shadows: dict[str, zmq.Socket[bytes]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._hb: zmq.asyncio.Socket | None = None
        self._hb_lock = asyncio.Lock()

    def _connect(self, channel: Channel, kind: int, identity: bytes | None) -> zmq.asyncio.Socket:
        sock = self._ctx.socket(kind)
        sock.linger = 0
        if identity is not None:
            sock.setsockopt(zmq.IDENTITY, identity)
        if ":" in self.info.ip:
            sock.setsockopt(zmq.IPV6, 1)
        if kind == zmq.SUB:
            sock.setsockopt(zmq.SUBSCRIBE, b"")
        sock.connect(self.info.url(channel))
        return sock

    def open(self) -> None:
        """Create and connect the sockets; start one receive task per socket."""
        # Shell and stdin must share a routing identity: the kernel sends input_request to the
        # identity the execute_request came from, on its stdin ROUTER.
        identity = uuid.uuid4().hex.encode()
        handlers: dict[Channel, Handler] = {
            "shell": self._on_reply,
            "control": self._on_reply,
            "iopub": self._on_iopub,
            "stdin": self._on_stdin,
        }
        for channel, handler in handlers.items():
            kind = zmq.SUB if channel == "iopub" else zmq.DEALER
            sock = self._connect(channel, kind, None if channel == "iopub" else identity)
            self._sockets[channel] = sock
            self._shadows[channel] = zmq.Socket.shadow(sock.underlying)
            task = asyncio.create_task(self._receive(channel, handler), name=f"kernelhub-{channel}")
            self._tasks.append(task)

    async def aclose(self) -> None:
        """Stop the receive tasks, close the sockets (linger 0), fail every waiter."""
        if self.closed:
            return
        self.closed = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        for sock in (*self._sockets.values(), *([self._hb] if self._hb else [])):
            sock.close(linger=0)
        self._fail_all(ClientClosedError("the kernel client was closed"))

    # -- sending ---------------------------------------------------------------------------

    def check_open(self) -> None:
        """Raise :class:`ClientClosedError` (or the kernel's death) when requests are pointless."""
        if self.closed:
            raise ClientClosedError("the kernel client is closed")

    async def send(self, channel: str, msg: Message) -> None:
        """Serialize and send ``msg`` on ``channel``."""
        self.check_open()
        frames = self.session.serialize(msg)
        try:
            # The common case: the socket's queue has room, so skip the future machinery.
            self._shadows[channel].send_multipart(frames, zmq.NOBLOCK)
        except zmq.Again:
            await self._sockets[channel].send_multipart(frames)

    async def request(
        self, channel: str, msg: Message, timeout: float | None, what: str = ""
    ) -> Message:
        """Send ``msg`` and return its reply; bounded by ``timeout``, woken by death or close."""
        pending = _Pending()
        msg_id = msg.msg_id
        self.replies[msg_id] = pending
        self.waiters.add(pending)
        handle = None
        if timeout is not None:
            handle = asyncio.get_running_loop().call_later(
                timeout, pending.expire, what or msg.msg_type, timeout
            )
        try:
            await self.send(channel, msg)
            return await pending.fut
        finally:
            if handle is not None:
                handle.cancel()
            self.replies.pop(msg_id, None)
            self.waiters.discard(pending)

    # -- receiving -------------------------------------------------------------------------

    async def _receive(self, channel: str, handler: Handler) -> None:
        sock = self._sockets[channel]
        recv_now = self._shadows[channel].recv_multipart
        deserialize = self.session.deserialize
        while True:
            frames: list[bytes] = await sock.recv_multipart()
            while True:
                try:
                    _, msg = deserialize(frames)
                except ProtocolError as exc:
                    log.warning("dropped a bad message on %s: %s", channel, exc)
                else:
                    try:
                        handler(msg)
                    except Exception:  # a bug in one handler must not stop the channel
                        log.exception("handling a %s message failed", channel)
                try:
                    frames = recv_now(zmq.NOBLOCK)
                except zmq.Again:
                    break

    def _on_reply(self, msg: Message) -> None:
        handler = self.replies.pop(msg.parent_msg_id or "", None)
        if handler is None:
            log.debug("reply %s to no pending request", msg.msg_type)
        else:
            handler(msg)

    def _on_iopub(self, msg: Message) -> None:
        if not self.iopub_seen.is_set():
            self.iopub_seen.set()
        route = self.iopub_routes.get(msg.parent_msg_id or "")
        if route is not None:
            route(msg)
        for hook in self.on_iopub:
            hook(msg)

    def _on_stdin(self, msg: Message) -> None:
        route = self.stdin_routes.get(msg.parent_msg_id or "")
        if route is not None:
            route(msg)
        else:
            log.warning("%s for no execution of ours; ignored", msg.msg_type)

    # -- death and heartbeat ---------------------------------------------------------------

    def notify_died(self, exc: KernelDiedError) -> None:
        """Fail every current waiter with ``exc``; later requests are bounded by timeouts."""
        self._fail_all(exc)

    def _fail_all(self, exc: BaseException) -> None:
        for waiter in list(self.waiters):
            waiter.fail(exc)

    async def heartbeat(self, timeout: float) -> bool:
        """Ping the heartbeat socket; whether the echo came back within ``timeout``."""
        self.check_open()
        async with self._hb_lock:
            if self._hb is None:
                self._hb = self._connect("hb", zmq.REQ, None)
            hb = self._hb
            await hb.send(b"ping")
            if await hb.poll(timeout * 1000):
                await hb.recv()
                return True
            # A REQ socket that missed its reply cannot send again: start a fresh one.
            hb.close(linger=0)
            self._hb = None
            return False
