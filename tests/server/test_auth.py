"""Tokens, CORS and WebSocket origins, against a real server and as plain functions."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from kernelhub.providers.finder import KernelFinder
from kernelhub.server.app import create_app
from kernelhub.server.http import auth
from kernelhub.server.kernels.hub import KernelHub

from .conftest import ORIGIN, TOKEN, Client, Served, config_for, run_in_thread

ENDPOINTS = [
    ("GET", "/api/kernelspecs"),
    ("GET", "/api/kernelspecs/python3"),
    ("GET", "/kernelspecs/python3/logo-64x64.png"),
    ("GET", "/api/kernels"),
    ("POST", "/api/kernels"),
    ("GET", "/api/kernels/x"),
    ("DELETE", "/api/kernels/x"),
    ("POST", "/api/kernels/x/interrupt"),
    ("POST", "/api/kernels/x/restart"),
    ("GET", "/api/sessions"),
    ("POST", "/api/sessions"),
    ("PATCH", "/api/sessions/x"),
    ("DELETE", "/api/sessions/x"),
    ("GET", "/api/status"),
    ("GET", "/api/me"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize("token", [None, "wrong", "", TOKEN + "x", TOKEN[:-1]])
def test_a_wrong_or_missing_token_is_403(
    served: Served, client: Client, method: str, path: str, token: str | None
) -> None:
    before = len(served.recorder.events)
    reply = client.request(method, path, {"name": "python3", "path": "a.ipynb"}, token=token)
    assert reply.status == 403
    assert reply.json()["reason"] == "Forbidden"
    assert served.recorder.events[before:] == []  # nothing happened
    assert client.get("/api/kernels").json() == []


def test_the_token_in_the_query_or_as_bearer(client: Client) -> None:
    assert client.get(f"/api/status?token={TOKEN}", token=None).status == 200
    assert client.get("/api/status?token=nope", token=None).status == 403
    bearer = client.get("/api/status", token=None, headers={"Authorization": f"Bearer {TOKEN}"})
    assert bearer.status == 200


def test_api_version_needs_no_token(client: Client) -> None:
    reply = client.get("/api", token=None)
    assert reply.status == 200
    assert "version" in reply.json()


def test_cors_preflight_and_headers(client: Client) -> None:
    pre = client.request(
        "OPTIONS",
        "/api/kernels",
        token=None,
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert pre.status == 204
    assert pre.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in pre.headers["access-control-allow-methods"]
    assert pre.headers["access-control-allow-headers"] == "authorization, content-type"
    got = client.get("/api/kernels", headers={"Origin": ORIGIN})
    assert got.headers["access-control-allow-origin"] == ORIGIN
    denied = client.get("/api/kernels", token="bad", headers={"Origin": ORIGIN})
    assert denied.status == 403
    assert denied.headers["access-control-allow-origin"] == ORIGIN  # the browser may read why
    other = client.get("/api/kernels", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def _ws(port: int, query: str = "", origin: str | None = None) -> None:
    url = f"ws://127.0.0.1:{port}/api/kernels/nope/channels{query}"
    with connect(url, origin=origin, open_timeout=10, proxy=None) as socket:  # type: ignore[arg-type]
        socket.close()


@pytest.mark.parametrize(
    ("query", "origin"),
    [("", None), ("?token=bad", None), (f"?token={TOKEN}", "http://evil.example")],
)
def test_websocket_needs_the_token_and_an_allowed_origin(
    served: Served, query: str, origin: str | None
) -> None:
    with pytest.raises(InvalidStatus) as caught:
        _ws(served.port, query, origin)
    assert caught.value.response.status_code == 403


def _scope(origin: str | None, host: str = "127.0.0.1:8888") -> dict[str, Any]:
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return {"type": "websocket", "headers": headers, "server": ("127.0.0.1", 8888)}


def test_websocket_origin_rules() -> None:
    plain = config_for()
    assert auth.check_websocket_origin(plain, _scope(None))  # not a browser
    assert auth.check_websocket_origin(plain, _scope("http://127.0.0.1:8888"))
    assert auth.check_websocket_origin(plain, _scope("http://localhost:8888"))
    assert not auth.check_websocket_origin(plain, _scope("http://evil.example"))
    allowed = config_for(allowed_origins=("https://lab.example",))
    assert auth.check_websocket_origin(allowed, _scope("https://lab.example"))
    assert not auth.check_websocket_origin(allowed, _scope("https://lab.example.evil"))
    assert auth.check_websocket_origin(config_for(allow_origin="*"), _scope("http://any.where"))


def test_token_parsing() -> None:
    def scope(auth_header: str | None = None, query: bytes = b"") -> dict[str, Any]:
        headers = [(b"authorization", auth_header.encode())] if auth_header else []
        return {"headers": headers, "query_string": query}

    assert auth.token_from(scope("token abc")) == "abc"
    assert auth.token_from(scope("Token  abc ")) == "abc"
    assert auth.token_from(scope("Basic abc")) is None
    assert auth.token_from(scope(query=b"a=1&token=xyz")) == "xyz"
    assert auth.token_from(scope(query=b"token=a%2Bb")) == "a+b"
    assert auth.check_request(config_for(token=""), scope()) is None
    error = auth.check_request(config_for(), scope("token nope"))
    assert error is not None
    assert error.status == 403


@pytest.fixture
def open_server() -> Iterator[Client]:
    """A server with authentication switched off (token "")."""
    config = config_for(token="", shutdown_kernels_on_exit=True)
    app = create_app(config, hub=KernelHub(config, KernelFinder([])))
    running = run_in_thread(app)
    try:
        yield Client(running.port, token=None)
    finally:
        running.stop()


def test_an_empty_token_switches_auth_off(open_server: Client) -> None:
    assert open_server.get("/api/status").status == 200
    assert open_server.get("/api/kernelspecs").json()["kernelspecs"] == {}


def test_the_token_is_never_logged(
    served: Served, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client.get("/api/status", token="wrong")
    client.get(f"/api/status?token={TOKEN}", token=None)
    kid = client.post("/api/kernels", {}).json()["id"]
    client.delete(f"/api/kernels/{kid}")
    # Ours only: pytest hangs its capture handlers on uvicorn's access logger, which
    # `kernelhub serve` silences (test_serve_cli checks the real stderr).
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("kernelhub")]
    assert not [m for m in ours if TOKEN in m]
    assert any(kid in m for m in ours)  # the log did say something
