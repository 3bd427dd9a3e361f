"""``kernelhub serve`` as a user runs it: a subprocess, the URL line, Ctrl-C."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import JupyterDirs

from .conftest import WAIT, Client
from .serve_process import sigint_default
from .test_rest_kernels import wait_gone

URL = re.compile(r"^kernelhub serving at http://127\.0\.0\.1:(\d+)/\?token=(\S+)$")


@dataclass
class Serve:
    proc: subprocess.Popen[str]
    client: Client
    token: str
    lines: list[str]

    def stop(self) -> tuple[int, str]:
        """Ctrl-C, bounded; the exit status and stderr."""
        self.proc.send_signal(signal.SIGINT)
        _, err = self.proc.communicate(timeout=WAIT)
        return self.proc.returncode, err


def _first_line(proc: subprocess.Popen[str]) -> str:
    """The first stdout line, or "" if none comes within the bound (no sleeping)."""
    got: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    stdout = proc.stdout
    threading.Thread(target=lambda: got.put(stdout.readline()), daemon=True).start()
    try:
        return got.get(timeout=WAIT)
    except queue.Empty:
        return ""


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Serve]]:
    """A function starting ``kernelhub serve --port 0 EXTRA...``; it returns once the URL is
    printed. Whatever is still running at the end is killed."""
    procs: list[subprocess.Popen[str]] = []

    def start(*extra: str) -> Serve:
        argv = [sys.executable, "-m", "kernelhub", "serve", "--port", "0", *extra]
        with sigint_default():  # stop() is a Ctrl-C
            proc = subprocess.Popen(
                argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path
            )
        procs.append(proc)
        line = _first_line(proc).strip()
        found = URL.match(line)
        assert found, f"no URL line: {line!r}"
        return Serve(proc, Client(int(found[1]), found[2]), found[2], [line])

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=WAIT)


def _kernel_pids(runtime: Path) -> list[int]:
    """Kernel processes started with a connection file in ``runtime`` (from /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            # The connection file, not the kernel's log (its log writer names that one).
            prefix = str(runtime / "kernel-").encode()
            if any(a.startswith(prefix) and a.endswith(b".json") for a in cmdline.split(b"\0")):
                pids.append(int(entry.name))
    return pids


def test_serve_prints_the_url_answers_and_leaves_kernels_running(
    serve: Callable[..., Serve], jupyter_dirs: JupyterDirs
) -> None:
    server: Serve = serve("--token", "sekrit-token")
    assert server.token == "sekrit-token"
    assert server.client.get("/api/status").status == 200
    assert server.client.get("/api/status", token="nope").status == 403
    kid = server.client.post("/api/kernels", {}).json()["id"]
    pids = _kernel_pids(jupyter_dirs.runtime)
    assert len(pids) == 1
    try:
        code, err = server.stop()
        assert code == 0, err
        assert f"kernel {kid} started" in err
        assert f"kernel {kid} left running" in err
        assert "sekrit-token" not in err  # the URL line on stdout is the only place
        os.kill(pids[0], 0)  # still running: the next server re-attaches it
        info = json.loads((jupyter_dirs.runtime / f"kernel-{kid}.json").read_text())
        assert info["key"]
    finally:
        for pid in pids:
            os.killpg(pid, signal.SIGKILL)
            wait_gone(pid)


def test_shutdown_kernels_on_exit(serve: Callable[..., Serve], jupyter_dirs: JupyterDirs) -> None:
    server: Serve = serve("--shutdown-kernels-on-exit")
    assert len(server.token) >= 32  # a random one
    kid = server.client.post("/api/kernels", {}).json()["id"]
    pids = _kernel_pids(jupyter_dirs.runtime)
    assert len(pids) == 1
    code, err = server.stop()
    assert code == 0, err
    assert f"kernel {kid} shut down" in err
    wait_gone(pids[0])
    assert not (jupyter_dirs.runtime / f"kernel-{kid}.json").exists()


def test_bad_options_are_one_line_errors(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kernelhub", "serve", "--pool", "python3"],
        check=False, capture_output=True, text=True, timeout=WAIT, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1
    assert "expected TYPE=COUNT" in result.stderr
    assert "Traceback" not in result.stderr
