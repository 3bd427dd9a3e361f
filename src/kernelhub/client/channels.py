"""The ZeroMQ side of a client: five sockets, one receiver per socket, reply routing.

Replies are routed by the ``msg_id`` of their parent to whoever waits for them, so any number
of requests can be in flight on one socket and a message meant for one waiter is never consumed
by another.

Each socket's receiver is a reader callback on the event loop rather than a task awaiting
``zmq.asyncio`` futures: one wake-up drains every queued message and hands each to its handler
synchronously, with no future, task switch or exception per message. Client CPU per round trip
is a benchmarked target, and that machinery was most of it. (``zmq.asyncio``'s selector helper
still provides ``add_reader`` on loops that lack it, such as Windows' Proactor loop.)
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable

import zmq

from kernelhub.client._zmq import EVENTS, POLLIN, raw_get, recv_frames, selector, send_frames
from kernelhub.client.heartbeat import Heartbeat
from kernelhub.connection import Channel, ConnectionInfo
from kernelhub.errors import (
    ClientClosedError,
    KernelDiedError,
    KernelTimeoutError,
    ProtocolError,
    SignatureError,
)
from kernelhub.protocol import Message, Session

__all__ = ["Channels", "Failable", "Handler"]

log = logging.getLogger("kernelhub.client")

Handler = Callable[[Message], None]

# Messages handled per wake-up before yielding to the loop, so that a flood on IOPub cannot
# starve the other sockets and tasks.
_BATCH = 64


class Failable:
    """Something waiting on the kernel that can be woken with an error (death, close)."""

    __slots__ = ()

    #: Whether an unreadable IOPub or stdin message of its own fails it too (an execution's
    #: outputs, which it would otherwise miss), not only an unreadable reply.
    wants_outputs = False

    def fail(self, exc: BaseException) -> None:
        """Wake the waiter with ``exc``."""
        raise NotImplementedError


class _Pending(Failable):
    """One request waiting for its reply."""

    __slots__ = ("fut",)

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.fut: asyncio.Future[Message] = loop.create_future()

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

    The tables are private; callers route through methods. :meth:`route` sends what answers a
    request's ``msg_id`` to its handlers: the reply (shell and control, once), and every IOPub
    or stdin message whose parent it is; its ``owner`` is failed when such a message cannot be
    read, and ``lazy`` says an execution can wait for its IOPub (see :meth:`drain_iopub`);
    :meth:`unroute` takes it all out again. Every IOPub message also goes to the handlers of
    :meth:`subscribe` (subscribers). :meth:`watch` registers a waiter woken with an error when
    the kernel dies or the client closes. Must be opened and used in the thread of one running
    event loop.
    """

    def __init__(self, info: ConnectionInfo, session: Session) -> None:
        self.info = info
        self.session = session
        self._replies: dict[str, Handler] = {}
        self._iopub_routes: dict[str, Handler] = {}
        self._stdin_routes: dict[str, Handler] = {}
        self._subscribers: list[Handler] = []
        self._waiters: set[Failable] = set()
        self._owners: dict[str, Failable] = {}
        #: How many IOPub routes belong to executions that can wait (see drain_iopub).
        self._lazy_iopub = 0
        self.closed = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self._ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
        self._sockets: dict[str, zmq.Socket[bytes]] = {}
        self._drains: dict[str, Callable[[], None]] = {}
        self._selector: asyncio.AbstractEventLoop | None = None
        self._hb: Heartbeat | None = None

    # -- routing ------------------------------------------------------------------------------

    def route(
        self,
        msg_id: str,
        *,
        reply: Handler | None = None,
        iopub: Handler | None = None,
        stdin: Handler | None = None,
        owner: Failable | None = None,
        lazy: bool = False,
    ) -> None:
        """Send what answers request ``msg_id`` to these handlers (see the class docstring)."""
        if reply is not None:
            self._replies[msg_id] = reply
        if iopub is not None:
            self._iopub_routes[msg_id] = iopub
        if stdin is not None:
            self._stdin_routes[msg_id] = stdin
        if owner is not None:
            self._owners[msg_id] = owner
        if lazy:
            self._lazy_iopub += 1

    def unroute(self, msg_id: str, *, lazy: bool = False) -> None:
        """Forget every route of ``msg_id`` (``lazy``: it was routed so and still counts)."""
        self._replies.pop(msg_id, None)
        self._iopub_routes.pop(msg_id, None)
        self._stdin_routes.pop(msg_id, None)
        self._owners.pop(msg_id, None)
        if lazy:
            self._lazy_iopub -= 1

    def hurry(self) -> None:
        """One lazy execution no longer waits: its IOPub is drained as it comes again."""
        self._lazy_iopub -= 1

    def subscribe(self, handler: Handler) -> None:
        """Call ``handler`` for every IOPub message, after its route."""
        self._subscribers.append(handler)

    def unsubscribe(self, handler: Handler) -> None:
        """Stop calling ``handler`` (a no-op if it was not subscribed)."""
        if handler in self._subscribers:
            self._subscribers.remove(handler)

    def watch(self, waiter: Failable) -> None:
        """Wake ``waiter`` with an error when the kernel dies or the client closes."""
        self._waiters.add(waiter)

    def unwatch(self, waiter: Failable) -> None:
        """Stop watching ``waiter`` (a no-op if it was not watched)."""
        self._waiters.discard(waiter)

    @property
    def waiting(self) -> bool:
        """Whether anyone waits on the kernel."""
        return bool(self._waiters)

    def _socket(self, channel: Channel, kind: int, identity: bytes | None) -> zmq.Socket[bytes]:
        sock = self._ctx.socket(kind)
        sock.linger = 0
        # Reconnect quickly while a starting kernel has not bound its ports yet.
        sock.setsockopt(zmq.RECONNECT_IVL, 10)
        sock.setsockopt(zmq.RECONNECT_IVL_MAX, 100)
        if identity is not None:
            sock.setsockopt(zmq.IDENTITY, identity)
        if ":" in self.info.ip:
            sock.setsockopt(zmq.IPV6, 1)
        if kind == zmq.SUB:
            # No high-water mark on our side: past it the kernel silently drops what it
            # publishes to us, and a lost "idle" would leave an execution waiting for ever.
            # The queue is drained whenever the loop runs; subscribers have their own bound.
            sock.setsockopt(zmq.RCVHWM, 0)
            sock.setsockopt(zmq.SUBSCRIBE, b"")
        sock.connect(self.info.url(channel))
        return sock

    def open(self) -> None:
        """Create and connect the sockets and start receiving (in the running loop)."""
        self.loop = loop = asyncio.get_running_loop()
        self._selector = selector(loop)
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
            sock = self._socket(channel, kind, None if channel == "iopub" else identity)
            self._sockets[channel] = sock
            drain = self._drainer(channel, sock, handler)
            self._drains[channel] = drain
            self._selector.add_reader(sock.FD, drain)
            # The FD is edge-triggered: make sure nothing that arrived already is missed.
            loop.call_soon(drain)

    def _drainer(
        self, channel: str, sock: zmq.Socket[bytes], handler: Handler
    ) -> Callable[[], None]:
        get = raw_get
        deserialize = self.session.deserialize
        lazy = self._iopub_can_wait if channel == "iopub" else None

        def drain() -> None:
            if self.closed:
                return
            if lazy is not None and lazy():
                # Only take the wake-up (clear the FD); the messages stay queued, and while
                # they do ZeroMQ sends no further wake-ups: see drain_iopub.
                get(sock, EVENTS)
                return
            for _ in range(_BATCH):
                if not get(sock, EVENTS) & POLLIN:
                    return
                frames = recv_frames(sock)
                try:
                    _, msg = deserialize(frames)
                except ProtocolError as exc:
                    log.warning("dropped a bad message on %s: %s", channel, exc)
                    if not isinstance(exc, SignatureError):
                        self._tell_owner(channel, frames, exc)
                    continue
                try:
                    handler(msg)
                except Exception:  # a bug in one handler must not stop the channel
                    log.exception("handling a %s message failed", channel)
            # More may be queued, and the edge-triggered FD will not say so again.
            if self.loop is not None:
                self.loop.call_soon(drain)

        return drain

    def _tell_owner(self, channel: str, frames: list[bytes], exc: ProtocolError) -> None:
        # A dropped reply would leave its request waiting for ever (or until its timeout, with
        # a misleading message): fail it with the reason instead.
        owner = self._owners.get(self.session.peek_parent(frames) or "")
        if owner is not None and (channel in ("shell", "control") or owner.wants_outputs):
            owner.fail(type(exc)(f"unreadable {channel} message from the kernel: {exc}"))

    def _iopub_can_wait(self) -> bool:
        # Nobody needs IOPub messages as they come: only executions that collect their
        # outputs and have no reply yet (a reply is what they wait for first).
        return 0 < self._lazy_iopub == len(self._iopub_routes) and not self._subscribers

    def drain_iopub(self) -> None:
        """Handle every queued IOPub message now.

        While only collecting executions wait, IOPub is read lazily: the first message wakes
        the loop, the rest wait in ZeroMQ's queue (which then wakes nobody) until an
        ``execute_reply`` arrives and its execution calls this: one loop wake-up per message
        saved, most of a round trip's client CPU. After the reply, messages are handled as
        they come."""
        if self._drains:
            self._drains["iopub"]()

    def ignore_iopub(self) -> None:
        """Unsubscribe the IOPub socket (see ``AsyncKernelClient.ignore_iopub``)."""
        sock = self._sockets.get("iopub")
        if sock is not None and not sock.closed:
            sock.setsockopt(zmq.UNSUBSCRIBE, b"")

    def listen_iopub(self) -> None:
        """Call after adding a route or hook that wants IOPub messages as they come: messages
        that lazy reading left queued would otherwise wake nobody."""
        if self.loop is not None and self._drains:
            self.loop.call_soon(self._drains["iopub"])

    async def aclose(self) -> None:
        """Stop receiving, close the sockets (linger 0) and fail every waiter."""
        if self.closed:
            return
        self.closed = True
        for sock in self._sockets.values():
            if self._selector is not None:
                self._selector.remove_reader(sock.FD)
            sock.close(linger=0)
        if self._hb is not None:
            self._hb.close()
        self._fail_all(ClientClosedError("the kernel client was closed"))

    # -- sending ---------------------------------------------------------------------------

    def check_open(self) -> None:
        """Raise :class:`ClientClosedError` if the channels are closed."""
        if self.closed:
            raise ClientClosedError("the kernel client is closed")

    async def send(self, channel: str, msg: Message) -> None:
        """Serialize and send ``msg`` on ``channel``."""
        self.check_open()
        sock = self._sockets[channel]
        frames = self.session.serialize(msg)
        try:
            send_frames(sock, frames)
        except zmq.Again:
            # The queue is full (high-water mark): wait for room, without blocking the loop.
            delay = 0.001
            while True:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.05)
                self.check_open()
                try:
                    send_frames(sock, frames)
                    break
                except zmq.Again:
                    continue
        # Sending may consume the FD's edge for messages that arrived meanwhile.
        if raw_get(sock, EVENTS) & POLLIN and self.loop is not None:
            self.loop.call_soon(self._drains[channel])

    async def request(
        self, channel: str, msg: Message, timeout: float | None, what: str = ""
    ) -> Message:
        """Send ``msg`` and return its reply; bounded by ``timeout``, woken by death or close."""
        loop = self.loop
        assert loop is not None
        pending = _Pending(loop)
        msg_id = msg.msg_id
        self._replies[msg_id] = pending
        self._waiters.add(pending)
        self._owners[msg_id] = pending
        handle = None
        if timeout is not None:
            handle = loop.call_later(timeout, pending.expire, what or msg.msg_type, timeout)
        try:
            await self.send(channel, msg)
            return await pending.fut
        finally:
            if handle is not None:
                handle.cancel()
            self._replies.pop(msg_id, None)
            self._waiters.discard(pending)
            self._owners.pop(msg_id, None)

    # -- routing ---------------------------------------------------------------------------

    def _on_reply(self, msg: Message) -> None:
        handler = self._replies.pop(msg.parent_msg_id or "", None)
        if handler is None:
            log.debug("reply %s to no pending request", msg.msg_type)
        else:
            handler(msg)

    def _on_iopub(self, msg: Message) -> None:
        route = self._iopub_routes.get(msg.parent_msg_id or "")
        if route is not None:
            route(msg)
        for hook in self._subscribers:
            hook(msg)

    def _on_stdin(self, msg: Message) -> None:
        route = self._stdin_routes.get(msg.parent_msg_id or "")
        if route is not None:
            route(msg)
        else:
            log.warning("%s for no execution of ours; ignored", msg.msg_type)

    # -- death and heartbeat ---------------------------------------------------------------

    def notify_died(self, exc: KernelDiedError) -> None:
        """Fail every current waiter with ``exc``; later requests are bounded by timeouts."""
        self._fail_all(exc)

    def _fail_all(self, exc: BaseException) -> None:
        for waiter in list(self._waiters):
            waiter.fail(exc)

    async def heartbeat(self, timeout: float) -> bool:
        """Ping the heartbeat socket; whether the echo came back within ``timeout``."""
        self.check_open()
        if self._hb is None:
            assert self._selector is not None
            self._hb = Heartbeat(lambda: self._socket("hb", zmq.REQ, None), self._selector)
        return await self._hb.ping(timeout)
