"""``/api``, ``/api/status`` and ``/api/me``: what frontends ask before anything else."""

from __future__ import annotations

import getpass

from kernelhub.server.http import Request, Response, Router, json_response
from kernelhub.server.hub import KernelHub
from kernelhub.server.served import iso, utcnow

__all__ = ["MiscAPI"]


class MiscAPI:
    """Server-wide handlers."""

    def __init__(self, hub: KernelHub) -> None:
        self.hub = hub
        self.started = utcnow()

    def add_routes(self, router: Router) -> None:
        """Route this API's paths."""
        router.add("GET", "/api", self.version)
        router.add("GET", "/api/", self.version)
        router.add("GET", "/api/status", self.status)
        router.add("GET", "/api/me", self.me)

    async def version(self, request: Request) -> Response:
        """``GET /api``: the version (no token needed, as in Jupyter Server)."""
        from kernelhub import __version__

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
