"""``kernelhub serve``: run the server (Jupyter Server's kernel API) until Ctrl-C.

Settings come from options, ``KERNELHUB_*`` variables and ``kernelhub.toml`` (see
:mod:`kernelhub.server.config`). The URL with the token is printed once, on one line, when
the server is ready; after that the log has one line per kernel event. Ctrl-C (or SIGTERM)
stops cleanly: kernels keep running, to be re-attached by the next ``kernelhub serve``,
unless ``--shutdown-kernels-on-exit``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Iterator
from typing import Any

__all__ = ["quiet_uvicorn", "register", "run"]

log = logging.getLogger("kernelhub.server")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``serve`` command."""
    p = sub.add_parser(
        "serve",
        help="serve every kernel to Jupyter frontends (REST + WebSocket)",
        description=__doc__,
    )
    p.add_argument("--ip", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 8888; 0 picks a free one)")
    p.add_argument("--token", help="the token clients must present ('' disables auth)")
    p.add_argument("--config", metavar="PATH", help="a TOML config file")
    p.add_argument("--base-url", help="URL prefix of every route (default /)")
    p.add_argument("--root-dir", help="root of kernel working directories (default: cwd)")
    p.add_argument(
        "--pool", action="append", metavar="TYPE=N", help="keep N warm kernels of TYPE (repeat)"
    )
    p.add_argument(
        "--shutdown-kernels-on-exit",
        action="store_true",
        default=None,
        help="shut kernels down when the server stops (default: leave them running)",
    )
    p.add_argument("--allow-origin", help="CORS Access-Control-Allow-Origin ('*' for any)")
    p.add_argument(
        "--allowed-origin",
        action="append",
        dest="allowed_origins",
        metavar="ORIGIN",
        help="an origin WebSockets may come from (repeat)",
    )
    p.add_argument("--buffer-bytes", type=int, help="output kept per kernel with no client")
    p.add_argument("--cull-idle-timeout", type=float, help="cull kernels idle this long (s)")
    p.add_argument("--cull-interval", type=float, help="how often to look for idle kernels (s)")
    for flag, what in (("--cull-busy", "busy"), ("--cull-connected", "connected")):
        p.add_argument(flag, action="store_true", default=None, help=f"cull {what} kernels too")
    p.add_argument("--state-dir", help="where the state database lives (default: runtime dir)")
    p.add_argument("--default-kernel-name", help="kernel type of a POST without a name")
    p.add_argument("--log-level", help="DEBUG, INFO, WARNING, ERROR")
    p.add_argument(
        "--all-kernel-types",
        action="store_true",
        default=None,
        help="list every kernel type, duplicates and stale ones included "
        "(default: one per distinct runnable kernel)",
    )
    p.set_defaults(func=run)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    keys = (
        "ip", "port", "token", "base_url", "root_dir", "shutdown_kernels_on_exit",
        "allow_origin", "allowed_origins", "buffer_bytes", "cull_idle_timeout", "cull_interval",
        "cull_busy", "cull_connected", "state_dir", "default_kernel_name", "log_level",
        "all_kernel_types",
    )  # fmt: skip
    options = {key: getattr(args, key, None) for key in keys}
    options["pools"] = ",".join(args.pool) if args.pool else None
    return options


def quiet_uvicorn() -> None:
    """No access log (it would print ``?token=`` query strings, and costs time per request)
    and only uvicorn's warnings: the log is one line per kernel event."""
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False  # uvicorn logs requests only if this logger has handlers
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)


def _bind(ip: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((ip, port))
    except OSError as exc:
        sock.close()
        from kernelhub.errors import KernelhubError

        raise KernelhubError(f"cannot listen on {ip}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _url(ip: str, port: int, base_url: str, token: str) -> str:
    host = f"[{ip}]" if ":" in ip else ip
    return f"http://{host}:{port}{base_url}" + (f"?token={token}" if token else "")


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; 0 after a clean stop."""
    import uvicorn

    from kernelhub.server.app import create_app
    from kernelhub.server.config import load_config, with_token
    from kernelhub.server.http.connlimits import guarded_http

    config = with_token(load_config(_options(args), config_file=args.config))
    logging.basicConfig(
        level=config.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    quiet_uvicorn()
    sock = _bind(config.ip, config.port)
    port = sock.getsockname()[1]
    app = create_app(config)
    token = config.token or ""

    async def announce() -> None:
        if not token:
            log.warning("AUTHENTICATION IS OFF (empty token): anyone who can connect runs code")
        # The one place the token is shown: the user needs the URL to connect.
        print(f"kernelhub serving at {_url(config.ip, port, config.base_url, token)}", flush=True)

    app.on_startup.append(announce)
    loop = "uvloop" if _importable("uvloop") else "asyncio"
    settings = uvicorn.Config(
        app,
        loop=loop,
        http=guarded_http(config),  # httptools, with a header deadline and a cap
        ws="websockets-sansio",
        lifespan="on",
        log_config=None,
        access_log=False,
        ws_per_message_deflate=False,
        timeout_keep_alive=config.keep_alive_timeout,  # type: ignore[arg-type]  # int in hints
    )
    server = _server_class()(settings)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    log.info("kernelhub stopped")
    return 0 if server.started else 1


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _server_class() -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, but a stop on SIGINT/SIGTERM ends in a normal return (exit 0)
        instead of re-raising the signal once the shutdown is done."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            old = {s: signal.signal(s, self.handle_exit) for s in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for signum, handler in old.items():
                    signal.signal(signum, handler)

    return Server
