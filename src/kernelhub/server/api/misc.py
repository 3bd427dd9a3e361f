"""``/api``, ``/api/status``, ``/api/me``, ``/api/resolvePath`` and ``/api/spec.yaml``: what
frontends ask besides kernels and sessions.

``/api/resolvePath?path=P&kernel=ID`` says where a file a kernel mentions (a traceback's file
name) is, as Jupyter Server does: in the ``server`` scope as an API path (relative to the root,
only if it exists under the root, ``~`` expanded), in the ``kernel`` scope as an absolute path
relative to the kernel's working directory. A path that leaves the root is not resolved, so
that nothing is disclosed about files outside it. ``/api/spec.yaml`` is the OpenAPI
description of what this server serves (``api.yaml`` beside this module).
"""

from __future__ import annotations

import getpass
import os
from importlib import resources
from pathlib import Path

from kernelhub.server.http.asgi import HTTPError, Request, Response, Router, json_response
from kernelhub.server.kernels.hub import KernelHub
from kernelhub.server.kernels.served import iso, utcnow

__all__ = ["MiscAPI"]


class MiscAPI:
    """Server-wide handlers."""

    def __init__(self, hub: KernelHub) -> None:
        self.hub = hub
        self.started = utcnow()
        self._spec: bytes | None = None

    def add_routes(self, router: Router) -> None:
        """Route this API's paths."""
        router.add("GET", "/api", self.version)
        router.add("GET", "/api/", self.version)
        router.add("GET", "/api/status", self.status)
        router.add("GET", "/api/me", self.me)
        router.add("GET", "/api/resolvePath", self.resolve_path)
        router.add("GET", "/api/spec.yaml", self.spec)

    async def version(self, request: Request) -> Response:
        """``GET /api``: the version (no token needed, as in Jupyter Server)."""
        from kernelhub._version import __version__

        return json_response({"version": __version__})

    async def status(self, request: Request) -> Response:
        """``GET /api/status``: started, last activity, connections and kernels."""
        kernels = self.hub.kernels()
        last = max([k.last_activity for k in kernels], default=self.started)
        return json_response(
            {
                "started": iso(self.started),
                "last_activity": iso(last),
                "connections": sum(k.connections for k in kernels),
                "kernels": len(kernels),
            }
        )

    async def me(self, request: Request) -> Response:
        """``GET /api/me``: the one user a token stands for (JupyterLab asks at start)."""
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "kernelhub"
        identity = {
            "username": user,
            "name": user,
            "display_name": user,
            "initials": user[:1].upper(),
            "avatar_url": None,
            "color": None,
        }
        return json_response({"identity": identity, "permissions": {}})

    async def resolve_path(self, request: Request) -> Response:
        """``GET /api/resolvePath?path=...&kernel=...`` (see the module docstring)."""
        path = request.query.get("path")
        if path is None:
            raise HTTPError(400, "missing query argument 'path' (a file name to resolve)")
        resolved: list[dict[str, str]] = []
        unresolved: list[dict[str, str]] = []
        server = server_path(self.hub.config.root, path)
        if server is not None:
            resolved.append({"scope": "server", "path": server})
        kernel_id = request.query.get("kernel")
        if kernel_id:
            if kernel_id not in self.hub:
                reason = f"Kernel {kernel_id} could not be found"
                unresolved.append({"scope": "kernel", "reason": reason})
            else:
                cwd = self.hub.get(kernel_id).path
                found = kernel_path(cwd, path) if cwd is not None else None
                if found is not None:
                    resolved.append({"scope": "kernel", "path": found})
        answer: dict[str, object] = {"resolved": resolved}
        if unresolved:
            answer["unresolved"] = unresolved
        return json_response(answer)

    async def spec(self, request: Request) -> Response:
        """``GET /api/spec.yaml``: the OpenAPI description of this server's API."""
        if self._spec is None:
            self._spec = resources.files("kernelhub.server.api").joinpath("api.yaml").read_bytes()
        return Response(200, self._spec, [(b"content-type", b"text/x-yaml; charset=utf-8")])


def _expand(path: str) -> str:
    try:
        return os.path.expanduser(path)
    except (KeyError, RuntimeError):  # no such user, no home
        return path


def server_path(root: str, path: str) -> str | None:
    """The API path (relative to ``root``, ``/``-separated) of an existing file or directory
    that ``path`` names: an absolute path (after ``~`` expansion) inside the root, else an API
    path relative to the root. ``None`` if it does not exist or is outside the root."""
    if "\x00" in path:
        return None
    expanded = _expand(path)
    absolute = os.path.abspath(expanded) if os.path.isabs(expanded) else ""
    if not (absolute and _inside(root, absolute)):
        if expanded != path:  # a home outside the root: nothing to say about it
            return None
        # An API path ("/" is the root too), as Jupyter Server reads one.
        absolute = os.path.abspath(os.path.join(root, path.lstrip("/")))
    if not _inside(root, absolute) or not os.path.lexists(absolute):
        return None
    relative = os.path.relpath(absolute, root)
    return "" if relative == "." else Path(relative).as_posix()


def _inside(root: str, absolute: str) -> bool:
    # Neither ".." nor a symbolic link may lead out of the root.
    return all(
        os.path.commonpath([root, candidate]) == root
        for candidate in (absolute, os.path.realpath(absolute))
    )


def kernel_path(cwd: str, path: str) -> str | None:
    """The absolute path (``/``-separated) of an existing file ``path`` names, relative to
    the kernel's working directory ``cwd``; ``None`` if there is none."""
    if "\x00" in path:
        return None
    target = Path(cwd, _expand(path)).resolve()
    return target.as_posix() if target.exists() else None
