"""schemathesis with Jupyter Server's own OpenAPI file against ``kernelhub serve``.

For every operation of ``jupyter_server/services/api/api.yaml`` that kernelhub implements
(``/api/``, ``/api/status``, kernelspecs, kernels, sessions), schemathesis generates requests
from the schema and sends them with the token. No response may be a server error. A response
with a status code the schema documents must conform to it entirely (status code, content type,
headers, body). api.yaml documents hardly any client error (not the 404 of an unknown kernel
id, nor the 400 of a session without a path, which Jupyter Server answers too), so a 4xx it
does not document must be Jupyter Server's error shape: JSON ``{"message", "reason"}``.

Half the examples of an operation on a kernel or session id use a live one (a kernel or a
session made for it), so that the success paths are exercised, not just the unknown-id 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jupyter_server
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import checks

from tests.server.conftest import TOKEN
from tests.server.serve_process import ServeProcess, kernel_processes, serve, serve_processes

__all__ = ["serve_processes"]  # the fixture, imported for the tests of this module

API_YAML = Path(jupyter_server.__file__).parent / "services" / "api" / "api.yaml"
# The paths of api.yaml that kernelhub serves (not contents, checkpoints, resolvePath, config,
# terminals, spec.yaml). Not /api/me either, which kernelhub answers as Jupyter Server does:
# with "avatar_url": null and "color": null, where api.yaml says strings (Jupyter Server's own
# answer breaks its schema there).
PATHS = [
    "/api/",
    "/api/status",
    "/api/kernelspecs",
    "/api/kernels",
    "/api/kernels/{kernel_id}",
    "/api/kernels/{kernel_id}/interrupt",
    "/api/kernels/{kernel_id}/restart",
    "/api/sessions",
    "/api/sessions/{session}",
]
MAX_EXAMPLES = 25
CHECKS = [
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
NO_CONTENT_CHECKS = [c for c in CHECKS if c is not checks.content_type_conformance]


@pytest.fixture
def hub(tmp_path: Path, serve_processes: Path) -> Iterator[ServeProcess]:
    """``kernelhub serve`` (kernels shut down when it stops); every kernel deleted after."""
    (tmp_path / "root").mkdir()
    server = serve(tmp_path / "state", tmp_path / "root", "--shutdown-kernels-on-exit")
    yield server
    client = server.client
    for kernel in client.get("/api/kernels").json():
        client.delete(f"/api/kernels/{kernel['id']}")
    assert client.get("/api/kernels").json() == []
    assert server.stop() == 0
    assert not kernel_processes(serve_processes)


def _operations() -> list[Any]:
    schema = schemathesis.openapi.from_path(str(API_YAML))
    found = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in PATHS:
            found.append(operation)
    return found


def _label(operation: Any) -> str:
    return f"{operation.method.upper()} {operation.path}"


def test_the_schema_covers_what_kernelhub_serves() -> None:
    paths = {op.path for op in _operations()}
    assert paths == set(PATHS)


def _documented(operation: Any, status: int) -> bool:
    codes = {str(code) for code in operation.definition.raw.get("responses", {})}
    return str(status) in codes or f"{str(status)[0]}XX" in codes or "default" in codes


def _live_id(hub: ServeProcess, operation: Any, count: list[int]) -> dict[str, str]:
    """Path parameters naming a live kernel or session (a fresh one for each DELETE)."""
    client = hub.client
    count[0] += 1
    if "{session}" in operation.path:
        body = {"path": f"nb{count[0]}.ipynb", "type": "notebook", "kernel": {"name": "python3"}}
        made = client.post("/api/sessions", body)
        assert made.status == 201, made.body
        return {"session": made.json()["id"]}
    made = client.post("/api/kernels", {"name": "python3"})
    assert made.status == 201, made.body
    return {"kernel_id": made.json()["id"]}


@pytest.mark.timeout(240)
@pytest.mark.parametrize(
    "operation", _operations(), ids=lambda op: f"{op.method.upper()} {op.path}"
)
def test_kernelhub_conforms_to_jupyter_servers_openapi(hub: ServeProcess, operation: Any) -> None:
    base_url = f"http://127.0.0.1:{hub.port}"
    headers = {"Authorization": f"token {TOKEN}"}
    has_id = "{kernel_id}" in operation.path or "{session}" in operation.path
    live: dict[str, str] = {}
    count = [0]

    @given(case=operation.as_strategy(), use_live=st.booleans())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same examples in every run: a failure is reproducible
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any, use_live: bool) -> None:
        if has_id and use_live:
            if not live or operation.method.upper() == "DELETE":
                live.clear()
                live.update(_live_id(hub, operation, count))
            case.path_parameters = {**(case.path_parameters or {}), **live}
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        case.validate_response(response, checks=[checks.not_a_server_error])
        if response.status_code == 204:
            # No content, so no Content-Type (RFC 9110; Jupyter Server's Tornado drops it too):
            # api.yaml is Swagger 2 with a global "produces", which schemathesis applies to 204.
            assert response.content == b"", response.content
            case.validate_response(response, checks=NO_CONTENT_CHECKS)
        elif _documented(operation, response.status_code):
            case.validate_response(response, checks=CHECKS)
        else:
            assert 400 <= response.status_code < 500, (response.status_code, response.text)
            error = response.json()
            assert isinstance(error, dict), error
            assert isinstance(error.get("message"), str), error
            assert isinstance(error.get("reason"), str), error

    check()


def test_a_nul_byte_in_a_kernel_path_is_a_client_error(hub: ServeProcess) -> None:
    started = hub.client.post("/api/kernels", {"name": "python3", "path": "a\x00b"})
    assert started.status == 400, (started.status, started.body)
