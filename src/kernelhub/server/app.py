"""The ASGI application: routing, authentication, errors, the WebSocket route and lifespan.

``create_app(config)`` returns an :class:`App`; uvicorn (``kernelhub serve``) or any ASGI server
runs it. Every HTTP request goes: base URL -> CORS preflight -> token -> route -> handler; kernelhub
errors become JSON answers in :func:`http_error`. WebSockets on ``/api/kernels/<id>/channels`` go,
after the token and origin checks, to ``kernelhub.server.channels.endpoint.channels_endpoint``.
The app is the composition root: it builds every part of the server and owns their order.

The channels attachment is added when the app is made, so that every kernel has its bridge from
its start (or re-attachment) on: its IOPub SUB socket keeps ``execution_state`` and
``last_activity`` whether or not a client has connected (a kernel that nobody watched would stay
``busy`` forever after a re-attachment found it running code). It costs one socket and a few
``kernel_info`` requests on control per kernel, a fraction of a millisecond of a start; pool
kernels get theirs when taken.

Lifespan startup, before the first request: the pool settings are checked, the state database
opens and this server registers in it, kernels left by an earlier server are re-attached and
their sessions put back, then the culler and the pools start, then the :attr:`App.on_startup`
hooks run (``kernelhub serve`` announces its URL there). Each part that starts pushes its close
onto one :class:`~contextlib.AsyncExitStack`, so shutdown (or a startup that fails halfway) runs
them in reverse: pools (their kernels belong to nobody and are shut down), the culler, the hub
(kernels detached or, with ``shutdown_kernels_on_exit``, shut down, which empties their rows),
the WebSocket bridges, the database.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

from kernelhub.errors import (
    ClientClosedError,
    KernelDiedError,
    KernelhubError,
    KernelTimeoutError,
    LaunchParamsError,
    NoSuchKernelError,
)
from kernelhub.multikernel.culler import Culler
from kernelhub.server.api.kernels import KernelsAPI
from kernelhub.server.api.kernelspecs import KernelspecsAPI
from kernelhub.server.api.misc import MiscAPI
from kernelhub.server.api.sessions import SessionsAPI
from kernelhub.server.api.starts import not_found_message
from kernelhub.server.channels.endpoint import channels_attachment, channels_endpoint
from kernelhub.server.config import ServerConfig, with_token
from kernelhub.server.http import auth
from kernelhub.server.http.asgi import (
    HTTPError,
    Receive,
    Request,
    Response,
    Router,
    Scope,
    Send,
    error_response,
    security_headers,
    send_response,
)
from kernelhub.server.http.page import HomePage
from kernelhub.server.kernels.hub import KernelHub
from kernelhub.server.kernels.pool import Pools
from kernelhub.server.kernels.rootdir import PathError
from kernelhub.server.kernels.sessions import SessionStore
from kernelhub.server.state.reattach import reattach
from kernelhub.server.state.store import StateStore

__all__ = ["App", "create_app", "http_error"]

log = logging.getLogger("kernelhub.server")

_CHANNELS = re.compile(r"^/api/kernels/(?P<kernel_id>[^/]+)/channels$")
# WebSocket close codes: 1008 policy violation (token, origin); 1011 the server cannot serve.
_WS_FORBIDDEN, _WS_UNAVAILABLE = 1008, 1011


def http_error(exc: Exception) -> HTTPError:
    """The HTTP answer for an exception raised by a handler."""
    if isinstance(exc, HTTPError):
        return exc
    if isinstance(exc, NoSuchKernelError):
        return HTTPError(404, not_found_message(exc))
    if isinstance(exc, (PathError, LaunchParamsError)):
        return HTTPError(400, str(exc))
    if isinstance(exc, KernelDiedError):
        return HTTPError(409, f"the kernel is not running: {exc}")
    if isinstance(exc, ClientClosedError):
        return HTTPError(409, str(exc))
    if isinstance(exc, KernelTimeoutError):
        return HTTPError(504, str(exc))
    if isinstance(exc, KernelhubError):
        return HTTPError(500, str(exc))
    log.error("unhandled error in a request", exc_info=exc)
    return HTTPError(500, "Unhandled error")


class App:
    """The kernelhub ASGI application (see the module docstring)."""

    def __init__(self, config: ServerConfig, hub: KernelHub) -> None:
        self.config = config
        self.hub = hub
        self.sessions = SessionStore()
        self.router = Router()
        #: Awaited at lifespan startup, in order, once every part of the server has started.
        self.on_startup: list[Callable[[], Awaitable[None]]] = []
        self.channels = channels_attachment(hub)
        self.culler = Culler(hub)
        self._stack = AsyncExitStack()
        MiscAPI(hub).add_routes(self.router)
        KernelspecsAPI(hub.names, config).add_routes(self.router)
        KernelsAPI(hub, config).add_routes(self.router)
        SessionsAPI(hub, self.sessions, config).add_routes(self.router)
        HomePage(config).add_routes(self.router)
        self._base = config.base_url.rstrip("/")
        self._security = security_headers(config.base_url)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "websocket":
            await self._websocket(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    def _path(self, scope: Scope) -> str | None:
        path: str = scope["path"]
        if not self._base:
            return path
        if path == self._base or path.startswith(self._base + "/"):
            return path[len(self._base) :] or "/"
        return None

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope["method"]
        path = self._path(scope)
        cors = auth.cors_headers(self.config, scope) if self.config.allow_origin else []
        try:
            if path is None:
                raise HTTPError(404, f"no such resource: {scope['path']}")
            if method == "OPTIONS":
                await send_response(send, auth.preflight(self.config, scope))
                return
            if path not in auth.UNAUTHENTICATED and path != "/":  # the page checks itself
                denied = auth.check_request(self.config, scope)
                if denied is not None:
                    raise denied
            handler, params = self.router.match(method, path)
            request = Request(scope, receive, self.config.max_body_bytes)
            request.params = params
            response = await handler(request)
        except Exception as exc:
            response = error_response(http_error(exc))
        if cors:
            response = Response(response.status, response.body, [*response.headers, *cors])
        await send_response(send, response, head=method == "HEAD", extra=self._security)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = self._path(scope)
        found = _CHANNELS.match(path) if path is not None else None
        if found is None:
            await send({"type": "websocket.close", "code": _WS_UNAVAILABLE})
            return
        if auth.check_request(self.config, scope) is not None:
            log.warning("WebSocket refused: no valid token")
            await send({"type": "websocket.close", "code": _WS_FORBIDDEN})
            return
        if not auth.check_websocket_origin(self.config, scope):
            log.warning("WebSocket refused: origin not allowed")
            await send({"type": "websocket.close", "code": _WS_FORBIDDEN})
            return
        await channels_endpoint(
            scope, receive, send, hub=self.hub, kernel_id=found["kernel_id"], config=self.config
        )

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self._start()
                    for hook in self.on_startup:
                        await hook()
                    await self.hub.names.listing()  # the first listing is not paid by a client
                except Exception as exc:
                    if isinstance(exc, KernelhubError):  # a setting or a kernel type
                        log.error("server startup failed: %s", exc)
                    else:
                        log.exception("server startup failed")
                    await self._stack.aclose()  # what did start stops again
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._stack.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _start(self) -> None:
        """Start every part in order, each pushing its close (see the module docstring)."""
        hub, stack = self.hub, self._stack
        pools = Pools(hub)
        await pools.check()  # a bad pool setting stops the start before anything runs
        store = StateStore.open(hub.config.state_dir)
        stack.push_async_callback(store.aclose)
        stack.push_async_callback(self.channels.aclose)
        stack.push_async_callback(hub.aclose)
        hub.add_attachment(store)
        await reattach(hub, store, self.sessions)
        store.follow_sessions(self.sessions)
        store.start_flushing()
        self.culler.start()
        stack.push_async_callback(self.culler.aclose)
        if pools.pools:
            pools.store = store
            stack.push_async_callback(pools.aclose)
            await pools.start()


def create_app(config: ServerConfig, *, hub: KernelHub | None = None) -> App:
    """The application for ``config`` (given a random token if it has none). It owns ``hub``
    (a new one over every registered provider if not given) and closes it at shutdown."""
    config = with_token(config)
    if hub is None:
        from kernelhub.providers.finder import KernelFinder

        hub = KernelHub(config, KernelFinder.from_entrypoints())
    elif hub.config is not config:
        hub.config = config
    return App(config, hub)
