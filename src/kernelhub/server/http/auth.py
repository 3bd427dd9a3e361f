"""Who may talk to the server: the token, WebSocket origins and CORS.

A request carries the token as ``Authorization: token <t>`` (``Bearer`` too) or as
``?token=<t>`` (browsers cannot set headers on a WebSocket; Jupyter Server accepts the query
for plain HTTP as well, and so do we). Tokens are compared in constant time. ``token=""``
switches authentication off. A request that fails is answered 403 before any handler runs,
so nothing else happens. WebSocket upgrades also need an acceptable ``Origin``: none (not a
browser), the server's own host, the CORS origin, or one of ``allowed_origins``.
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qsl, urlsplit

from kernelhub.server.config import ServerConfig
from kernelhub.server.http.asgi import HTTPError, Response, Scope

__all__ = [
    "UNAUTHENTICATED",
    "check_request",
    "check_websocket_origin",
    "cors_headers",
    "preflight",
    "token_from",
]

#: Paths answered without a token (Jupyter Server's ``GET /api`` needs none either).
UNAUTHENTICATED = frozenset({"/api", "/api/"})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def token_from(scope: Scope) -> str | None:
    """The token the request presents (header first, then ``?token=``), or ``None``."""
    auth = _header(scope, b"authorization")
    if auth:
        scheme, _, value = auth.strip().partition(" ")
        if scheme.lower() in ("token", "bearer") and value.strip():
            return value.strip()
    query = scope.get("query_string", b"")
    if b"token=" in query:
        for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if key == "token":
                return str(value)
    return None


def check_request(config: ServerConfig, scope: Scope) -> HTTPError | None:
    """``None`` if the request (HTTP or WebSocket) may go on, else the 403 to answer with."""
    expected = config.token
    if not expected:  # "" (auth off); None never reaches here: the app makes a token
        return None
    given = token_from(scope)
    if given is not None and hmac.compare_digest(given.encode(), expected.encode()):
        return None
    if given is None:
        return HTTPError(403, "a token is required: 'Authorization: token <token>' or ?token=")
    return HTTPError(403, "the token is not valid")


def _host_origin(scope: Scope) -> set[str]:
    """The origins that name this server: its Host header, under http and https."""
    host = _header(scope, b"host")
    return {f"http://{host}", f"https://{host}"} if host else set()


def check_websocket_origin(config: ServerConfig, scope: Scope) -> bool:
    """Whether a WebSocket upgrade's ``Origin`` is acceptable (see the module docstring)."""
    origin = _header(scope, b"origin")
    if origin is None:
        return True  # not from a browser: the token is what protects it
    origin = origin.rstrip("/")
    if config.allow_origin == "*" or "*" in config.allowed_origins:
        return True
    if origin == config.allow_origin or origin in config.allowed_origins:
        return True
    if origin in _host_origin(scope):
        return True
    parts = urlsplit(origin)
    # Same host under another spelling of the loopback address is still us.
    return parts.hostname in ("localhost", "127.0.0.1", "::1") and _is_local(scope)


def _is_local(scope: Scope) -> bool:
    server = scope.get("server")
    host = str(server[0]) if server else ""
    return host in ("127.0.0.1", "::1", "localhost")


def cors_headers(config: ServerConfig, scope: Scope) -> list[tuple[bytes, bytes]]:
    """The ``Access-Control-Allow-*`` headers for a response, or none."""
    allowed = config.allow_origin
    if not allowed:
        return []
    if allowed == "*":
        value = "*"
    else:
        origin = _header(scope, b"origin")
        if origin is None or origin.rstrip("/") != allowed.rstrip("/"):
            return []
        value = origin
    headers = [(b"access-control-allow-origin", value.encode())]
    if value != "*":
        headers += [(b"access-control-allow-credentials", b"true"), (b"vary", b"Origin")]
    return headers


def preflight(config: ServerConfig, scope: Scope) -> Response:
    """The answer to a CORS preflight ``OPTIONS`` (no token needed: browsers send none)."""
    headers = cors_headers(config, scope)
    if headers:
        asked = _header(scope, b"access-control-request-headers") or "Authorization, Content-Type"
        headers += [
            (b"access-control-allow-methods", b"GET, POST, PATCH, DELETE, HEAD, OPTIONS"),
            (b"access-control-allow-headers", asked.encode("latin-1")),
            (b"access-control-max-age", b"600"),
        ]
    return Response(204, b"", headers)
