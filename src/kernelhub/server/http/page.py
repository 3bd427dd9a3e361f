"""``/``: a short page for a human who opens the server's URL in a browser.

It says what the server is and how to point JupyterLab or Jupyter Server (as a gateway) and
VS Code at it, with this server's URL filled in, and links to the API. The page needs no
token; the token is written into it only when the request itself carried the right one (a
``?token=`` link, a header, a cookie), never for anyone else. Everything that comes from the
request (the Host header) is escaped.
"""

from __future__ import annotations

import html
from urllib.parse import quote

from kernelhub.server.config import ServerConfig
from kernelhub.server.http import auth
from kernelhub.server.http.asgi import Request, Response, Router

__all__ = ["HomePage"]

_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'; "
    "base-uri 'none'; form-action 'none'"
)
_STYLE = (
    "body{font:15px/1.5 system-ui,sans-serif;max-width:46em;margin:2em auto;padding:0 1em}"
    "pre{background:#f4f4f4;padding:.6em .8em;overflow-x:auto}code{font-size:90%}"
)
_API = [
    ("api/kernelspecs", "kernel types"),
    ("api/kernels", "running kernels"),
    ("api/sessions", "sessions"),
    ("api/status", "status"),
    ("api/spec.yaml", "the OpenAPI description of this API"),
]


class HomePage:
    """The handler of ``/``."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config

    def add_routes(self, router: Router) -> None:
        """Route ``/``."""
        router.add("GET", "/", self.page)

    def _url(self, request: Request) -> str:
        scheme = "https" if request.scope.get("scheme") in {"https", "wss"} else "http"
        host = request.headers.get("host")
        if not host:
            server = request.scope.get("server") or (self.config.ip, self.config.port)
            host = f"{server[0]}:{server[1]}"
        return f"{scheme}://{host}{self.config.base_url}"

    async def page(self, request: Request) -> Response:
        """``GET /``: the page (see the module docstring)."""
        from kernelhub._version import __version__

        url = self._url(request)
        known = bool(self.config.token) and auth.check_request(self.config, request.scope) is None
        token = self.config.token if known else None
        e = html.escape
        shown = e(token) if token else "&lt;token&gt;"
        query = f"?token={quote(token)}" if token and "token" in request.query else ""
        if not self.config.token:
            auth_line = "This server asks for no token."
        elif token:
            auth_line = "The token is filled in below because this request carried it."
        else:
            auth_line = (
                "Clients need the server's token (printed by <code>kernelhub serve</code> when "
                "it starts); open this page with <code>?token=...</code> to have it filled in."
            )
        gateway = f"--gateway-url={e(url)}"
        if self.config.token:
            gateway += f" --GatewayClient.auth_token={shown}"
        vscode = e(url) + (f"?token={shown}" if self.config.token else "")
        links = "".join(
            f'<li><a href="{e(self.config.base_url + path + query)}">{e(path)}</a>: {what}</li>'
            for path, what in _API
        )
        body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>kernelhub</title>
<style>{_STYLE}</style></head><body>
<h1>kernelhub {e(__version__)}</h1>
<p>This is a <b>kernelhub</b> server: Jupyter kernels behind Jupyter Server's kernel API
(REST and WebSocket), without notebooks or files. Point a Jupyter frontend at it.</p>
<p>{auth_line}</p>
<h2>JupyterLab or Jupyter Server</h2>
<p>Run the frontend's own server with this one as its gateway: kernels run here.</p>
<pre>jupyter lab {gateway}</pre>
<h2>VS Code</h2>
<p><i>Select Kernel</i> &rarr; <i>Existing Jupyter Server...</i>, then enter:</p>
<pre>{vscode}</pre>
<h2>The API</h2>
<ul>{links}</ul>
</body></html>
"""
        headers = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-security-policy", _POLICY.encode()),
            (b"cache-control", b"no-store"),  # it may hold the token
            (b"referrer-policy", b"no-referrer"),
        ]
        return Response(200, body.encode(), headers)
