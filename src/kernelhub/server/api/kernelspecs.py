"""``/api/kernelspecs`` and ``/kernelspecs/<name>/<file>``: every kernel type, as Jupyter
Server shapes kernelspecs.

The listing is the hot path (frontends poll it), so its body is built once per listing
generation (:class:`~kernelhub.server.kernels.names.KernelNames`) and served as cached bytes.
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
from typing import Any

from kernelhub.errors import NoSuchKernelError, SpecError
from kernelhub.providers.base import KernelType
from kernelhub.server.config import ServerConfig
from kernelhub.server.http.asgi import HTTPError, Request, Response, Router, json_bytes
from kernelhub.server.kernels.names import KernelNames, Listing
from kernelhub.specs import resources as spec_resources

__all__ = ["KernelspecsAPI", "spec_model"]

_JSON = [(b"content-type", b"application/json")]
_MONTH = 60 * 60 * 24 * 30


def spec_model(name: str, kernel_type: KernelType, base_url: str) -> dict[str, Any]:
    """``{name, spec, resources}`` for one kernel type, as Jupyter Server's kernelspec model."""
    spec = {
        "argv": list(kernel_type.argv),
        "env": dict(kernel_type.env),
        "display_name": kernel_type.display_name,
        "language": kernel_type.language,
        "interrupt_mode": kernel_type.interrupt_mode,
        "metadata": dict(kernel_type.metadata),
        "kernel_protocol_version": kernel_type.kernel_protocol_version or "",
    }
    files = sorted(kernel_type.resources)
    found: dict[str, str] = {}
    prefix = f"{base_url}kernelspecs/{name}/"
    # Jupyter Server's order and keys: kernel.js, kernel.css, then each logo without extension.
    for resource in ("kernel.js", "kernel.css"):
        if resource in files:
            found[resource] = prefix + resource
    for file in files:
        if file.startswith("logo-"):
            found[os.path.splitext(file)[0]] = prefix + file
    return {"name": name, "spec": spec, "resources": found}


class KernelspecsAPI:
    """The kernelspec handlers over one :class:`KernelNames`."""

    def __init__(self, names: KernelNames, config: ServerConfig) -> None:
        self.names = names
        self.config = config
        self._cached: tuple[int, Response] | None = None

    def add_routes(self, router: Router) -> None:
        """Route this API's paths."""
        router.add("GET", "/api/kernelspecs", self.listing)
        router.add("GET", "/api/kernelspecs/{name}", self.one)
        router.add(("GET", "HEAD"), "/kernelspecs/{name}/{file:path}", self.resource)

    def body(self, listing: Listing) -> bytes:
        """The listing's JSON body."""
        default = self.config.default_kernel_name
        # A default that does not exist is reported as configured.
        with contextlib.suppress(NoSuchKernelError):
            default = listing.name_of(KernelNames.resolve(listing, default))
        specs = {
            name: spec_model(name, kernel, self.config.base_url)
            for name, kernel in listing.by_name.items()
        }
        return json_bytes({"default": default, "kernelspecs": specs})

    async def listing(self, request: Request) -> Response:
        """``GET /api/kernelspecs``."""
        listing = await self.names.listing()
        cached = self._cached
        if cached is None or cached[0] != listing.generation:
            self._cached = cached = (listing.generation, Response(200, self.body(listing), _JSON))
        return cached[1]

    async def _type(self, name: str) -> tuple[str, KernelType]:
        listing = await self.names.listing()
        kernel = KernelNames.resolve(listing, name)
        return listing.name_of(kernel), kernel

    async def one(self, request: Request) -> Response:
        """``GET /api/kernelspecs/{name}``."""
        name, kernel = await self._type(request.params["name"])
        body = json_bytes(spec_model(name, kernel, self.config.base_url))
        return Response(200, body, list(_JSON))

    async def resource(self, request: Request) -> Response:
        """``GET|HEAD /kernelspecs/{name}/{file}``: a file of the type's resource directory."""
        name, file = request.params["name"], request.params["file"]
        _, kernel = await self._type(name)
        if kernel.resource_dir is None:
            raise HTTPError(404, f"kernel {name!r} has no resources")
        try:
            data = spec_resources.read_resource(kernel.resource_dir, file, kernel=name)
        except (SpecError, NoSuchKernelError):
            # An escape attempt gets the same answer as a missing file: nothing to learn.
            raise HTTPError(404, f"kernel {name!r} has no resource {file!r}") from None
        kind = mimetypes.guess_type(file)[0] or "application/octet-stream"
        headers = [(b"content-type", kind.encode())]
        if file.lower().endswith(".png"):
            headers.append((b"cache-control", f"max-age={_MONTH}".encode()))
        return Response(200, data, headers)
