"""The conftest that runs Jupyter Server's own REST tests black-box against ``kernelhub serve``.

:mod:`tests.server.test_jupyter_server_suite` copies this file as ``conftest.py`` beside the
extracted ``tests/services/{kernels,kernelspecs,sessions}/test_api.py`` of the pinned Jupyter
Server release and runs pytest there in a subprocess. Nothing here imports kernelhub: the
fixtures those tests use (``jp_fetch``, ``jp_ws_fetch``, ``jp_serverapp``, ...) talk HTTP to
the server named by the ``KERNELHUB_SUITE_*`` variables, and ``jp_serverapp`` is a stand-in
that only answers what can be known from outside (the default kernel name, the root).

Tests that need Jupyter Server's internals are marked here, each with its reason
(:data:`XFAIL`); of the per-kernel-manager-class parametrisations only the first runs, as the
kernel manager class is Jupyter Server's own (:data:`ONLY_PARAM`). After every test the
kernels and sessions are shut down through the API and the root, the kernelspecs the test
installed and anything it wrote beside the root are removed, as a fresh Jupyter Server of
pytest_jupyter would have none of them.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPRequest, HTTPResponse
from tornado.websocket import WebSocketClientConnection, websocket_connect

URL = os.environ["KERNELHUB_SUITE_URL"]  # http://127.0.0.1:PORT/base/
TOKEN = os.environ["KERNELHUB_SUITE_TOKEN"]
ROOT = Path(os.environ["KERNELHUB_SUITE_ROOT"])
DATA = Path(os.environ["KERNELHUB_SUITE_DATA"])
DEFAULT_KERNEL = os.environ.get("KERNELHUB_SUITE_DEFAULT_KERNEL", "python3")
_PARTS = urllib.parse.urlsplit(URL)
BASE_URL = _PARTS.path  # ends with "/"
PORT = _PARTS.port
KEEP_BESIDE_ROOT = {ROOT.name, *os.environ.get("KERNELHUB_SUITE_KEEP", "").split(os.pathsep)}

#: Test name -> why it cannot pass against a server seen only through its API.
XFAIL = {
    "test_create_bad": "sets jp_serverapp.kernel_manager.default_kernel_name in-process; "
    "kernelhub's default kernel is a start-time setting (--default-kernel-name)",
    "test_create_session_duplicate_kernel_id_returns_409": "monkeypatches "
    "jp_serverapp.session_manager.create_session to raise jupyter_client's "
    "DuplicateKernelError inside the server process",
}
#: The kernel manager class (and pending kernels) the parametrisations choose is Jupyter
#: Server's internal: kernelhub serves one way, so only the first parametrisation runs.
ONLY_PARAM = "[jp_server_config0]"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "flaky: Jupyter Server's marker (no rerun here)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept, dropped = [], []
    for item in items:
        if "[" in item.name and not item.name.endswith(ONLY_PARAM):
            dropped.append(item)
            continue
        reason = XFAIL.get(item.name.split("[")[0])
        if reason is not None:
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))
        kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = kept


def _sync(method: str, path: str) -> Any:
    request = urllib.request.Request(
        URL + path, method=method, headers={"Authorization": f"token {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        body = response.read()
    return json.loads(body) if body else None


class _KernelManager:
    """What the tests read of ``jp_serverapp.kernel_manager``, from outside."""

    use_pending_kernels = False

    def __init__(self) -> None:
        self.default_kernel_name = DEFAULT_KERNEL

    def get_kernel(self, kernel_id: str) -> SimpleNamespace:
        """The kernel's model (no ``ready`` future: kernelhub answers once it is ready)."""
        return SimpleNamespace(**_sync("GET", f"api/kernels/{kernel_id}"))


@pytest.fixture
def jp_serverapp() -> SimpleNamespace:
    """A stand-in for the ServerApp: its kernel manager and root, seen through the API."""
    return SimpleNamespace(
        kernel_manager=_KernelManager(), session_manager=SimpleNamespace(), root_dir=str(ROOT)
    )


@pytest.fixture
def jp_base_url() -> str:
    return BASE_URL


@pytest.fixture
def jp_http_port() -> int | None:
    return PORT


@pytest.fixture
def jp_auth_header() -> dict[str, str]:
    return {"Authorization": f"token {TOKEN}"}


@pytest.fixture
def jp_root_dir() -> Path:
    return ROOT


@pytest.fixture
def jp_data_dir() -> Path:
    return DATA


def _url(parts: tuple[str, ...], params: dict[str, Any] | None) -> str:
    path = "/".join(p.strip("/") for p in parts if p.strip("/"))
    url = URL + urllib.parse.quote(path)
    return url + "?" + urllib.parse.urlencode(params or {})


@pytest.fixture
def jp_fetch(jp_auth_header: dict[str, str]) -> Callable[..., Awaitable[HTTPResponse]]:
    """``await jp_fetch("api", "kernels", method=..., body=...)`` against the server."""

    def fetch(
        *parts: str,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Awaitable[HTTPResponse]:
        sent = {**jp_auth_header, **(headers or {})}
        timeout = kwargs.pop("request_timeout", 60)
        return AsyncHTTPClient().fetch(
            _url(parts, params), headers=sent, request_timeout=timeout, **kwargs
        )

    return fetch


@pytest.fixture
def jp_ws_fetch(
    jp_auth_header: dict[str, str],
) -> Callable[..., Awaitable[WebSocketClientConnection]]:
    """``await jp_ws_fetch("api", "kernels", id, "channels")``: an open WebSocket."""

    def connect(
        *parts: str,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Awaitable[WebSocketClientConnection]:
        url = "ws" + _url(parts, params)[len("http") :]
        request = HTTPRequest(url, headers={**jp_auth_header, **(headers or {})}, **kwargs)
        return websocket_connect(request)

    return connect


@pytest.fixture
def jp_kernelspecs(jp_data_dir: Path) -> None:
    """The kernelspecs pytest_jupyter installs: ``sample``, ``sample2`` and ``bad`` (a
    program that does not exist), each with a ``resource.txt``."""
    from tests.utils import sample_kernel_json, some_resource

    for name in ("sample", "sample2", "bad"):
        directory = jp_data_dir / "kernels" / name
        directory.mkdir(parents=True)
        spec = dict(sample_kernel_json)
        if name == "bad":
            spec["argv"] = ["non_existent_path"]
        (directory / "kernel.json").write_text(json.dumps(spec))
        (directory / "resource.txt").write_text(some_resource)


@pytest.fixture(autouse=True)
def fresh_server() -> Iterator[None]:
    """Every test starts with no kernels, sessions, kernelspecs or files, as a new server."""
    yield
    for session in _sync("GET", "api/sessions"):
        _sync("DELETE", f"api/sessions/{session['id']}")
    for kernel in _sync("GET", "api/kernels"):
        _sync("DELETE", f"api/kernels/{kernel['id']}")
    shutil.rmtree(DATA / "kernels", ignore_errors=True)
    for entry in ROOT.parent.iterdir():
        if entry.name in KEEP_BESIDE_ROOT:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    for entry in ROOT.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
