"""Death reasons and the auto-restarter, with a real ipykernel."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from pathlib import Path

from kernelhub.manager import EventStream, KernelEvent, KernelManager, RestartPolicy
from kernelhub.providers.base import KernelType

WAIT = 30.0
Factory = Callable[..., KernelType]
FAST = RestartPolicy(
    backoff=0.01, heartbeat_interval=0.2, heartbeat_timeout=0.3, heartbeat_misses=2
)


async def until(events: EventStream, kind: str) -> KernelEvent:
    """The next event of ``kind`` (bounded)."""

    async def find() -> KernelEvent:
        async for event in events:
            if event.kind == kind:
                return event
        raise AssertionError(f"the event stream ended before a {kind!r} event")

    return await asyncio.wait_for(find(), WAIT)


async def answers(km: KernelManager) -> bool:
    async with km.client() as kc:
        return (await kc.execute("print('still here')", timeout=WAIT)).text == "still here\n"


async def die(km: KernelManager, code: str, events: EventStream) -> KernelEvent:
    """Make the kernel run ``code`` (which kills it); return the death event, once restarted."""
    async with km.client() as kc:
        kc_task = asyncio.ensure_future(kc.execute(code, timeout=WAIT))
        died = await until(events, "died")
        await asyncio.gather(kc_task, return_exceptions=True)
    await until(events, "restarted")
    return died


async def test_every_death_is_explained_and_restarted(ipykernel_type: KernelType) -> None:
    async with KernelManager(ipykernel_type, autorestart=True, restart_policy=FAST) as km:
        await km.start(timeout=WAIT)
        async with km.events() as events:
            # kill -9 from outside
            assert km.pid is not None
            os.kill(km.pid, signal.SIGKILL)
            died = await until(events, "died")
            assert died.reason == "killed by signal 9 (SIGKILL), possibly out of memory"
            assert died.exit_code == -9
            restarted = await until(events, "restarted")
            assert restarted.restarts == 1
            assert await answers(km)

            died = await die(
                km,
                "import os; os.write(2, b'fatal: the flux capacitor broke\\n'); os._exit(3)",
                events,
            )
            assert died.reason is not None
            assert died.reason.startswith("exited with code 3: ")
            assert died.reason.endswith("fatal: the flux capacitor broke")

            died = await die(km, "import os; os.kill(os.getpid(), 9)", events)
            assert died.reason == "killed by signal 9 (SIGKILL), possibly out of memory"

            died = await die(km, "import ctypes; ctypes.string_at(0)", events)
            assert died.reason is not None
            assert died.reason.startswith("killed by signal 11 (SIGSEGV), segmentation fault")

            # A hung kernel (stopped: its heartbeat cannot answer) is killed and restarted.
            assert km.pid is not None
            os.kill(km.pid, signal.SIGSTOP)
            died = await until(events, "died")
            assert died.reason is not None
            assert "stopped answering heartbeats" in died.reason
            await until(events, "restarted")
            assert await answers(km)
            assert km.death_reason is None  # alive again


async def test_restarter_gives_up(tmp_path: Path, make_type: Factory) -> None:
    # A kernel that starts once, then fails at every restart: the flag file breaks it.
    flag = tmp_path / "broken"
    code = (
        "import os, sys, runpy\n"
        f"if os.path.exists({str(flag)!r}): sys.exit('broken config')\n"
        "sys.argv = ['ipykernel_launcher', '-f', sys.argv[1]]\n"
        "runpy.run_module('ipykernel_launcher', run_name='__main__')\n"
    )
    kt = make_type(("python", "-c", code, "{connection_file}"))
    kt = make_type(kt.argv, metadata={"kernelhub": {"ports": "kernel"}})
    policy = RestartPolicy(max_restarts=2, backoff=0.01, heartbeat_interval=0)
    async with KernelManager(kt, autorestart=True, restart_policy=policy) as km:
        await km.start(timeout=WAIT)
        async with km.events() as events:
            flag.write_text("x")
            assert km.pid is not None
            os.kill(km.pid, signal.SIGKILL)
            gave_up = await until(events, "gave_up")
        assert gave_up.reason is not None
        assert "2 restarts within 60 s" in gave_up.reason
        assert "exited with code 1: broken config" in gave_up.reason
        assert not km.is_alive()
