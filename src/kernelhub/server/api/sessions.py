"""``/api/sessions``: notebooks and the kernels they use (Jupyter Server's session API).

A session names a notebook (``path``, ``name``, ``type``) and a kernel. Creating one reuses
the running kernel named by ``kernel.id``, or starts one of ``kernel.name`` in the notebook's
directory, under the client's ``kernel.id`` if it gave one (as Jupyter Server 2.x); a second
POST for a path that has a session returns that session. The older bodies still work:
``{"notebook": {"path": ...}}``, and ``kernel`` with both ``name`` and ``id``. A PATCH with a
``kernel.name`` starts a new kernel, even of the same type ("change kernel"); the old one is
shut down unless another session uses it. Deleting a session shuts its kernel down. Sessions
whose kernel is gone (shut down through ``/api/kernels``) disappear too. Failed starts are
answered as :mod:`kernelhub.server.api.starts` says.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
from typing import Any
from urllib.parse import quote

from kernelhub.errors import NoSuchKernelError
from kernelhub.server.api.kernels import check_start_body
from kernelhub.server.api.starts import StartVia, already_running, start_failure
from kernelhub.server.config import ServerConfig
from kernelhub.server.http.asgi import HTTPError, Request, Response, Router, empty, json_response
from kernelhub.server.kernels.hub import KernelHub
from kernelhub.server.kernels.served import ServedKernel
from kernelhub.server.kernels.sessions import Session, SessionStore

__all__ = ["SessionsAPI"]

_CREATE = (
    'a JSON object like {"path": "a.ipynb", "type": "notebook", "kernel": {"name": "python3"}}'
)
_PATCH = 'a JSON object with any of "path", "name", "type", "kernel"'


def _text(body: dict[str, Any], key: str, default: str | None = None) -> str | None:
    value = body.get(key, default)
    if value is not None and not isinstance(value, str):
        raise HTTPError(400, f"{key!r} must be a string, got {type(value).__name__}")
    return value


def _notebook(body: dict[str, Any]) -> dict[str, Any]:
    notebook = body.get("notebook")
    return notebook if isinstance(notebook, dict) else {}


def _kernel_part(body: dict[str, Any]) -> dict[str, Any] | None:
    kernel = body.get("kernel")
    if kernel is not None and not isinstance(kernel, dict):
        raise HTTPError(400, '\'kernel\' must be an object: {"name": ...} or {"id": ...}')
    return kernel


class SessionsAPI:
    """The session handlers over a hub and a :class:`SessionStore`."""

    def __init__(self, hub: KernelHub, store: SessionStore, config: ServerConfig) -> None:
        self.hub = hub
        self.store = store
        self.config = config

    def add_routes(self, router: Router) -> None:
        """Route this API's paths."""
        router.add("GET", "/api/sessions", self.list)
        router.add("POST", "/api/sessions", self.create)
        router.add("GET", "/api/sessions/{session_id}", self.show)
        router.add("PATCH", "/api/sessions/{session_id}", self.patch)
        router.add("DELETE", "/api/sessions/{session_id}", self.delete)

    def _kernel(self, session: Session) -> ServedKernel | None:
        try:
            return self.hub.get(session.kernel_id)
        except NoSuchKernelError:
            self.store.delete(session.id)  # its kernel was shut down: so is the session
            return None

    def model(self, session: Session, kernel: ServedKernel) -> dict[str, Any]:
        """Jupyter Server's Session model."""
        model: dict[str, Any] = {
            "id": session.id,
            "path": session.path,
            "name": session.name,
            "type": session.type,
            "kernel": kernel.model(),
        }
        if session.type == "notebook":  # older frontends read this
            model["notebook"] = {"path": session.path, "name": session.name}
        return model

    def _live(self, session_id: str) -> tuple[Session, ServedKernel]:
        session = self.store.get(session_id)
        kernel = self._kernel(session)
        if kernel is None:
            raise HTTPError(404, f"the kernel of session {session_id!r} is gone")
        return session, kernel

    async def _kernel_for(self, part: dict[str, Any], path: str, via: StartVia) -> ServedKernel:
        """The kernel a session's ``kernel`` part asks for: a running one by ``id``, or a new
        one of ``name`` (under ``id`` if given)."""
        options = check_start_body({**part, "kernel_id": part.get("id")}, id_field="kernel.id")
        kernel_id = options["kernel_id"]
        if kernel_id is not None and kernel_id in self.hub:
            if via == "session":
                return self.hub.get(kernel_id)
            raise already_running(kernel_id)
        options["path"] = options["path"] or posixpath.dirname(path.lstrip("/"))
        options["path"] = self._directory(options["path"])
        try:
            return await self.hub.start_kernel(**options)
        except Exception as exc:
            raise start_failure(exc, options["name"], via) from exc

    def _directory(self, path: str) -> str:
        """The nearest existing directory of a notebook's directory (it may not exist yet,
        as in Jupyter Server), relative to the root."""
        cwd = self.hub.resolve_path(path, nearest=True) or self.config.root
        return os.path.relpath(cwd, self.config.root)

    async def list(self, request: Request) -> Response:
        """``GET /api/sessions``."""
        models = []
        for session in self.store.all():
            kernel = self._kernel(session)
            if kernel is not None:
                models.append(self.model(session, kernel))
        return json_response(models)

    async def create(self, request: Request) -> Response:
        """``POST /api/sessions``: 201 with the session (an existing one for the same path)."""
        body = await request.json_object(_CREATE)
        path = _text(body, "path") or _text(_notebook(body), "path")
        if not path:
            raise HTTPError(400, f"a session needs a 'path'; expected {_CREATE}")
        kind = _text(body, "type", "notebook") or "notebook"
        name = _text(body, "name", "") or ""
        part = _kernel_part(body) or {}
        for existing in self.store.find(path=path):
            kernel = self._kernel(existing)
            if kernel is not None:
                return self._created(existing, kernel)
        kernel = await self._kernel_for(part, path, "session")
        session = self.store.create(path=path, name=name, type=kind, kernel_id=kernel.id)
        return self._created(session, kernel)

    def _created(self, session: Session, kernel: ServedKernel) -> Response:
        location = f"{self.config.base_url}api/sessions/{quote(session.id)}".encode()
        return json_response(self.model(session, kernel), 201, [(b"location", location)])

    async def show(self, request: Request) -> Response:
        """``GET /api/sessions/{id}``."""
        return json_response(self.model(*self._live(request.params["session_id"])))

    async def patch(self, request: Request) -> Response:
        """``PATCH /api/sessions/{id}``: change path, name, type or kernel."""
        session, old = self._live(request.params["session_id"])
        body = await request.json_object(_PATCH)
        if not body:
            raise HTTPError(400, f"no changes given; expected {_PATCH}")
        changes = {k: v for k in ("path", "name", "type") if (v := _text(body, k)) is not None}
        moved = _text(_notebook(body), "path")
        if moved is not None:  # the older body, as Jupyter Server takes it
            changes.update(path=moved, type="notebook")
        part = _kernel_part(body) or {}
        kernel = old
        if part.get("id") is not None:  # an id wins over a name, as in Jupyter Server
            if not isinstance(part["id"], str) or part["id"] not in self.hub:
                raise HTTPError(400, f"No such kernel: {part['id']}")
            kernel = self.hub.get(part["id"])
        elif part.get("name") is not None:  # a new kernel, even of the same type
            kernel = await self._kernel_for(
                {**part, "id": None}, changes.get("path", session.path), "session-patch"
            )
        if kernel is not old:
            changes["kernel_id"] = kernel.id
        session = self.store.update(session.id, **changes)
        if kernel is not old and not self.store.find(kernel_id=old.id):
            await self.hub.shutdown_kernel(old.id)  # as Jupyter Server: the old one goes
        return json_response(self.model(session, kernel))

    async def delete(self, request: Request) -> Response:
        """``DELETE /api/sessions/{id}``: 204; the session's kernel is shut down."""
        session = self.store.delete(request.params["session_id"])
        if not self.store.find(kernel_id=session.kernel_id):
            # Already gone: the session is deleted all the same.
            with contextlib.suppress(NoSuchKernelError):
                await self.hub.shutdown_kernel(session.kernel_id)
        return empty(204)
