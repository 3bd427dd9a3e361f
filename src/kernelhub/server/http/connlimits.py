"""Limits on HTTP connections: a deadline for the request headers, and a cap on connections
that have not presented a valid token.

uvicorn closes a keep-alive connection that stays idle after a response
(``timeout_keep_alive``), but has no deadline before the first request, nor for headers that
never finish: a socket that sends nothing, or half a header (slowloris), stayed open for ever.
:func:`guarded_http` makes a subclass of uvicorn's httptools protocol that arms a deadline
(``header_timeout``) when a connection is made, and again when the first bytes of a later
request arrive, and disarms it once the headers are complete; the connection is closed when it
fires. Headers larger than :data:`MAX_HEADER_BYTES` are answered 431 (httptools, unlike h11,
has no bound of its own). The body and the handler are not bounded here: only a client that
has sent whole headers reaches them, and the body is bounded by ``max_body_bytes``.

Connections are *unauthenticated* until one of their requests carries the token (as
:func:`kernelhub.server.http.auth.check_request` decides). At most ``max_unauthenticated`` of them
are kept: a new one beyond the cap closes the oldest. Closing the oldest rather than refusing
the newest means that a client that just connected is served even while someone holds
hundreds of idle sockets; connections that have authenticated (and WebSockets, which leave
HTTP once upgraded) are never counted nor closed for it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from kernelhub.server.config import ServerConfig
from kernelhub.server.http.auth import check_request

__all__ = ["MAX_HEADER_BYTES", "Unauthenticated", "guarded_http"]

log = logging.getLogger("kernelhub.server")

#: Request line and headers larger than this are refused (431), as h11's default bound is.
MAX_HEADER_BYTES = 64 * 1024
_431 = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n"
    b"connection: close\r\n\r\n"
)


class Unauthenticated:
    """The connections that have not authenticated yet, oldest first, at most ``cap``
    (``0``: no cap)."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._connections: dict[asyncio.BaseTransport, None] = {}
        #: How many connections were closed to stay under the cap.
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._connections)

    def add(self, transport: asyncio.BaseTransport) -> None:
        """Count a new connection, closing the oldest ones beyond the cap."""
        while self.cap and len(self._connections) >= self.cap:
            oldest = next(iter(self._connections))
            del self._connections[oldest]
            self.evicted += 1
            if self.evicted == 1 or self.evicted % 1000 == 0:
                log.warning(
                    "%d connections without a token closed (more than %d were open)",
                    self.evicted,
                    self.cap,
                )
            oldest.close()
        self._connections[transport] = None

    def discard(self, transport: asyncio.BaseTransport) -> None:
        """The connection authenticated, left HTTP or closed."""
        self._connections.pop(transport, None)


def guarded_http(config: ServerConfig) -> type[asyncio.Protocol]:
    """uvicorn's httptools protocol with the header deadline and the cap of ``config``
    (one cap per call: call it once per server)."""
    unauthenticated = Unauthenticated(config.max_unauthenticated)
    timeout = config.header_timeout

    class GuardedHttpToolsProtocol(HttpToolsProtocol):
        """See :mod:`kernelhub.server.http.connlimits`."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._deadline: asyncio.TimerHandle | None = None
            self._awaiting_headers = True
            self._header_bytes = 0

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            unauthenticated.add(transport)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            unauthenticated.discard(self.transport)
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._awaiting_headers:
                self._arm()  # after a keep-alive pause: a new request is on its way
                self._header_bytes += len(data)
            super().data_received(data)
            if self._awaiting_headers and self._header_bytes > MAX_HEADER_BYTES:
                self._disarm()
                if not self.transport.is_closing():
                    self.transport.write(_431)
                    self.transport.close()

        def on_headers_complete(self) -> None:
            self._disarm()
            self._awaiting_headers = False
            try:
                query = httptools.parse_url(self.url).query or b""
            except httptools.HttpParserInvalidURLError:
                query = b""  # uvicorn answers it 400 (or the WebSocket handshake fails)
            if check_request(config, {"headers": self.headers, "query_string": query}) is None:
                unauthenticated.discard(self.transport)
            super().on_headers_complete()

        def on_response_complete(self) -> None:
            # A queued (pipelined) request has its headers already.
            self._awaiting_headers = not self.pipeline
            self._header_bytes = 0
            super().on_response_complete()

        def handle_websocket_upgrade(self) -> None:
            unauthenticated.discard(self.transport)  # the WebSocket protocol owns it now
            super().handle_websocket_upgrade()

        def _arm(self) -> None:
            if self._deadline is None and timeout > 0:
                self._deadline = self.loop.call_later(timeout, self._expired)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expired(self) -> None:
            self._deadline = None
            if not self.transport.is_closing():
                log.debug("closed a connection whose request headers did not come in time")
                self.transport.close()

    return GuardedHttpToolsProtocol
