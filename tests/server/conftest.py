"""A real kernelhub server (uvicorn, on 127.0.0.1, a free port) for the REST tests, and a
plain ``http.client`` client for it (no HTTP library beyond the standard one is needed).

The server runs in a background thread with its own event loop; it is started once per
module. Its kernel types: the kernelspecs the test interpreter's environment has
(``python3``), and a ``test`` provider with ``test/python`` (ipykernel; a resource directory
with a logo, a ``kernel.js`` and a symlink that points out of it) and ``test/ipy kernel`` (an
awkward name). Restarts are switched off, so that a kernel that dies stays dead. A
:class:`Recorder` attachment lets tests wait for kernel events without sleeping.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from kernelhub.manager import KernelEvent, RestartPolicy
from kernelhub.providers.base import KernelType
from kernelhub.providers.finder import KernelFinder
from kernelhub.providers.spec import SpecProvider
from kernelhub.server.app import App, create_app
from kernelhub.server.cli import quiet_uvicorn
from kernelhub.server.config import ServerConfig
from kernelhub.server.kernels.hub import KernelHub, ServedKernel

TOKEN = "test-token-0123456789"
ORIGIN = "http://frontend.example"
IPYKERNEL_ARGV = ("python", "-m", "ipykernel_launcher", "-f", "{connection_file}")
WAIT = 30.0  # the bound of every wait on the server


class StaticProvider:
    """A provider with a fixed list of kernel types."""

    id = "test"

    def __init__(self, types: list[KernelType]) -> None:
        self.types = types

    def find(self, *, include_hidden: bool = False) -> Iterator[KernelType]:
        """The fixed types."""
        yield from self.types


def make_test_type(name: str, resource_dir: Path | None = None, **extra: Any) -> KernelType:
    """An ipykernel type of the ``test`` provider."""
    resources = tuple(sorted(os.listdir(resource_dir))) if resource_dir else ()
    return KernelType(
        id=f"test/{name}",
        provider="test",
        name=name,
        display_name=f"Test {name}",
        language="python",
        argv=IPYKERNEL_ARGV,
        interpreter=sys.executable,
        resource_dir=str(resource_dir) if resource_dir else None,
        resources=resources,
        **extra,
    )


class Recorder:
    """An attachment that records what the hub tells it; tests wait on it."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self._changed = threading.Condition()

    def _add(self, kind: str, kernel_id: str) -> None:
        with self._changed:
            self.events.append((kind, kernel_id))
            self._changed.notify_all()

    async def kernel_started(self, kernel: ServedKernel) -> None:
        self._add("started", kernel.id)

    async def kernel_stopped(self, kernel: ServedKernel) -> None:
        self._add("stopped", kernel.id)

    async def kernel_event(self, kernel: ServedKernel, event: KernelEvent) -> None:
        self._add(event.kind, kernel.id)

    def wait_for(self, kind: str, kernel_id: str, timeout: float = WAIT) -> None:
        """Wait until ``kind`` happened to ``kernel_id`` (AssertionError after ``timeout``)."""
        with self._changed:
            ok = self._changed.wait_for(lambda: (kind, kernel_id) in self.events, timeout)
        assert ok, f"no {kind!r} event for kernel {kernel_id} within {timeout} s: {self.events}"


@dataclass
class Reply:
    """One HTTP answer."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


_DEFAULT = object()


@dataclass
class Client:
    """A tiny HTTP client (``http.client``, one connection per request: no proxy, no magic)."""

    port: int
    token: str | None = TOKEN

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        token: Any = _DEFAULT,
        timeout: float = 60.0,
    ) -> Reply:
        """Send one request; ``body`` may be bytes/str (sent as is) or JSON data."""
        token = self.token if token is _DEFAULT else token
        sent = dict(headers or {})
        if token is not None:
            sent.setdefault("Authorization", f"token {token}")
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            sent.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
            got = {k.lower(): v for k, v in response.getheaders()}
            return Reply(response.status, got, data)
        finally:
            conn.close()

    def get(self, path: str, **kw: Any) -> Reply:
        """``GET``."""
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        """``POST``."""
        return self.request("POST", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Reply:
        """``DELETE``."""
        return self.request("DELETE", path, **kw)


@dataclass
class Served:
    """A running server and what the tests need to talk to it."""

    app: App
    port: int
    recorder: Recorder
    root: Path
    resources: Path
    client: Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = Client(self.port)

    @property
    def hub(self) -> KernelHub:
        """The server's hub (touch it only for assertions: it lives in the server's thread)."""
        return self.app.hub


@dataclass
class Running:
    """A uvicorn server in a thread."""

    server: uvicorn.Server
    thread: threading.Thread
    port: int

    def stop(self) -> None:
        """Stop it (lifespan shutdown runs) and wait for the thread."""
        self.server.should_exit = True
        self.thread.join(WAIT)
        assert not self.thread.is_alive(), "the server did not stop"


def run_in_thread(app: App) -> Running:
    """Serve ``app`` on a free port of 127.0.0.1 from a background thread; return once ready."""
    ready = threading.Event()

    async def started() -> None:
        ready.set()

    app.on_startup.append(started)
    quiet_uvicorn()  # as kernelhub serve runs it
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    settings = uvicorn.Config(
        app, loop="asyncio", http="httptools", ws="websockets-sansio", lifespan="on",
        log_config=None, access_log=False,
    )  # fmt: skip
    server = uvicorn.Server(settings)

    def serve() -> None:
        try:
            server.run(sockets=[sock])
        finally:
            sock.close()

    thread = threading.Thread(target=serve, name="kernelhub-test-server", daemon=True)
    thread.start()
    assert ready.wait(WAIT), "the server did not start"
    return Running(server, thread, port)


def make_resources(root: Path) -> Path:
    """A resource directory: a logo, kernel.js, and a symlink pointing out of it."""
    outside = root / "secret.txt"
    outside.write_text("not for clients")
    resources = root / "resources"
    resources.mkdir()
    logo = Path(sys.prefix, "share", "jupyter", "kernels", "python3", "logo-64x64.png")
    (resources / "logo-64x64.png").write_bytes(logo.read_bytes())
    (resources / "kernel.js").write_text("console.log('kernelhub');\n")
    (resources / "link-out.txt").symlink_to(outside)
    return resources


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server for the whole module (kernels are shut down at its end)."""
    base = tmp_path_factory.mktemp("served")
    root = base / "root"
    (root / "sub" / "deeper").mkdir(parents=True)
    resources = make_resources(base)
    types = [make_test_type("python", resources), make_test_type("ipy kernel", None)]
    finder = KernelFinder([SpecProvider(), StaticProvider(types)])
    config = ServerConfig(
        port=0, token=TOKEN, root_dir=str(root), allow_origin=ORIGIN, shutdown_kernels_on_exit=True
    )
    recorder = Recorder()
    hub = KernelHub(config, finder, attachments=[recorder])
    hub.restart_policy = RestartPolicy(max_restarts=0, heartbeat_interval=0)
    app = create_app(config, hub=hub)
    running = run_in_thread(app)
    try:
        yield Served(app, running.port, recorder, root, resources)
    finally:
        running.stop()


@pytest.fixture
def client(served: Served) -> Iterator[Client]:
    """A client with the right token; every kernel left over is shut down after the test."""
    yield served.client
    for model in served.client.get("/api/kernels").json():
        served.client.delete(f"/api/kernels/{model['id']}")


def config_for(**changes: Any) -> ServerConfig:
    """A test config (token set, port 0) with ``changes``."""
    return replace(ServerConfig(port=0, token=TOKEN), **changes)
