"""``/api/kernels``: start, list, show, shut down, interrupt and restart kernels.

Errors are raised as kernelhub errors and turned into HTTP answers in one place
(:func:`kernelhub.server.app.http_error`); a failed start as
:mod:`kernelhub.server.api.starts` says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from kernelhub.server.api.starts import already_running, start_failure
from kernelhub.server.config import ServerConfig
from kernelhub.server.http.asgi import HTTPError, Request, Response, Router, empty, json_response
from kernelhub.server.kernels.hub import KernelHub

__all__ = ["KernelsAPI", "check_start_body"]

_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}\Z")
_START = 'a JSON object like {"name": "python3", "path": "sub/dir", "env": {...}}'


def _string(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise HTTPError(400, f"{key!r} must be a string, got {type(value).__name__}")
    return value


def check_start_body(body: Mapping[str, Any], *, id_field: str = "kernel_id") -> dict[str, Any]:
    """The keyword arguments of :meth:`KernelHub.start_kernel` from a POST body (400 if a
    field has the wrong type; ``id_field`` names the kernel id's field in that message)."""
    env = body.get("env")
    if env is not None and not (
        isinstance(env, dict) and all(isinstance(v, str) for v in env.values())
    ):
        raise HTTPError(400, '\'env\' must be an object of strings ({"KERNEL_USERNAME": "me"})')
    params = body.get("launch_params")
    if params is not None and not isinstance(params, dict):
        raise HTTPError(400, f"'launch_params' must be an object, got {type(params).__name__}")
    return {
        "name": _string(body, "name"),
        "path": _string(body, "path"),
        "env": env,
        "launch_params": params,
        "kernel_id": _kernel_id(body, id_field),
    }


def _kernel_id(body: Mapping[str, Any], field: str) -> str | None:
    kernel_id = body.get("kernel_id")
    if kernel_id is not None and not (isinstance(kernel_id, str) and _ID.match(kernel_id)):
        # The id names the connection file (kernel-ID.json) and one segment of the URL.
        raise HTTPError(
            400,
            f"{field!r} must be 1-128 letters, digits, '-', '_' or '.' (not first), like a "
            f"UUID; got {kernel_id!r}",
        )
    return kernel_id


class KernelsAPI:
    """The kernel handlers over one hub."""

    def __init__(self, hub: KernelHub, config: ServerConfig) -> None:
        self.hub = hub
        self.config = config

    def add_routes(self, router: Router) -> None:
        """Route this API's paths."""
        router.add("GET", "/api/kernels", self.list)
        router.add("POST", "/api/kernels", self.start)
        router.add("GET", "/api/kernels/{kernel_id}", self.show)
        router.add("DELETE", "/api/kernels/{kernel_id}", self.shutdown)
        router.add("POST", "/api/kernels/{kernel_id}/interrupt", self.interrupt)
        router.add("POST", "/api/kernels/{kernel_id}/restart", self.restart)

    def _location(self, kernel_id: str) -> tuple[bytes, bytes]:
        return (b"location", f"{self.config.base_url}api/kernels/{quote(kernel_id)}".encode())

    async def list(self, request: Request) -> Response:
        """``GET /api/kernels``."""
        return json_response([k.model() for k in self.hub.kernels()])

    async def start(self, request: Request) -> Response:
        """``POST /api/kernels``: 201 with the model once the kernel answers."""
        body = await request.json_object(_START)
        options = check_start_body(body)
        if options["kernel_id"] is not None and options["kernel_id"] in self.hub:
            raise already_running(options["kernel_id"])
        try:
            kernel = await self.hub.start_kernel(**options)
        except Exception as exc:
            raise start_failure(exc, options["name"], "kernels") from exc
        return json_response(kernel.model(), 201, [self._location(kernel.id)])

    async def show(self, request: Request) -> Response:
        """``GET /api/kernels/{id}``."""
        return json_response(self.hub.get(request.params["kernel_id"]).model())

    async def shutdown(self, request: Request) -> Response:
        """``DELETE /api/kernels/{id}``: 204 once the kernel has stopped taking requests."""
        await self.hub.shutdown_kernel(request.params["kernel_id"])
        return empty(204)

    async def interrupt(self, request: Request) -> Response:
        """``POST /api/kernels/{id}/interrupt``: 204."""
        await self.hub.interrupt_kernel(request.params["kernel_id"])
        return empty(204)

    async def restart(self, request: Request) -> Response:
        """``POST /api/kernels/{id}/restart``: 200 with the model once the kernel answers."""
        kernel = await self.hub.restart_kernel(request.params["kernel_id"])
        return json_response(kernel.model(), 200, [self._location(kernel.id)])
