"""Processes we did not spawn: telling a process from a later one with the same pid, watching
a non-child's exit, and a manager attached to a running kernel (KernelManager.attach)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import psutil
import pytest

from kernelhub.errors import KernelTimeoutError
from kernelhub.launchers.adopted import AdoptedKernelProcess, identify, is_same_process
from kernelhub.manager import KernelManager
from kernelhub.manager.events import KernelEvent
from kernelhub.providers.base import KernelType
from tests.server.serve_process import wait_gone

WAIT = 30.0
TYPE = KernelType(
    id="test/python", provider="test", name="python", display_name="Test", language="python",
    argv=("python", "-m", "ipykernel_launcher", "-f", "{connection_file}"),
    interpreter=sys.executable,
)  # fmt: skip


def orphan_sleeper() -> int:
    """The pid of a ``sleep`` that is not our child (its parent exited) and leads its group."""
    code = (
        "import subprocess as s; print(s.Popen(['sleep', '120'], start_new_session=True,"
        " stdout=s.DEVNULL, stderr=s.DEVNULL).pid)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=WAIT
    )
    return int(done.stdout)


@pytest.fixture
def sleeper() -> Iterator[int]:
    pid = orphan_sleeper()
    yield pid
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    assert wait_gone(pid)


def test_a_process_is_told_from_a_later_one_with_its_pid(sleeper: int) -> None:
    me = identify(sleeper)
    assert me is not None
    assert me.cmdline == ("sleep", "120")
    assert is_same_process(me)
    later = dataclasses.replace(me, create_time=me.create_time - 3600)
    assert not is_same_process(later)  # same pid, another start: pid reuse
    argv = dataclasses.replace(me, cmdline=("python", "-f", "/run/kernel-x.json"))
    assert not is_same_process(argv)
    assert is_same_process(dataclasses.replace(argv, cmdline=("x",)), "120")  # names the file


def test_a_gone_process_has_no_identity() -> None:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert identify(int(done.stdout)) is None


async def test_the_exit_of_a_process_that_is_not_our_child_is_seen(sleeper: int) -> None:
    process = AdoptedKernelProcess(sleeper)
    try:
        assert process.is_alive()
        assert psutil.Process(sleeper).ppid() != os.getpid()
        assert process.signal(signal.SIGTERM, group=True)
        await asyncio.wait_for(process.wait(), WAIT)
        assert not process.is_alive()
        assert process.returncode is None  # unknowable for a non-child
        assert not process.signal(signal.SIGKILL, group=True)  # gone: its group id is not ours
    finally:
        await process.aclose()


async def test_a_manager_attaches_to_a_running_kernel_and_explains_its_death() -> None:
    first = KernelManager(TYPE, outlive=True)
    await first.start()
    info, pid = first.connection_info, first.pid
    assert info is not None
    assert pid is not None
    await first.detach()
    manager = KernelManager(TYPE, kernel_id=first.kernel_id)
    died: asyncio.Queue[KernelEvent] = asyncio.Queue()
    manager.on_event(lambda e: died.put_nowait(e) if e.kind == "died" else None)
    try:
        reply = await manager.attach(AdoptedKernelProcess(pid), info, timeout=WAIT)
        assert reply["language_info"]["name"] == "python"
        async with manager.client() as client:
            assert (await client.execute("print(6 * 7)", timeout=WAIT)).text == "42\n"
        os.killpg(pid, signal.SIGKILL)
        event = await asyncio.wait_for(died.get(), WAIT)
        assert event.reason is not None
        assert event.reason.startswith("exited while not our child (exit status unknown)")
        assert manager.exit_code is None
    finally:
        await manager.aclose()


async def test_attach_gives_up_on_a_kernel_that_does_not_answer() -> None:
    first = KernelManager(TYPE, outlive=True)
    await first.start()
    info, pid = first.connection_info, first.pid
    assert info is not None
    assert pid is not None
    await first.detach()
    os.kill(pid, signal.SIGSTOP)
    manager = KernelManager(TYPE, kernel_id=first.kernel_id)
    process = AdoptedKernelProcess(pid)
    try:
        with pytest.raises(KernelTimeoutError, match=r"no heartbeat|no reply"):
            await manager.attach(process, info, timeout=0.5)
        assert manager.pid is None  # not supervised: the caller decides
    finally:
        await process.aclose()
        await manager.aclose()
        os.killpg(pid, signal.SIGKILL)
        assert wait_gone(pid)


async def test_a_kernel_meant_to_outlive_us_that_never_gets_ready_is_killed(
    jupyter_dirs: object,
) -> None:
    mute = dataclasses.replace(
        TYPE, id="test/mute", name="mute",
        argv=("python", "-c", "import time; time.sleep(120)", "{connection_file}"),
    )  # fmt: skip
    manager = KernelManager(mute, outlive=True)
    try:
        with pytest.raises(KernelTimeoutError):
            await manager.start(timeout=1.0)
    finally:
        await manager.aclose()
    procs = [
        p
        for p in psutil.process_iter(["cmdline"])
        if any(manager.connection_file in arg for arg in p.info["cmdline"] or [])
    ]
    alive = psutil.wait_procs(procs, timeout=5.0)[1]
    for proc in alive:
        proc.kill()
    assert alive == []
