"""The ZeroMQ sockets of one kernel's bridge, read in the event loop.

Each socket's file descriptor is edge-triggered (ZeroMQ's ``FD`` says "look at ``EVENTS``",
not "readable"), so a reader drains it in batches of ``_BATCH`` messages (one busy socket
cannot starve the loop) and reschedules itself while input remains. Each message's signature
is checked and its header parsed (:meth:`Session.unwrap <kernelhub.protocol.Session.unwrap>`,
without a replay history: the kernel's own frames, relayed); the parts after the signature go
to the socket's route. A bad message is logged and dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import cast

import zmq

from kernelhub.connection import Channel, ConnectionInfo
from kernelhub.errors import RemoteProtocolError
from kernelhub.protocol import Header, Session, Signer

__all__ = ["KernelWire", "Route"]

log = logging.getLogger("kernelhub.server")

#: Where a socket's verified messages go: ``route(channel, parts, header)``.
Route = Callable[[str, list[bytes], Header], None]
_BATCH = 64
_POLLIN, _EVENTS, _NOBLOCK = zmq.POLLIN, zmq.EVENTS, zmq.NOBLOCK


class KernelWire:
    """Sockets to one kernel (at ``info``), each read into its route (see the module
    docstring). :meth:`rewire` points new sockets at new ports; ``closed`` stops every read."""

    def __init__(self, kernel_id: str, info: ConnectionInfo) -> None:
        self.id = kernel_id
        self.ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
        self.info = info
        self.signer = Signer(info.key, info.signature_scheme)
        self.session = Session(info.key, info.signature_scheme, replay_history=0)
        self.closed = False
        #: Bytes read from the kernel so far (the server's trimmer watches it).
        self.received = 0
        self._loop = asyncio.get_running_loop()
        self._drains: dict[zmq.Socket[bytes], Callable[[], None]] = {}

    def rewire(self, info: ConnectionInfo) -> None:
        """Open sockets from now on to the kernel at ``info`` (after a restart on new ports)."""
        self.info, self.signer = info, Signer(info.key, info.signature_scheme)
        self.session = Session(info.key, info.signature_scheme, replay_history=0)

    def open(
        self, channel: Channel, kind: int, identity: bytes | None, route: Route
    ) -> zmq.Socket[bytes]:
        """A connected socket whose verified messages go to ``route(channel, parts, header)``."""
        sock = self.ctx.socket(kind)
        sock.linger = 0
        sock.setsockopt(zmq.RECONNECT_IVL, 10)  # a restarting kernel rebinds within ms
        sock.setsockopt(zmq.RECONNECT_IVL_MAX, 100)
        if identity is not None:
            sock.setsockopt(zmq.IDENTITY, identity)
        if kind == zmq.SUB:
            sock.setsockopt(zmq.SUBSCRIBE, b"")
        if ":" in self.info.ip:
            sock.setsockopt(zmq.IPV6, 1)
        sock.connect(self.info.url(channel))
        getsockopt = cast(Callable[[int], int], sock.getsockopt)
        recv, unwrap = sock.recv_multipart, self.session.unwrap

        def drain() -> None:
            for _ in range(_BATCH):
                if self.closed or sock.closed or not getsockopt(_EVENTS) & _POLLIN:
                    return
                frames = recv(_NOBLOCK)
                self.received += sum(map(len, frames))
                try:
                    _, header, parts = unwrap(frames)
                    route(channel, parts, header)
                except RemoteProtocolError as exc:
                    log.warning("kernel %s: dropped a bad %s message: %s", self.id, channel, exc)
            self._loop.call_soon(drain)  # more may be queued; the edge will not say so again

        self._drains[sock] = drain
        self._loop.add_reader(sock.FD, drain)
        self._loop.call_soon(drain)
        return sock

    def kick(self, sock: zmq.Socket[bytes]) -> None:
        """Drain ``sock`` soon if it has input (after a send consumed the FD's edge)."""
        drain = self._drains.get(sock)
        if drain is not None and cast(int, sock.getsockopt(_EVENTS)) & _POLLIN:
            self._loop.call_soon(drain)

    def close(self, sock: zmq.Socket[bytes]) -> None:
        """Stop reading ``sock`` and close it."""
        if self._drains.pop(sock, None) is not None:
            self._loop.remove_reader(sock.FD)
        sock.close(linger=0)
