"""The kernel side of the channels WebSocket: ZeroMQ sockets shared and fanned out per kernel.

One :class:`KernelBridge` per kernel holds one IOPub SUB socket whose messages go to every
connected WebSocket; each WebSocket gets a :class:`Connection` with DEALER sockets of its own for
shell, control and stdin, so that replies and input requests reach the client that asked. The
bridge forwards raw frames: it verifies the kernel's signature but parses only headers (and the
parent header and content of ``status`` messages, which drive the kernel model's
``execution_state``); browser messages are signed with the kernel's key, which browsers never
see.

When the last client of a kernel disconnects, its sockets are kept and what the kernel says
(IOPub, and replies to that client) is buffered, bounded by ``buffer_bytes`` (oldest dropped
first, counted, and the returning client told with a ``stream`` notice); a client that
connects with the same ``session_id`` gets the sockets back and the buffer replayed, as in
jupyter_server. Any other client discards it: replaying one session's replies to another would
hand it replies to requests it never sent. A client that connects with the ``session_id`` of a
connection still open (a stale one: the client lost it and came back) takes its sockets over,
and the stale connection is closed, as Jupyter Server replaces a stale connection.

Deaths and restarts reach clients as IOPub ``status`` messages of the server's own (empty
parent header, the reason in ``content["reason"]``), as jupyter_server sends them:
``restarting`` when the restarter takes over (JupyterLab then reconnects), ``dead`` when
nothing will restart the kernel (JupyterLab then disposes of the connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import zmq

from kernelhub.aio import AsyncResource
from kernelhub.connection import ConnectionInfo
from kernelhub.errors import RemoteProtocolError, WrongStateError
from kernelhub.manager.events import KernelEvent
from kernelhub.protocol import Header, Session
from kernelhub.protocol.frames import unpack
from kernelhub.server.channels.connection import (
    UNTRACKED,
    Connection,
    Frame,
    ReplayBuffer,
    ServedKernelLike,
    Sockets,
    nudge,
)
from kernelhub.server.channels.zmqwire import KernelWire

__all__ = ["KernelBridge", "ServedKernelLike"]

#: IOPub messages that are not the kernel's activity (for ``last_activity``).
_NOT_ACTIVITY = frozenset({"debug_event", "iopub_welcome"})

log = logging.getLogger("kernelhub.server")


class KernelBridge(AsyncResource):
    """One kernel's ZeroMQ side for every WebSocket client (see the module docstring)."""

    def __init__(self, kernel: ServedKernelLike, buffer_bytes: int) -> None:
        self.kernel = kernel
        self.id = kernel.id
        self.buffer_bytes = buffer_bytes
        info = kernel.manager.connection_info
        if info is None:
            raise WrongStateError(f"kernel {self.id} has no connection info: it is not started")
        #: The sockets, read in the loop (the DEALERs of :class:`Sockets` too).
        self.wire = KernelWire(self.id, info)
        self.connections: list[Connection] = []
        self.parked: Sockets | None = None
        self.buffer: ReplayBuffer | None = None
        self.closed = False
        self._status_session = Session(b"", username="kernelhub")
        #: Set once the IOPub socket has received something: its subscription is in place.
        self.ready = asyncio.Event()
        self._nudger: asyncio.Task[None] | None = None
        self.iopub = self._open_iopub()

    def _open_iopub(self) -> zmq.Socket[bytes]:
        # A SUB socket misses what is published before its subscription reaches the kernel:
        # nudge the kernel (kernel_info on control, whose busy/idle go to IOPub) until
        # something arrives, as jupyter_server does, so that no client's output is lost.
        self.ready.clear()
        sock = self.wire.open("iopub", zmq.SUB, None, self._fanout)
        if self._nudger is not None:
            self._nudger.cancel()
        self._nudger = asyncio.get_running_loop().create_task(
            nudge(self.wire.ctx, self.wire.info, self.ready, self.id),
            name=f"kernelhub-nudge-{self.id}",
        )
        return sock

    async def wait_ready(self, timeout: float) -> bool:
        """Wait (at most ``timeout`` s) until IOPub is known to be subscribed; whether it is."""
        try:
            await asyncio.wait_for(self.ready.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True

    # -- traffic -----------------------------------------------------------------------------

    def _fanout(self, channel: str, parts: list[bytes], header: Header) -> None:
        if not self.ready.is_set():
            self.ready.set()
        # Once dead, only the hub changes the model (a restart): a status the kernel published
        # before dying may be read after its death was seen.
        if self.kernel.execution_state != "dead":
            msg_type = header.get("msg_type")
            if msg_type == "status":
                active = self._track(parts) or self.kernel.execution_state == "busy"
            else:
                # An XPUB kernel's iopub_welcome greets a new subscriber (the bridge itself):
                # news of the connection, not of the user's work.
                active = msg_type not in _NOT_ACTIVITY
            if active:
                self.kernel.touch()
        self._broadcast(channel, parts, header)

    def _track(self, parts: list[bytes]) -> bool:
        """Set ``execution_state`` from a status; whether it was about the user's work.

        As Jupyter Server: the busy/idle around a kernel_info (our nudge, a frontend's
        reconnect) or an interrupt is neither activity nor news of the user's code: a kernel
        running a cell answers those on control, and stays busy. A kernel's own "starting" is
        left to the hub, which knows when a (re)start is over: read late, it would stick."""
        try:
            parent = unpack(parts[1], "parent_header")
            state = unpack(parts[3], "content").get("execution_state")
        except RemoteProtocolError:
            return False
        if parent.get("msg_type") in UNTRACKED:
            return False
        if isinstance(state, str) and state != "starting":
            self.kernel.execution_state = state
        return True

    def _broadcast(self, channel: str, parts: list[bytes], header: Header) -> None:
        if self.connections:
            cache: dict[bool, Frame] = {}
            for conn in self.connections:
                conn.deliver(channel, parts, header, cache)
        elif self.buffer is not None:
            self.buffer.add(channel, parts, header)

    def attach(self, session_id: str, *, v1: bool) -> Connection:
        """A new client: take over the sockets of its session's stale connection, or reuse
        its parked sockets (and replay), or open fresh ones."""
        stale = next((c for c in self.connections if c.sockets.session_id == session_id), None)
        if stale is not None:
            log.info(
                "kernel %s: session %s is back; its stale connection closed", self.id, session_id
            )
            self.connections.remove(stale)
            stale.close(1000, "replaced by a newer connection of the same session")
            conn = Connection(self, stale.sockets, v1)
            stale.sockets.owner = conn
            return self._add(conn)
        parked, buffer = self.parked, self.buffer
        self.parked = self.buffer = None
        if parked is not None and parked.session_id == session_id:
            sockets = parked
        else:
            if parked is not None:
                parked.close()
                if buffer is not None and buffer.items:
                    log.info(
                        "kernel %s: discarded %d buffered messages of session %s",
                        self.id,
                        len(buffer.items),
                        parked.session_id,
                    )
                buffer = None
            sockets = Sockets(self, session_id)
        conn = Connection(self, sockets, v1)
        sockets.owner = conn
        if buffer is not None:
            if buffer.dropped:
                log.warning(
                    "kernel %s: %d buffered messages dropped (over %d bytes)",
                    self.id,
                    buffer.dropped,
                    buffer.limit,
                )
                conn.tell(
                    f"[kernelhub: {buffer.dropped} messages the kernel sent while this session "
                    f"was disconnected were dropped (only the last {buffer.limit} bytes are "
                    "kept); output is missing here]",
                    buffer.dropped_parent,
                )
            for channel, parts, header in buffer.items:
                conn.deliver(channel, parts, header, {})
        return self._add(conn)

    def _add(self, conn: Connection) -> Connection:
        self.connections.append(conn)
        self.kernel.connections = len(self.connections)
        return conn

    def detach(self, conn: Connection) -> None:
        """A client left: close its sockets, or park them and buffer if it was the last."""
        if conn not in self.connections:
            return
        self.connections.remove(conn)
        self.kernel.connections = len(self.connections)
        if conn.dropped:
            log.info(
                "kernel %s: %d output messages (%d bytes) were dropped for a slow client",
                self.id,
                conn.dropped,
                conn.dropped_bytes,
            )
        conn.sockets.owner = None
        if self.connections or self.closed or self.buffer_bytes <= 0:
            conn.sockets.close()
            return
        if self.parked is not None:
            self.parked.close()
        self.parked, self.buffer = conn.sockets, ReplayBuffer(self.buffer_bytes)

    def status(self, state: str, reason: str | None, to: Connection | None = None) -> None:
        """Tell every client (and the buffer), or just ``to``, an IOPub ``status`` of our
        own, with a reason."""
        content: dict[str, object] = {"execution_state": state}
        if reason:
            content["reason"] = reason
        msg = self._status_session.message("status", content)
        parts = self._status_session.serialize(msg)[2:]
        if to is not None:
            to.deliver("iopub", parts, msg.header, {})
            return
        self.kernel.execution_state = state
        self._broadcast("iopub", parts, msg.header)

    def on_event(self, event: KernelEvent) -> None:
        """Tell the clients about a manager event (the hub has updated the model already).

        A death the restarter will deal with is announced as ``restarting`` (by its own
        event), never as ``dead``: JupyterLab disposes of a kernel connection that reports
        ``dead``, and reconnects after ``restarting``.
        """
        restarter = self.kernel.manager.restarter
        if event.kind == "died" and (restarter is None or not restarter.active):
            self.status("dead", event.reason)
        elif event.kind == "restarting":
            self.status("restarting", event.reason)
        elif event.kind == "gave_up":
            self.status("dead", event.reason)
        elif event.kind in ("started", "restarted"):
            info = self.kernel.manager.connection_info
            if info is not None and info != self.wire.info:
                self._rewire(info)

    def _rewire(self, info: ConnectionInfo) -> None:
        # The kernel came back on other ports: new IOPub socket; clients are closed with
        # 1012 (service restart) and reconnect, as JupyterLab does after a restart anyway.
        log.info("kernel %s: new ports after a restart; clients reconnect", self.id)
        self.wire.rewire(info)
        for conn in list(self.connections):
            conn.close(1012, "the kernel restarted on new ports")
        if self.parked is not None:
            self.parked.close()
        self.parked = self.buffer = None
        self.wire.close(self.iopub)
        self.iopub = self._open_iopub()

    async def aclose(self) -> None:
        """Close every client and socket, and wait for the nudge task to end."""
        self.close_now()
        if self._nudger is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._nudger
            self._nudger = None

    def close_now(self, code: int = 1000, reason: str = "the kernel was shut down") -> None:
        """Close every client (with ``code``) and every socket, at once."""
        if self.closed:
            return
        self.closed = self.wire.closed = True
        if self._nudger is not None:
            self._nudger.cancel()
        for conn in list(self.connections):
            conn.close(code, reason)
            conn.sockets.close()
        self.connections.clear()
        self.kernel.connections = 0
        if self.parked is not None:
            self.parked.close()
        self.parked = self.buffer = None
        self.wire.close(self.iopub)
