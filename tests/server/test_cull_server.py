"""Culling wired into ``kernelhub serve``: an idle kernel with no client is culled, with one log
line; its process, row and connection file go. (The rules are in test_cull.py, with a clock
the test controls; here real time passes, about a second, and the test waits on the log.)"""

from __future__ import annotations

from pathlib import Path

from tests.server.serve_process import kernel_rows, serve, serve_processes, wait_gone

__all__ = ["serve_processes"]  # the fixture, imported for the tests of this module


def test_an_idle_kernel_is_culled_by_the_server(tmp_path: Path, serve_processes: Path) -> None:
    runtime = serve_processes
    state, root = tmp_path / "state", tmp_path / "root"
    root.mkdir()
    server = serve(state, root, "--cull-idle-timeout", "0.5", "--cull-interval", "0.1")
    reply = server.client.post("/api/kernels", {"name": "python3"})
    assert reply.status == 201
    kernel_id = reply.json()["id"]
    (row,) = kernel_rows(state)
    server.wait_log(f"culling kernel {kernel_id} (python3): idle for")
    server.wait_log(f"kernel {kernel_id} shut down")
    assert server.client.get("/api/kernels").json() == []
    assert wait_gone(row["pid"])
    # The rest of a shutdown finishes in the background; a stop waits for it.
    assert server.stop() == 0
    assert kernel_rows(state) == []
    assert not (runtime / f"kernel-{kernel_id}.json").exists()
