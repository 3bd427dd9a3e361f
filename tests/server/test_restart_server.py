"""Kernels outlive ``kernelhub serve``: killed with SIGKILL or stopped, a server started again
with the same state re-attaches them, with their state; what cannot be re-attached is cleaned
up, and nothing is left running unmanaged. Every server here is a real subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.server.serve_process import (
    WAIT,
    kernel_processes,
    kernel_rows,
    run_code,
    serve,
    serve_processes,
    wait_gone,
    ws_run,
)

__all__ = ["serve_processes"]  # the fixture, imported for the tests of this module


@pytest.fixture
def dirs(tmp_path: Path, serve_processes: Path) -> tuple[Path, Path, Path]:
    """(state dir, root dir, runtime dir) of the servers of one test."""
    state, root = tmp_path / "state", tmp_path / "root"
    (root / "work").mkdir(parents=True)
    return state, root, serve_processes


def start_kernel_with_session(port_client: object) -> tuple[str, str]:
    """Start a python3 kernel in ``work`` with a session on it; return (kernel id, session id)."""
    from tests.server.conftest import Client

    assert isinstance(port_client, Client)
    body = {"path": "work/nb.ipynb", "type": "notebook", "name": "nb.ipynb"}
    reply = port_client.post("/api/sessions", {**body, "kernel": {"name": "python3"}})
    assert reply.status == 201, reply.body
    session = reply.json()
    return session["kernel"]["id"], session["id"]


def test_sigkilled_server_is_restarted_and_reattaches_kernel_and_session(
    dirs: tuple[Path, Path, Path],
) -> None:
    state, root, runtime = dirs
    first = serve(state, root)
    kernel_id, session_id = start_kernel_with_session(first.client)
    assert ws_run(first.port, kernel_id, "import os\nx = 41 + 1\nprint('set')") == "set\n"
    (row,) = kernel_rows(state)
    assert os.stat(state / "kernelhub-state.db").st_mode & 0o777 == 0o600
    first.stop(signal.SIGKILL)

    assert psutil.pid_exists(row["pid"])  # the kernel lived on without its server
    second = serve(state, root)
    kernels = second.client.get("/api/kernels").json()
    assert [(k["id"], k["name"], k["execution_state"]) for k in kernels] == [
        (kernel_id, "python3", "idle")
    ]
    sessions = second.client.get("/api/sessions").json()
    assert [(s["id"], s["path"], s["kernel"]["id"]) for s in sessions] == [
        (session_id, "work/nb.ipynb", kernel_id)
    ]
    # Through the server's WebSocket, as a frontend sees it, and straight to the kernel.
    assert ws_run(second.port, kernel_id, "print(x, os.getcwd())") == f"42 {root / 'work'}\n"
    assert run_code(runtime, kernel_id, "print(x)") == "42\n"
    second.wait_log("re-attached")

    # The re-attached kernel is managed like any other: a shutdown ends its process.
    assert second.client.delete(f"/api/kernels/{kernel_id}").status == 204
    assert wait_gone(row["pid"])
    assert kernel_rows(state) == []
    assert second.stop() == 0
    key = json.loads(row["connection"])["key"]
    assert key not in first.log_text() + second.log_text()  # the key stays out of the log


def test_a_stopped_server_leaves_kernels_running_for_the_next(
    dirs: tuple[Path, Path, Path],
) -> None:
    state, root, runtime = dirs
    first = serve(state, root)
    kernel_id, _ = start_kernel_with_session(first.client)
    run_code(runtime, kernel_id, "y = 'kept'")
    assert first.stop() == 0
    second = serve(state, root)
    assert [k["id"] for k in second.client.get("/api/kernels").json()] == [kernel_id]
    assert run_code(runtime, kernel_id, "print(y)") == "kept\n"
    # Logged once each, for what happened: started by the first, re-attached by the second.
    second.wait_log(f"kernel {kernel_id} re-attached")
    assert first.log_text().count(f"kernel {kernel_id} started (python3, pid ") == 1
    assert second.log_text().count(f"kernel {kernel_id} re-attached (python3, pid ") == 1
    assert f"kernel {kernel_id} started" not in second.log_text()


def test_a_kernel_that_died_while_no_server_ran_is_cleaned_up(
    dirs: tuple[Path, Path, Path],
) -> None:
    state, root, runtime = dirs
    first = serve(state, root)
    kernel_id, _ = start_kernel_with_session(first.client)
    (row,) = kernel_rows(state)
    first.stop(signal.SIGKILL)
    os.killpg(row["pid"], signal.SIGKILL)
    assert wait_gone(row["pid"])

    second = serve(state, root)
    assert second.client.get("/api/kernels").json() == []
    assert second.client.get("/api/sessions").json() == []
    assert kernel_rows(state) == []
    assert not (runtime / f"kernel-{kernel_id}.json").exists()
    assert not (runtime / f"kernel-{kernel_id}.log").exists()
    second.wait_log("exited while no server watched it")


def test_shutdown_kernels_on_exit_leaves_nothing_running(dirs: tuple[Path, Path, Path]) -> None:
    state, root, runtime = dirs
    server = serve(state, root, "--shutdown-kernels-on-exit")
    kernel_id, _ = start_kernel_with_session(server.client)
    (row,) = kernel_rows(state)
    assert server.stop(signal.SIGINT) == 0
    assert wait_gone(row["pid"])
    assert kernel_rows(state) == []
    assert not (runtime / f"kernel-{kernel_id}.json").exists()
    assert kernel_processes(runtime) == []


def test_a_reused_pid_is_neither_adopted_nor_killed(dirs: tuple[Path, Path, Path]) -> None:
    state, root, _ = dirs
    first = serve(state, root)
    kernel_id, _ = start_kernel_with_session(first.client)
    (row,) = kernel_rows(state)
    first.stop(signal.SIGKILL)
    os.killpg(row["pid"], signal.SIGKILL)
    assert wait_gone(row["pid"])
    # An unrelated process now has the pid the record names (as after pid reuse).
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        _set_pid(state, kernel_id, stranger.pid)
        second = serve(state, root)
        assert second.client.get("/api/kernels").json() == []
        assert kernel_rows(state) == []
        assert stranger.poll() is None  # not ours: left alone
        second.wait_log("now belongs to another process, which is left alone")
    finally:
        stranger.kill()
        stranger.wait(WAIT)


def test_our_kernel_that_does_not_answer_is_killed(dirs: tuple[Path, Path, Path]) -> None:
    state, root, _ = dirs
    first = serve(state, root)
    kernel_id, _ = start_kernel_with_session(first.client)
    (row,) = kernel_rows(state)
    first.stop(signal.SIGKILL)
    os.kill(row["pid"], signal.SIGSTOP)  # alive, ours, and deaf
    second = serve(state, root)
    assert second.client.get("/api/kernels").json() == []
    assert wait_gone(row["pid"])
    assert kernel_rows(state) == []
    second.wait_log(f"kernel {kernel_id} (pid {row['pid']}) killed: it did not answer")


def test_pools_serve_the_directory_asked_for_and_never_outlive_a_crash(
    dirs: tuple[Path, Path, Path],
) -> None:
    state, root, runtime = dirs
    first = serve(state, root, "--pool", "spec/python3=1")
    first.wait_log("is warm")
    assert first.client.get("/api/kernels").json() == []  # warm kernels are nobody's yet
    (warm,) = kernel_rows(state)
    assert warm["pooled"] == 1
    taken, _ = start_kernel_with_session(first.client)
    assert taken == warm["id"]
    assert run_code(runtime, taken, "import os; print(os.getcwd())") == f"{root / 'work'}\n"
    first.wait_log("is warm", count=2)  # refilled
    rows = {row["id"]: row for row in kernel_rows(state)}
    assert rows[taken]["pooled"] == 0
    (spare,) = [row for row in rows.values() if row["pooled"]]
    first.stop(signal.SIGKILL)

    second = serve(state, root)  # no pool this time
    assert [k["id"] for k in second.client.get("/api/kernels").json()] == [taken]
    assert wait_gone(spare["pid"])  # the crashed server's warm kernel: killed, not orphaned
    assert [row["id"] for row in kernel_rows(state)] == [taken]
    second.wait_log("a pool kernel of a server that is gone")
    assert second.stop() == 0


def test_a_stopped_server_shuts_its_warm_kernels_down(dirs: tuple[Path, Path, Path]) -> None:
    state, root, runtime = dirs
    server = serve(state, root, "--pool", "spec/python3=2")
    server.wait_log("is warm", count=2)
    pids = [row["pid"] for row in kernel_rows(state)]
    assert server.stop() == 0
    assert all(wait_gone(pid) for pid in pids)
    assert kernel_rows(state) == []
    assert kernel_processes(runtime) == []


def test_a_pool_of_a_non_python_type_stops_the_server_with_a_clear_error(
    dirs: tuple[Path, Path, Path],
) -> None:
    state, root, _ = dirs
    spec = Path(os.environ["JUPYTER_DATA_DIR"], "kernels", "shelly")
    spec.mkdir(parents=True)
    kernel = {"argv": ["bash", "{connection_file}"], "display_name": "Shelly", "language": "bash"}
    (spec / "kernel.json").write_text(json.dumps(kernel))
    argv = [sys.executable, "-m", "kernelhub", "serve", "--port", "0", "--state-dir", str(state)]
    argv += ["--root-dir", str(root), "--pool", "spec/shelly=1"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=WAIT, check=False)
    assert done.returncode != 0
    assert "cannot pool spec/shelly (language 'bash')" in done.stderr


def _set_pid(state: Path, kernel_id: str, pid: int) -> None:
    import sqlite3

    db = sqlite3.connect(state / "kernelhub-state.db")
    try:
        db.execute("UPDATE kernels SET pid=? WHERE id=?", (pid, kernel_id))
        db.commit()
    finally:
        db.close()
