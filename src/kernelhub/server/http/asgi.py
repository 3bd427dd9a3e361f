"""The whole HTTP toolkit of the server: requests, responses, errors and a router, over raw ASGI.

No web framework: a framework's per-request machinery costs more than everything the kernel
API does, and the kernelspec listing has to answer several times faster than Jupyter Server.
So a :class:`Request` reads only what a handler asks for, responses are bytes built once
(:func:`json_response`, cached bodies in the handlers), and the :class:`Router` answers a
static path with one dict lookup. Errors are :class:`HTTPError` and render as Jupyter Server's
API errors do: ``{"message": ..., "reason": ...}`` with an ``application/json`` body.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterable, MutableMapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

__all__ = [
    "HTTPError",
    "Handler",
    "Receive",
    "Request",
    "Response",
    "Router",
    "Scope",
    "Send",
    "empty",
    "error_response",
    "json_response",
    "security_headers",
    "send_response",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

JSON = b"application/json"
_HEADERS_JSON = [(b"content-type", JSON)]


class HTTPError(Exception):
    """An error answer: ``status`` and a human ``message`` (what was wrong, what was expected)."""

    def __init__(
        self, status: int, message: str, *, headers: Iterable[tuple[bytes, bytes]] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = list(headers)


@dataclass
class Response:
    """A complete response: status, header pairs (lower-case bytes) and body."""

    status: int = 200
    body: bytes = b""
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)


def json_bytes(data: Any) -> bytes:
    """Compact JSON, UTF-8."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(
    data: Any, status: int = 200, headers: Iterable[tuple[bytes, bytes]] = ()
) -> Response:
    """A JSON response of ``data``."""
    return Response(status, json_bytes(data), [*_HEADERS_JSON, *headers])


def empty(status: int = 204, headers: Iterable[tuple[bytes, bytes]] = ()) -> Response:
    """A response without a body."""
    return Response(status, b"", list(headers))


def error_response(error: HTTPError) -> Response:
    """Jupyter Server's API error body for ``error``."""
    reason = (
        HTTPStatus(error.status).phrase if error.status in HTTPStatus._value2member_map_ else ""
    )
    body = {"message": error.message, "reason": reason}
    return json_response(body, error.status, error.headers)


def security_headers(base_url: str) -> list[tuple[bytes, bytes]]:
    """Jupyter Server's headers on API answers: its Content-Security-Policy (nothing may be
    loaded, no framing but by the same origin) and ``nosniff``."""
    policy = (
        f"frame-ancestors 'self'; report-uri {base_url}api/security/csp-report; default-src 'none'"
    )
    return [
        (b"content-security-policy", policy.encode()),
        (b"x-content-type-options", b"nosniff"),
    ]


async def send_response(
    send: Send,
    response: Response,
    *,
    head: bool = False,
    extra: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """Send ``response`` (headers only for HEAD, with the body's length), and the ``extra``
    headers it does not set itself."""
    headers = response.headers
    if extra:
        own = {name for name, _ in headers}
        headers = [*headers, *(pair for pair in extra if pair[0] not in own)]
    if response.status not in {204, 304}:
        headers = [*headers, (b"content-length", str(len(response.body)).encode())]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else response.body})


class Request:
    """One HTTP request. ``params`` are the path's named parts; the body is read on demand,
    at most ``max_body`` bytes (413 beyond)."""

    __slots__ = ("_body", "_headers", "_query", "_receive", "max_body", "params", "scope")

    def __init__(self, scope: Scope, receive: Receive, max_body: int = 10 * 1024 * 1024) -> None:
        self.scope = scope
        self._receive = receive
        self.max_body = max_body
        self.params: dict[str, str] = {}
        self._headers: dict[str, str] | None = None
        self._query: dict[str, str] | None = None
        self._body: bytes | None = None

    @property
    def method(self) -> str:
        """``GET``, ``POST``, ..."""
        return str(self.scope["method"])

    @property
    def path(self) -> str:
        """The decoded path, below the base URL."""
        return str(self.scope["path"])

    @property
    def headers(self) -> dict[str, str]:
        """Header values by lower-case name (a repeated header: the last one)."""
        if self._headers is None:
            self._headers = {
                k.decode("latin-1"): v.decode("latin-1") for k, v in self.scope["headers"]
            }
        return self._headers

    @property
    def query(self) -> dict[str, str]:
        """Query parameters (a repeated one: the last value)."""
        if self._query is None:
            raw = self.scope.get("query_string", b"").decode("latin-1")
            self._query = dict(parse_qsl(raw, keep_blank_values=True))
        return self._query

    async def body(self) -> bytes:
        """The whole body (413 if it is larger than ``max_body``)."""
        if self._body is None:
            chunks: list[bytes] = []
            size = 0
            while True:
                message = await self._receive()
                if message["type"] == "http.disconnect":
                    raise HTTPError(400, "the client went away before sending the whole body")
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_body:
                    raise HTTPError(413, f"the request body is larger than {self.max_body} bytes")
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
            self._body = b"".join(chunks)
        return self._body

    async def json(self, expected: str = "a JSON object") -> Any:
        """The body as JSON; ``None`` if it is empty; 400 naming ``expected`` if malformed."""
        raw = await self.body()
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            # Jupyter Server's words first: clients match on them.
            raise HTTPError(
                400, f"Invalid JSON in body of request ({exc}); expected {expected}"
            ) from None

    async def json_object(self, expected: str) -> dict[str, Any]:
        """The body as a JSON object (an empty body is ``{}``); 400 otherwise."""
        data = await self.json(expected)
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise HTTPError(400, f"expected {expected}, got JSON {type(data).__name__}")
        return data


Handler = Callable[[Request], Awaitable[Response]]
_PARAM = re.compile(r"\{(\w+)(:path)?\}")


class Router:
    """Method + path -> handler. Paths are literal or have ``{name}`` (one segment) and
    ``{name:path}`` (the rest) parts. Unknown paths 404, known paths with another method 405
    (with ``Allow``)."""

    def __init__(self) -> None:
        self._static: dict[str, dict[str, Handler]] = {}
        self._patterns: list[tuple[re.Pattern[str], dict[str, Handler]]] = []

    def add(self, methods: str | Iterable[str], path: str, handler: Handler) -> None:
        """Route ``methods`` (``"GET"`` or several) on ``path`` to ``handler``."""
        names = [methods] if isinstance(methods, str) else list(methods)
        if "{" not in path:
            table = self._static.setdefault(path, {})
        else:
            regex = (
                "^"
                + _PARAM.sub(lambda m: f"(?P<{m[1]}>.+)" if m[2] else f"(?P<{m[1]}>[^/]+)", path)
                + "$"
            )
            for pattern, existing in self._patterns:
                if pattern.pattern == regex:
                    table = existing
                    break
            else:
                table = {}
                self._patterns.append((re.compile(regex), table))
        for method in names:
            table[method] = handler

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        """The handler and path parameters; HTTPError 404 or 405."""
        table = self._static.get(path)
        params: dict[str, str] = {}
        if table is None:
            for pattern, candidate in self._patterns:
                found = pattern.match(path)
                if found is not None:
                    table, params = candidate, found.groupdict()
                    break
            else:
                raise HTTPError(404, f"no such resource: {path}")
        handler = table.get(method)
        if handler is None and method == "HEAD":
            handler = table.get("GET")
        if handler is None:
            allow = ", ".join(sorted(table)).encode()
            raise HTTPError(405, f"{method} is not allowed on {path}", headers=[(b"allow", allow)])
        return handler, params
