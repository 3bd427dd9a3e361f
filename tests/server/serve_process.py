"""``kernelhub serve`` as a real subprocess, for the tests of restarts and crashes.

:func:`serve` starts it on a free port of 127.0.0.1 with its state in a given directory and
returns once it has printed its URL (bounded). The ``serve_processes`` fixture kills what a
test left behind: servers, and every kernel whose command line names the test's runtime dir.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import re
import select
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import psutil
import pytest

from kernelhub.client.async_client import AsyncKernelClient
from kernelhub.connection import read_connection_file
from tests.server.conftest import TOKEN, Client

WAIT = 30.0
_URL = re.compile(r"kernelhub serving at http://127\.0\.0\.1:(\d+)/")


@contextlib.contextmanager
def sigint_default() -> Iterator[None]:
    """Processes started inside get SIGINT at ``SIG_DFL``, even when this test run ignores it.

    Under ``nohup``, in a background job or from a non-interactive CI shell, SIGINT comes
    ignored, and an ignored signal stays ignored across ``exec``: a server started then would
    never see the Ctrl-C a test sends it. A handled signal is reset to its default by exec, so
    handling it here while the child starts is enough (no ``preexec_fn`` in a threaded
    process). Main thread only. (tests/kernel/client_fixtures.py has the same helper.)
    """
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


@dataclass
class ServeProcess:
    """One running ``kernelhub serve``."""

    proc: subprocess.Popen[str]
    port: int
    state_dir: Path
    log: list[str] = field(default_factory=list)
    readers: list[threading.Thread] = field(default_factory=list)
    logged: threading.Condition = field(default_factory=threading.Condition)

    @property
    def client(self) -> Client:
        """A REST client with the token."""
        return Client(self.port)

    def stop(self, signum: int = signal.SIGINT) -> int:
        """Send ``signum`` and wait (bounded) for the exit; return the exit code."""
        self.proc.send_signal(signum)
        code = self.proc.wait(WAIT)
        for reader in self.readers:  # the whole log is in once they reach the end of it
            reader.join(WAIT)
        return code

    def log_text(self) -> str:
        """What the server logged so far."""
        with self.logged:
            return "".join(self.log)

    def wait_log(self, text: str, count: int = 1, timeout: float = WAIT) -> None:
        """Wait until ``text`` has appeared in ``count`` log lines (bounded)."""
        with self.logged:
            ok = self.logged.wait_for(
                lambda: sum(text in line for line in self.log) >= count, timeout
            )
        assert ok, f"{text!r} not logged {count} time(s) in {timeout} s: {self.log_text()}"

    def append_log(self, line: str) -> None:
        """Record one line of the server's log (the stderr reader calls this)."""
        with self.logged:
            self.log.append(line)
            self.logged.notify_all()


def serve(state_dir: Path, root: Path, *options: str) -> ServeProcess:
    """Start ``kernelhub serve``; return once it is serving."""
    argv = [sys.executable, "-m", "kernelhub", "serve", "--port", "0", "--token", TOKEN]
    argv += ["--state-dir", str(state_dir), "--root-dir", str(root), *options]
    with sigint_default():  # stop() sends a Ctrl-C
        proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    assert proc.stderr is not None
    server = ServeProcess(proc, 0, state_dir)
    _SERVERS.append(server)
    server.readers += [
        threading.Thread(target=_pump, args=(proc.stdout, lines.put), daemon=True),
        threading.Thread(target=_pump, args=(proc.stderr, server.append_log), daemon=True),
    ]
    for reader in server.readers:
        reader.start()
    try:
        first = lines.get(timeout=WAIT)
    except queue.Empty:
        raise AssertionError(f"kernelhub serve did not start: {server.log_text()}") from None
    found = _URL.search(first)
    assert found, f"unexpected first line {first!r}; log: {server.log_text()}"
    server.port = int(found[1])
    return server


_SERVERS: list[ServeProcess] = []


def _pump(pipe: IO[str], sink: Callable[[str], None]) -> None:
    for line in pipe:
        sink(line)


def kernel_rows(state_dir: Path) -> list[dict[str, Any]]:
    """The kernels table of the state database."""
    db = sqlite3.connect(state_dir / "kernelhub-state.db")
    try:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM kernels")]
    finally:
        db.close()


def wait_gone(pid: int, timeout: float = WAIT) -> bool:
    """Whether process ``pid`` has exited within ``timeout`` seconds (a zombie has: it is the
    reaper's, which may be slow for orphans; a pidfd says so for any process)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
        return bool(ready)
    finally:
        os.close(fd)


def kernel_processes(runtime: Path) -> list[psutil.Process]:
    """Live processes whose command line names a file in ``runtime`` (our kernels)."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if any(str(runtime) in arg for arg in cmdline):
            found.append(proc)
    return found


def run_code(runtime: Path, kernel_id: str, code: str) -> str:
    """Run ``code`` in the kernel (through its connection file); return its text output."""

    async def go() -> str:
        info = read_connection_file(str(runtime / f"kernel-{kernel_id}.json"))
        async with AsyncKernelClient(info) as client:
            result = await client.execute(code, timeout=WAIT)
        assert result.ok, result.error
        return result.text

    return asyncio.run(go())


def ws_run(port: int, kernel_id: str, code: str) -> str:
    """Run ``code`` over the kernel's WebSocket (v1, as JupyterLab); return its stdout."""
    from tests.server.ws_fixtures import stream_text, ws_client

    async def go() -> str:
        url = f"ws://127.0.0.1:{port}/api/kernels/{kernel_id}/channels?token={TOKEN}"
        async with ws_client(url, v1=True) as client:
            reply, outputs = await asyncio.wait_for(client.execute(code), WAIT)
        assert reply["content"]["status"] == "ok", reply["content"]
        return stream_text(outputs)

    return asyncio.run(go())


@pytest.fixture
def serve_processes(jupyter_dirs: Any) -> Iterator[Path]:
    """Yield the runtime dir; afterwards kill leftover servers and kernels, and check."""
    runtime: Path = jupyter_dirs.runtime
    yield runtime
    while _SERVERS:
        server = _SERVERS.pop()
        if server.proc.poll() is None:
            os.killpg(server.proc.pid, signal.SIGKILL)
            server.proc.wait(WAIT)
        for reader in server.readers:
            reader.join(WAIT)
        for pipe in (server.proc.stdout, server.proc.stderr):
            if pipe is not None:
                pipe.close()
    leftovers = kernel_processes(runtime)
    for proc in leftovers:
        proc.kill()
    psutil.wait_procs(leftovers, timeout=WAIT)
    assert not kernel_processes(runtime)
