"""JupyterLab's own client library, ``@jupyterlab/services`` from npm, against ``kernelhub serve``.

``tests/server/jlab/interop.js`` (a Node script, its dependencies pinned by the committed
``package-lock.json``; ``npm ci`` installs them when ``node_modules`` is missing) lists the
kernelspecs and fetches a resource from the listing, starts a kernel with ``KernelManager``,
and over its ``KernelConnection`` asks for ``kernel_info``, runs code, answers ``input()``
through ``onStdin``, asks for ``comm_info``, prints 200 kB, interrupts, restarts and shuts down.
It prints its findings as JSON; this test checks them, with ipykernel and with bash_kernel.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import JupyterDirs
from tests.server.conftest import TOKEN
from tests.server.serve_process import kernel_processes, serve, serve_processes

__all__ = ["serve_processes"]  # the fixture, imported for the tests of this module

JLAB = Path(__file__).with_name("jlab")
NPM_TIMEOUT = 300.0
NODE_TIMEOUT = 150.0


def _node_ready() -> None:
    """Skip without node/npm; install the locked dependencies if they are missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed to run @jupyterlab/services")
    if (JLAB / "node_modules" / "@jupyterlab" / "services").is_dir():
        return
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=JLAB,
        capture_output=True,
        text=True,
        timeout=NPM_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"


def _install_bash_kernel(dirs: JupyterDirs) -> None:
    """bash_kernel's kernelspec, into the isolated JUPYTER_PATH."""
    prefix = dirs.home / "bash-prefix"
    subprocess.run(
        [sys.executable, "-m", "bash_kernel.install", "--prefix", str(prefix)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    shutil.copytree(prefix / "share" / "jupyter" / "kernels" / "bash", dirs.path_kernels / "bash")


def _drive(port: int, kernel: str) -> dict[str, Any]:
    """Run the Node script against the server; its JSON findings."""
    node = shutil.which("node")
    assert node is not None
    done = subprocess.run(
        [node, "interop.js", f"http://127.0.0.1:{port}/", TOKEN, kernel],
        cwd=JLAB,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"interop.js failed:\n{done.stdout}\n{done.stderr}"
    lines = done.stdout.strip().splitlines()  # the library logs to stdout too; ours is last
    result: dict[str, Any] = json.loads(lines[-1])
    return result


@pytest.mark.timeout(NPM_TIMEOUT + 2 * NODE_TIMEOUT + 60)
def test_jupyterlab_services_drive_ipykernel_and_bash(
    tmp_path: Path, jupyter_dirs: JupyterDirs, serve_processes: Path
) -> None:
    _node_ready()
    _install_bash_kernel(jupyter_dirs)
    (tmp_path / "root").mkdir()
    server = serve(tmp_path / "state", tmp_path / "root", "--shutdown-kernels-on-exit")

    py = _drive(server.port, "python3")
    assert {"python3", "bash"} <= set(py["specNames"])
    assert py["resource"]["status"] == 200
    assert py["resource"]["type"] == "image/png"
    assert py["resource"]["png"]
    assert py["info"] == {"status": "ok", "language": "python", "implementation": "ipython"}
    assert py["subprotocol"] == "v1.kernel.websocket.jupyter.org"
    assert py["hello"]["status"] == "ok"
    assert py["hello"]["stdout"] == "hello 42\n"
    assert py["input"]["prompts"] == ["x? "]
    assert py["input"]["stdout"] == "got kh-answer\n"
    assert py["commInfo"] == {"status": "ok", "comms": {}}
    assert py["big"] == {"status": "ok", "length": 200_001, "allX": True}
    assert py["interrupt"]["status"] == "error"
    assert py["interrupt"]["ename"] == "KeyboardInterrupt"
    assert py["beforeRestart"]["stdout"] == "1\n"
    assert py["restartStatuses"][0] == "restarting"
    assert "idle" in py["restartStatuses"]
    assert py["afterRestart"]["stdout"] == "gone\n"
    assert py["shutdownStatus"] == "dead"
    assert py["kernelId"] not in py["runningAfter"]

    sh = _drive(server.port, "bash")
    assert sh["language"] == "bash"
    assert sh["resource"]["status"] == 200
    assert sh["resource"]["type"] == "image/svg+xml"
    assert sh["resource"]["bytes"] > 0
    assert sh["info"]["status"] == "ok"
    assert sh["info"]["implementation"] == "bash_kernel"
    assert sh["subprotocol"] == "v1.kernel.websocket.jupyter.org"
    assert sh["hello"]["stdout"] == "hello 42\n"
    assert sh["commInfo"]["status"] == "ok"
    assert sh["big"] == {"status": "ok", "length": 200_001, "allX": True}
    assert sh["interrupt"]["status"] in {"error", "abort"}  # bash_kernel replies "abort"
    assert sh["beforeRestart"]["stdout"] == "1\n"
    assert sh["restartStatuses"][0] == "restarting"
    assert sh["afterRestart"]["stdout"] == "gone\n"
    assert sh["shutdownStatus"] == "dead"
    assert sh["kernelId"] not in sh["runningAfter"]

    assert server.stop() == 0
    assert not kernel_processes(serve_processes)
