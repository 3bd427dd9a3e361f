"""Kernels outlive ``kernelhub serve``: killed with SIGKILL or stopped, a server started again
with the same state re-attaches them, with their state; what cannot be re-attached is cleaned
up, and nothing is left running unmanaged. Every server here is a real subprocess."""

from __future__ import annotations

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
    run_code(runtime, kernel_id, "import os\nx = 41 + 1")
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
    assert run_code(runtime, kernel_id, "print(x, os.getcwd())") == f"42 {root / 'work'}\n"
    assert "re-attached" in second.log_text()
    assert row["connection"] not in second.log_text()  # the key stays out of the log

    # The re-attached kernel is managed like any other: a shutdown ends its process.
    assert second.client.delete(f"/api/kernels/{kernel_id}").status == 204
    assert wait_gone(row["pid"])
    assert kernel_rows(state) == []
    assert second.stop() == 0


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
    assert "exited while no server watched it" in second.log_text()


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
        assert "now belongs to another process, which is left alone" in second.log_text()
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
    assert f"kernel {kernel_id} (pid {row['pid']}) killed: it did not answer" in second.log_text()


def _set_pid(state: Path, kernel_id: str, pid: int) -> None:
    import sqlite3

    db = sqlite3.connect(state / "kernelhub-state.db")
    try:
        db.execute("UPDATE kernels SET pid=? WHERE id=?", (pid, kernel_id))
        db.commit()
    finally:
        db.close()
