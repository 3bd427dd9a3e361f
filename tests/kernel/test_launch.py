"""The local launcher: command line, environment, session, output, exit and parent death."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kernelhub.errors import LaunchError
from kernelhub.launchers import LaunchRequest, LocalLauncher
from kernelhub.launchers._child import build_argv, build_env, spawn
from kernelhub.launchers.local import LocalKernelProcess
from kernelhub.manager.deaths import explain
from kernelhub.providers.base import KernelType

WAIT = 20.0
Factory = Callable[..., KernelType]


def _script(code: str) -> KernelType:
    return KernelType(
        id="test/script",
        provider="test",
        name="script",
        display_name="script",
        language="python",
        argv=("python", "-c", code, "{connection_file}"),
    )


async def launch(code: str, tmp_path: Path, **kw: Any) -> LocalKernelProcess:
    kernel_type = kw.pop("kernel_type", None) or _script(code)
    request = LaunchRequest(
        kernel_type=kernel_type,
        connection_file=str(tmp_path / "kernel-x.json"),
        kernel_id="x",
        **kw,
    )
    return await LocalLauncher().launch(request)


def test_argv_placeholders_and_python(make_type: Factory) -> None:
    kt = make_type(
        ("python3.11", "-m", "k", "-f", "{connection_file}", "{resource_dir}/x", "{size}", "{x}"),
        resource_dir="/res",
    )
    argv = build_argv(kt, "/run/k.json", {"size": 3})
    assert argv == [sys.executable, "-m", "k", "-f", "/run/k.json", "/res/x", "3", "{x}"]
    assert build_argv(make_type(("pythonista", "x")), "f")[0] == "pythonista"


def test_env_expansion_and_parent_pid(monkeypatch: pytest.MonkeyPatch, make_type: Factory) -> None:
    monkeypatch.setenv("BASE", "b")
    kt = make_type(("k",), env={"A": "${BASE}/a", "U": "${UNKNOWN}", "C": "spec"})
    env = build_env(kt, {"C": "caller"}, parent_pid=42)
    assert (env["A"], env["U"], env["C"], env["JPY_PARENT_PID"]) == (
        "b/a",
        "${UNKNOWN}",
        "caller",
        "42",
    )
    monkeypatch.setenv("JPY_PARENT_PID", "7")
    assert "JPY_PARENT_PID" not in build_env(kt, parent_pid=None)


async def test_child_runs_in_own_session_with_our_env(tmp_path: Path) -> None:
    code = (
        "import os, sys, json; print(json.dumps([os.getsid(0), os.getpgid(0), os.getcwd(),"
        " os.environ['JPY_PARENT_PID'], os.environ['EXTRA'], sys.argv[1], sys.stdin.read()]))"
    )
    async with await launch(code, tmp_path, cwd=str(tmp_path), env={"EXTRA": "e"}) as proc:
        assert await asyncio.wait_for(proc.wait(), WAIT) == 0
        sid, pgid, cwd, ppid, extra, cf, stdin = __import__("json").loads(proc.output())
    assert sid == pgid == proc.pid
    assert (cwd, ppid, extra, stdin) == (str(tmp_path), str(os.getpid()), "e", "")
    assert cf == str(tmp_path / "kernel-x.json")


async def test_output_is_bounded_and_explains_death(tmp_path: Path) -> None:
    code = (
        "import sys; sys.stdout.write('x' * 200000);"
        "sys.stderr.write('boom: bad thing\\n'); sys.exit(3)"
    )
    async with await launch(code, tmp_path) as proc:
        code_ = await asyncio.wait_for(proc.wait(), WAIT)
        out = proc.output()
    assert code_ == 3
    assert len(out) <= 64 * 1024
    assert out.endswith("boom: bad thing\n")
    assert explain(code_, out).reason.startswith("exited with code 3: ")
    assert explain(code_, out).reason.endswith("boom: bad thing")


def test_signal_reasons() -> None:
    assert explain(-9).reason == "killed by signal 9 (SIGKILL), possibly out of memory"
    assert explain(-11).reason == "killed by signal 11 (SIGSEGV), segmentation fault"
    assert explain(0, cause="requested").reason == "shut down on request"
    assert "child was probably killed by SIGKILL" in explain(137).reason


async def test_signal_group_and_aclose_kills(tmp_path: Path) -> None:
    code = "import time, sys; print('up', flush=True); time.sleep(60)"
    proc = await launch(code, tmp_path)
    try:
        assert proc.is_alive()
        assert proc.signal(signal.SIGTERM, group=True)
        assert await asyncio.wait_for(proc.wait(), WAIT) == -signal.SIGTERM
        assert not proc.signal(signal.SIGTERM)
    finally:
        await proc.aclose()
    proc = await launch(code, tmp_path)
    await proc.aclose()
    assert proc.returncode == -signal.SIGKILL


async def test_launch_errors_name_the_problem(tmp_path: Path, make_type: Factory) -> None:
    with pytest.raises(LaunchError, match="program '/no/such/kernel' not found"):
        await launch("", tmp_path, kernel_type=make_type(("/no/such/kernel",)))
    with pytest.raises(LaunchError, match="working directory"):
        await launch("pass", tmp_path, cwd=str(tmp_path / "missing"))


async def test_outlive_writes_a_log_file(tmp_path: Path, jupyter_dirs: object) -> None:
    code = "import os; print('pid', os.getpid(), os.environ.get('JPY_PARENT_PID'), flush=True)"
    async with await launch(code, tmp_path, outlive=True) as proc:
        assert await asyncio.wait_for(proc.wait(), WAIT) == 0
        assert proc.log_path is not None
        assert Path(proc.log_path).parent == Path(os.environ["JUPYTER_RUNTIME_DIR"])
        assert proc.output() == f"pid {proc.pid} None\n"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("die_with_parent", [True, False], ids=["supervised", "outliving"])
def test_spawned_from_a_masked_thread_blocks_nothing(die_with_parent: bool) -> None:
    # The blocking client's loop thread blocks SIGINT, and threads it starts (the spawner)
    # inherit that: the child must not, or it could never be interrupted.
    code = "import os; print(open(f'/proc/{os.getpid()}/status').read().split('SigBlk:')[1])"
    found: list[bytes] = []

    def spawn_masked() -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        read, write = os.pipe()
        proc = spawn(
            [sys.executable, "-c", code],
            cwd=None,
            env=os.environ,
            stdout=write,
            die_with_parent=die_with_parent,
        )
        os.close(write)
        with os.fdopen(read, "rb") as out:
            found.append(out.read())  # bounded: the child prints one line and exits
        assert proc.wait(WAIT) == 0

    thread = threading.Thread(target=spawn_masked)
    thread.start()
    thread.join(WAIT)
    assert not thread.is_alive()
    assert int(found[0].split()[0], 16) == 0
