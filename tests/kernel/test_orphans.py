"""No orphans: kill -9 the process that manages kernels, and its kernels must go too."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

DEADLINE = 60.0

# A managing process: starts kernels, prints their pids as one JSON line, then waits forever.
# The fake kernels ignore SIGTERM, SIGHUP and a closed stdin, and never look at their parent:
# only the parent-death signal can take them down.
MANAGER = textwrap.dedent(
    """
    import asyncio, json, sys
    from kernelhub.launchers import LaunchRequest, LocalLauncher
    from kernelhub.providers.base import KernelType

    STUBBORN = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        "signal.signal(signal.SIGHUP, signal.SIG_IGN); print('up', flush=True); time.sleep(120)"
    )

    async def main():
        kt = KernelType(id="t/stubborn", provider="t", name="stubborn", display_name="s",
                        language="python", argv=("python", "-c", STUBBORN))
        launcher = LocalLauncher()
        procs = [await launcher.launch(LaunchRequest(kt, f"/nonexistent/{i}.json", str(i)))
                 for i in range(3)]
        print(json.dumps([p.pid for p in procs]), flush=True)
        await asyncio.get_running_loop().create_future()

    asyncio.run(main())
    """
)


# The same with real kernels started by managers: ipykernel, bash_kernel and, when installed,
# xeus-python (a C++ kernel that does not watch its parent at all).
MANAGERS = textwrap.dedent(
    """
    import asyncio, importlib.util, json, sys
    from kernelhub.manager import KernelManager
    from kernelhub.providers.base import KernelType

    def kt(name, argv, **kw):
        return KernelType(id=f"t/{name}", provider="t", name=name, display_name=name,
                          language="python", argv=tuple(argv), **kw)

    async def main():
        types = [kt("py", ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"]),
                 kt("bash", ["python", "-m", "bash_kernel", "-f", "{connection_file}"])]
        if importlib.util.find_spec("xpython_launcher"):
            types.append(kt("xpython", ["python", "-m", "xpython_launcher", "-f",
                                        "{connection_file}"], kernel_protocol_version="5.5"))
        managers = [KernelManager(t) for t in types]
        await asyncio.gather(*(m.start(timeout=60) for m in managers))
        print(json.dumps([m.pid for m in managers]), flush=True)
        await asyncio.get_running_loop().create_future()

    asyncio.run(main())
    """
)


def wait_all_gone(pids: list[int], timeout: float) -> list[int]:
    """Wait (bounded) until every pid has died; return those still alive at the deadline.

    A pidfd becomes readable when its process dies, so this sleeps in poll(), not in a loop.
    """
    poller = select.poll()
    fds: dict[int, int] = {}
    for pid in pids:
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            continue
        fds[fd] = pid
        poller.register(fd, select.POLLIN)
    deadline = time.monotonic() + timeout
    try:
        while fds and (left := deadline - time.monotonic()) > 0:
            for fd, _ in poller.poll(left * 1000):
                poller.unregister(fd)
                os.close(fd)
                del fds[fd]
    finally:
        for fd in fds:
            os.close(fd)
    return sorted(fds.values())


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def run_manager(script: str) -> tuple[subprocess.Popen[str], list[int]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], DEADLINE)
    assert ready, "the managing process did not report its kernels in time"
    line = proc.stdout.readline()
    assert line, f"the managing process died: exit {proc.wait(DEADLINE)}"
    return proc, json.loads(line)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux")
@pytest.mark.parametrize("script", [MANAGER, MANAGERS], ids=["stubborn", "real-kernels"])
def test_kernels_die_with_a_killed_manager(script: str) -> None:
    manager, pids = run_manager(script)
    try:
        assert len(pids) >= 2
        assert all(alive(pid) for pid in pids)
        manager.send_signal(signal.SIGKILL)
        manager.wait(DEADLINE)
        assert wait_all_gone(pids, DEADLINE) == []
        assert not any(alive(pid) for pid in pids)
    finally:
        manager.kill()
        manager.wait(DEADLINE)
        assert manager.stdout is not None
        manager.stdout.close()
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
