"""``GET /api/kernels/{id}/channels``: the kernel WebSocket, as raw ASGI.

The handshake: the origin is checked (:func:`kernelhub.server.http.auth.check_websocket_origin`;
the token was checked by the app before routing here), the kernel looked up, and the socket
accepted with the ``v1.kernel.websocket.jupyter.org`` subprotocol when the client offers it,
else with the JSON framing. A refused handshake is an HTTP response (403 for a bad origin, 404
for an unknown kernel) where the server supports ASGI's ``websocket.http.response``
extension (uvicorn does), else a close before accepting (uvicorn answers that with a 403).

Then two pumps run until either side closes: browser frames are decoded and signed onto the
kernel's sockets; kernel messages are encoded and written. **A malformed frame from a browser
is logged and ignored**: the connection stays open, so that one bad message from an extension
does not cost the user their notebook's other traffic, and nothing reaches the kernel.

TCP_NODELAY: every accepted TCP socket gets it from the event loop itself (asyncio's selector
transports and uvloop's both set it on TCP connections), which uvicorn does not undo; the
tests check the option on the server's side of live connections. Jupyter Server's tornado
leaves Nagle on and pays about 40 ms per round trip for it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any
from urllib.parse import parse_qs

from kernelhub.aio import AsyncResource
from kernelhub.errors import NoSuchKernelError, RemoteProtocolError
from kernelhub.manager.events import KernelEvent
from kernelhub.server.channels.bridge import KernelBridge, ServedKernelLike
from kernelhub.server.channels.connection import Connection
from kernelhub.server.channels.frames import V1_SUBPROTOCOL, decode_json, decode_v1
from kernelhub.server.channels.memory import Trimmer
from kernelhub.server.config import ServerConfig
from kernelhub.server.http.asgi import JSON, Receive, Scope, Send, json_bytes
from kernelhub.server.http.auth import check_websocket_origin

__all__ = ["ChannelsAttachment", "channels_attachment", "channels_endpoint"]

log = logging.getLogger("kernelhub.server")

# How long a handshake waits for a new bridge's IOPub to be proven (a kernel that never
# answers on control is still served after it, minus what it published meanwhile).
_READY_WAIT = 5.0


class ChannelsAttachment(AsyncResource):
    """The hub attachment that keeps one :class:`KernelBridge` per running kernel.

    A bridge opens when its kernel starts (so IOPub tracks ``execution_state`` even with no
    client) and closes, closing its clients, when the kernel stops. :meth:`aclose` closes
    them all (the app calls it when the server stops). Its :class:`Trimmer` gives memory back
    once the kernels' output goes quiet after a flood (:mod:`kernelhub.server.channels.memory`).
    """

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.bridges: dict[str, KernelBridge] = {}
        self.trimmer = Trimmer(self.volume)
        self._retired = 0  # bytes read by bridges closed since

    def volume(self) -> int:
        """Bytes read from every kernel so far, by open and closed bridges."""
        return self._retired + sum(bridge.wire.received for bridge in self.bridges.values())

    def _retire(self, bridge: KernelBridge) -> None:
        self._retired += bridge.wire.received

    def bridge(self, kernel: ServedKernelLike) -> KernelBridge:
        """The kernel's bridge, opened now if it has none yet."""
        bridge = self.bridges.get(kernel.id)
        if bridge is None or bridge.kernel is not kernel:
            if bridge is not None:
                bridge.close_now()
                self._retire(bridge)
            bridge = KernelBridge(kernel, self.config.buffer_bytes)
            self.bridges[kernel.id] = bridge
            self.trimmer.start()
        return bridge

    async def kernel_started(self, kernel: ServedKernelLike) -> None:
        """Open the kernel's bridge."""
        self.bridge(kernel)

    async def kernel_stopped(self, kernel: ServedKernelLike) -> None:
        """Close the kernel's bridge and its clients."""
        bridge = self.bridges.pop(kernel.id, None)
        if bridge is not None:
            self._retire(bridge)
            await bridge.aclose()

    async def kernel_event(self, kernel: ServedKernelLike, event: KernelEvent) -> None:
        """Pass a manager event to the kernel's clients."""
        bridge = self.bridges.get(kernel.id)
        if bridge is not None:
            bridge.on_event(event)

    async def aclose(self) -> None:
        """Close every bridge (the server is stopping; kernels may live on)."""
        bridges = list(self.bridges.values())
        self.bridges.clear()
        for bridge in bridges:
            self._retire(bridge)
            bridge.close_now(1001, "the server is stopping")
            await bridge.aclose()
        await self.trimmer.aclose()


def channels_attachment(hub: Any) -> ChannelsAttachment:
    """The hub's :class:`ChannelsAttachment`, added to it on first use."""
    for attachment in hub.attachments:
        if isinstance(attachment, ChannelsAttachment):
            return attachment
    attachment = ChannelsAttachment(hub.config)
    hub.add_attachment(attachment)
    return attachment


async def _refuse(scope: Scope, send: Send, status: int, reason: str, code: int) -> None:
    log.info("WebSocket to %s refused: %s", scope.get("path"), reason)
    if "websocket.http.response" in (scope.get("extensions") or {}):
        body = json_bytes({"message": reason, "reason": None})
        headers = [(b"content-type", JSON), (b"content-length", b"%d" % len(body))]
        await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": code, "reason": reason})


def _session_id(scope: Scope) -> str:
    query = parse_qs((scope.get("query_string") or b"").decode("latin-1"))
    values = query.get("session_id") or [""]
    return values[0] or uuid.uuid4().hex


async def _pump_out(conn: Connection, send: Send) -> None:
    """Write the connection's outbox to the WebSocket until it is closed."""
    while (frames := await conn.frames()) is not None:
        for frame in frames:
            if isinstance(frame, str):
                await send({"type": "websocket.send", "text": frame})
            else:
                await send({"type": "websocket.send", "bytes": frame})
    code, reason = conn.close_code or 1000, conn.close_reason
    await send({"type": "websocket.close", "code": code, "reason": reason})


async def _pump_in(conn: Connection, receive: Receive, kernel_id: str) -> None:
    """Read browser frames onto the kernel's sockets until the client disconnects."""
    while True:
        event = await receive()
        if event["type"] != "websocket.receive":
            return  # websocket.disconnect
        data: str | bytes = event.get("bytes") or event.get("text") or b""
        try:
            if conn.v1:
                # A text frame means nothing to v1: bytes of it fail as garbage would.
                conn.send(decode_v1(data.encode() if isinstance(data, str) else data))
            else:
                conn.send(decode_json(data))
        except RemoteProtocolError as exc:
            log.warning("kernel %s: ignored a bad WebSocket frame: %s", kernel_id, exc)


async def channels_endpoint(
    scope: Scope, receive: Receive, send: Send, *, hub: Any, kernel_id: str, config: ServerConfig
) -> None:
    """Serve one kernel WebSocket (see the module docstring); ``hub`` is the KernelHub."""
    event = await receive()
    if event["type"] != "websocket.connect":
        return
    if not check_websocket_origin(config, scope):
        await _refuse(scope, send, 403, "origin not allowed", 4003)
        return
    try:
        kernel = hub.get(kernel_id)
    except NoSuchKernelError:
        await _refuse(scope, send, 404, f"no kernel with id {kernel_id}", 4004)
        return
    bridge = channels_attachment(hub).bridge(kernel)
    dead = kernel.execution_state == "dead"
    if not dead and not await bridge.wait_ready(_READY_WAIT):
        log.warning("kernel %s: IOPub not confirmed; early output may be missed", kernel_id)
    v1 = V1_SUBPROTOCOL in (scope.get("subprotocols") or ())
    await send({"type": "websocket.accept", "subprotocol": V1_SUBPROTOCOL if v1 else None})
    conn = bridge.attach(_session_id(scope), v1=v1)
    if dead:  # say so at once, as the clients that saw it die were told
        bridge.status("dead", kernel.reason, to=conn)
    writer = asyncio.ensure_future(_pump_out(conn, send))
    reader = asyncio.ensure_future(_pump_in(conn, receive, kernel_id))
    try:
        # Either side may end it: the client disconnects (reader), or the bridge closes the
        # connection (writer: kernel shut down, client too slow).
        await asyncio.wait((reader, writer), return_when=asyncio.FIRST_COMPLETED)
    finally:
        bridge.detach(conn)
        for task in (reader, writer):
            task.cancel()
        # A client gone mid-write ends the writer with the server's disconnect error.
        for result in await asyncio.gather(reader, writer, return_exceptions=True):
            if isinstance(result, Exception):
                log.debug("kernel %s: WebSocket pump ended: %r", kernel_id, result)
