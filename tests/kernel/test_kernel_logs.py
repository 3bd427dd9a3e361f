"""The log files of kernels that may outlive us (``outlive=True``, as the server starts them).

Removed on a normal shutdown; kept when the kernel died, the newest few only; bounded in size
even when the kernel writes to its stdout fd directly (``os.system``); the same for a kernel
adopted by a new manager. Real ipykernel processes throughout.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kernelhub.errors import KernelDiedError, LaunchError
from kernelhub.launchers import logs
from kernelhub.launchers._output import FileLog
from kernelhub.launchers.adopted import AdoptedKernelProcess
from kernelhub.manager import KernelManager
from kernelhub.providers.base import KernelType

WAIT = 60.0
Factory = Callable[..., KernelType]
# 30 MB written straight to the kernel's fd 1 by a shell, then a marker: the tail to keep.
FLOOD = "import os; os.system('yes | head -c 30000000; echo END-MARK')"


def exists(path: str | Path) -> bool:
    return os.path.exists(path)


def read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def size(path: str | Path) -> int:
    return os.path.getsize(path) if os.path.exists(path) else 0


async def until_output(km: KernelManager, text: str) -> None:
    """Wait (bounded) until ``text`` shows in the kernel's log: the log writer may lag."""

    async def look() -> None:
        # A file cannot be waited on: look again, as the kernel's process does (bounded).
        while text not in km.output():  # noqa: ASYNC110
            await asyncio.sleep(0.05)

    await asyncio.wait_for(look(), WAIT)


def old_dead_logs(runtime: Path, count: int) -> list[Path]:
    """``count`` logs of dead kernels, older than anything a test writes."""
    made = []
    for i in range(count):
        path = runtime / f"kernel-{uuid.uuid4()}.log"
        path.write_text(f"old {i}\n")
        stamp = time.time() - 3600 + i
        os.utime(path, (stamp, stamp))
        made.append(path)
    return made


async def test_a_normal_shutdown_removes_the_log(
    ipykernel_type: KernelType, jupyter_dirs: Any
) -> None:
    runtime = Path(jupyter_dirs.runtime)
    os.makedirs(runtime, exist_ok=True)
    # Left by an older kernelhub, which never removed its logs: bounded at the next shutdown.
    leftovers = old_dead_logs(runtime, logs.KEPT_DEAD_LOGS + 3)
    async with KernelManager(ipykernel_type, outlive=True) as km:
        await km.start(timeout=WAIT)
        path = km.log_path
        assert path is not None
        assert Path(path).name == f"kernel-{km.kernel_id}.log"
        async with km.client() as kc:
            await kc.execute("import os; os.system('echo from-the-fd')", timeout=WAIT)
        await until_output(km, "from-the-fd")
        await km.shutdown()
        assert not exists(path)
        assert not exists(path + ".1")
    assert [exists(p) for p in leftovers] == [False] * 3 + [True] * logs.KEPT_DEAD_LOGS


async def test_a_dead_kernels_log_is_kept_and_the_oldest_dead_logs_go(
    ipykernel_type: KernelType, jupyter_dirs: Any
) -> None:
    runtime = Path(jupyter_dirs.runtime)
    os.makedirs(runtime, exist_ok=True)
    old = old_dead_logs(runtime, logs.KEPT_DEAD_LOGS)
    # Not ours to remove: a running kernel's log (its connection file is there), other files.
    live = runtime / "kernel-running.log"
    live.write_text("running\n")
    (runtime / "kernel-running.json").write_text("{}")
    others = [runtime / "kernel-x.txt", runtime / "notebook.log", runtime / "kernel-y.json"]
    for other in others:
        other.write_text("x")
        os.utime(other, (0, 0))
    async with KernelManager(ipykernel_type, outlive=True) as km:
        await km.start(timeout=WAIT)
        path = km.log_path
        assert path is not None
        died = asyncio.get_running_loop().create_future()
        km.on_event(lambda e: e.kind == "died" and not died.done() and died.set_result(e))
        async with km.client() as kc:
            with pytest.raises(KernelDiedError):
                await kc.execute(
                    "import os; os.write(2, b'last words\\n'); os._exit(3)", timeout=WAIT
                )
        await asyncio.wait_for(died, WAIT)
        await km.shutdown()
    assert "last words" in read(path)
    # One log too many now: the oldest went, the rest stayed.
    assert not exists(old[0])
    assert all(exists(p) for p in old[1:])
    assert exists(live)
    assert all(exists(p) for p in others)


def test_prune_keeps_the_newest_dead_logs_and_nothing_else(tmp_path: Path) -> None:
    old = old_dead_logs(tmp_path, 5)
    rotated = Path(str(old[1]) + ".1")
    rotated.write_text("older part")
    os.utime(rotated, (0, 0))
    orphan_part = tmp_path / "kernel-gone.log.1"  # only its older part was left
    orphan_part.write_text("x")
    os.utime(orphan_part, (0, 0))
    (tmp_path / "kernel-live.log").write_text("live")
    (tmp_path / "kernel-live.json").write_text("{}")
    (tmp_path / "kernel-live.log.1").write_text("live, older")
    removed = logs.prune(str(tmp_path), keep=2)
    assert sorted(removed) == sorted(
        str(p) for p in [tmp_path / "kernel-gone.log", old[0], old[1], old[2]]
    )
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(
        [old[3].name, old[4].name, "kernel-live.log", "kernel-live.json", "kernel-live.log.1"]
    )


async def test_the_log_stays_bounded_when_the_kernel_writes_to_its_fd(
    ipykernel_type: KernelType,
) -> None:
    async with KernelManager(ipykernel_type, outlive=True) as km:
        await km.start(timeout=WAIT)
        path = km.log_path
        assert path is not None
        async with km.client() as kc:
            result = await kc.execute(FLOOD, timeout=WAIT)
        assert result.status == "ok"
        await until_output(km, "END-MARK")
        assert 0 < size(path) <= logs.LOG_LIMIT
        assert 0 < size(path + ".1") <= logs.LOG_LIMIT
        assert km.output().endswith("\nEND-MARK\n")
        await km.shutdown()
        assert not exists(path)
        assert not exists(path + ".1")


async def test_an_adopted_kernel_follows_the_same_rules(ipykernel_type: KernelType) -> None:
    first = KernelManager(ipykernel_type, outlive=True)
    await first.start(timeout=WAIT)
    pid, info, path = first.pid, first.connection_info, first.log_path
    assert pid is not None
    assert info is not None
    assert path is not None
    await first.detach()  # as a server that dies; the kernel and its log writer run on
    second = KernelManager(ipykernel_type, kernel_id=first.kernel_id)
    async with second:
        await second.attach(AdoptedKernelProcess(pid, log_path=path), info, timeout=WAIT)
        assert second.log_path == path
        async with second.client() as kc:
            await kc.execute(FLOOD, timeout=WAIT)
        await until_output(second, "END-MARK")
        assert size(path) <= logs.LOG_LIMIT
        assert size(path + ".1") <= logs.LOG_LIMIT
        await second.shutdown()
        assert not exists(path)
        assert not exists(path + ".1")


async def test_a_failed_start_keeps_the_log_of_a_kernel_that_died(
    script_type: Factory, make_type: Factory, jupyter_dirs: Any
) -> None:
    code = "import sys; print('cannot start: no licence', flush=True); sys.exit(4)"
    async with KernelManager(script_type(code), outlive=True) as km:
        with pytest.raises(KernelDiedError, match="no licence"):
            await km.start(timeout=WAIT)
        assert "no licence" in read(logs.log_path(km.kernel_id))
    async with KernelManager(make_type(("/no/such/kernel",)), outlive=True) as km:
        with pytest.raises(LaunchError, match="not found"):
            await km.start(timeout=WAIT)
        assert not exists(logs.log_path(km.kernel_id))  # nothing ever ran: no empty log


async def test_a_restarted_kernel_logs_to_the_same_file(ipykernel_type: KernelType) -> None:
    async with KernelManager(ipykernel_type, outlive=True) as km:
        await km.start(timeout=WAIT)
        path = km.log_path
        async with km.client() as kc:
            await kc.execute("import os; os.system('echo before-restart')", timeout=WAIT)
            await km.restart(timeout=WAIT)
            await kc.wait_for_ready(timeout=WAIT)
            await kc.execute("import os; os.system('echo after-restart')", timeout=WAIT)
        assert km.log_path == path
        await until_output(km, "after-restart")
        assert "before-restart" in km.output()
        await km.shutdown()
        assert path is not None
        assert not exists(path)


def test_the_tail_is_read_across_the_older_part(tmp_path: Path) -> None:
    path = tmp_path / "kernel-k.log"
    Path(str(path) + ".1").write_bytes(b"older-" * 3)
    path.write_bytes(b"newer")
    assert FileLog(str(path), limit=8).text() == "er-newer"
    assert FileLog(str(path), limit=4).text() == "ewer"
    path.unlink()
    assert FileLog(str(path), limit=8).text() == "r-older-"  # mid-rotation: the older part


async def test_a_removed_log_is_not_made_again_and_never_blocks_the_kernel(
    ipykernel_type: KernelType,
) -> None:
    async with KernelManager(ipykernel_type, outlive=True) as km:
        await km.start(timeout=WAIT)
        path = km.log_path
        assert path is not None
        logs.remove(path)
        async with km.client() as kc:
            # Several times the limit: the writer must rotate, find its log gone, and drain.
            result = await kc.execute(FLOOD.replace("30000000", "5000000"), timeout=WAIT)
            assert result.status == "ok"
            marker = await kc.execute("import os; os.system('echo still-here'); 1", timeout=WAIT)
            assert marker.text == "1"
        assert not exists(path)
        assert not exists(path + ".1")
