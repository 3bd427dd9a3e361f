"""Failed kernel starts against a real ``kernelhub serve``: the statuses of the table in
:mod:`kernelhub.server.api.starts` (and the README), the reason in the body, and one log line
each, with no secret in it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tests.conftest import JupyterDirs
from tests.server.conftest import TOKEN
from tests.server.serve_process import serve, serve_processes

__all__ = ["serve_processes"]  # the fixture, imported for the tests of this module

SECRET = "s3cret-value-0451"


def install(dirs: JupyterDirs, name: str, argv: list[str]) -> None:
    directory = dirs.user_kernels / name
    directory.mkdir(parents=True)
    spec = {"argv": argv, "display_name": name, "language": "python", "env": {"KEY": SECRET}}
    (directory / "kernel.json").write_text(json.dumps(spec))


def test_failed_starts_are_answered_by_one_table_and_logged(
    tmp_path: Path, jupyter_dirs: JupyterDirs, serve_processes: Path
) -> None:
    install(jupyter_dirs, "missing", ["kernelhub-no-such-program", "-f", "{connection_file}"])
    dies = "import sys; print('boom', file=sys.stderr); sys.exit(3)"
    install(jupyter_dirs, "dies", [sys.executable, "-c", dies, "{connection_file}"])
    root = tmp_path / "root"
    root.mkdir()
    server = serve(tmp_path / "state", root, "--shutdown-kernels-on-exit")
    client = server.client

    def answer(method: str, path: str, body: Any, status: int) -> str:
        reply = client.request(method, path, body)
        assert reply.status == status, reply.body
        error = reply.json()
        assert set(error) == {"message", "reason"}
        message: str = error["message"]
        return message

    kernels = "/api/kernels"
    message = answer("POST", kernels, {"name": "nope"}, 404)
    assert message == "Kernel spec nope not found"
    assert "takes no launch parameters" in answer("POST", kernels, {"launch_params": {"x": 1}}, 400)
    message = answer("POST", kernels, {"name": "missing"}, 500)
    assert message.startswith("The 'missing' kernel could not be started: ")
    assert "kernelhub-no-such-program" in message
    message = answer("POST", kernels, {"name": "dies"}, 500)
    assert message.startswith("The 'dies' kernel could not be started: ")
    assert "3" in message
    assert "boom" in message  # what the kernel said before it died
    # Sessions: Jupyter Server's 501 for an unknown name, 500 for a kernel that failed.
    message = answer("POST", "/api/sessions", {"path": "a.ipynb", "kernel": {"name": "nope"}}, 501)
    assert message.startswith("The 'nope' kernel is not available.")
    answer("POST", "/api/sessions", {"path": "b.ipynb", "kernel": {"name": "dies"}}, 500)
    session = client.post("/api/sessions", {"path": "c.ipynb"}).json()
    patch = f"/api/sessions/{session['id']}"
    message = answer("PATCH", patch, {"kernel": {"name": "dies"}}, 501)
    assert message.startswith("The 'dies' kernel could not be started: ")
    answer("PATCH", patch, {"kernel": {"name": "nope"}}, 501)
    # Nothing half-started is left, and the session keeps its kernel.
    assert [k["id"] for k in client.get(kernels).json()] == [session["kernel"]["id"]]
    assert client.get(patch).json()["kernel"]["id"] == session["kernel"]["id"]

    server.wait_log("kernel start failed", count=8)
    failed = [line for line in server.log_text().splitlines() if "kernel start failed" in line]
    assert len(failed) == 8, failed
    assert sum("kernel start failed (nope): no kernel type named 'nope'" in f for f in failed) == 3
    assert sum("(dies):" in line and "boom" in line for line in failed) == 3
    assert any("(missing):" in line and "kernelhub-no-such-program" in line for line in failed)
    assert any("(python3):" in line and "launch parameters" in line for line in failed)
    log = server.log_text()
    assert SECRET not in log
    assert TOKEN not in log
    assert server.stop() == 0
