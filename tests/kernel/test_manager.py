"""The kernel manager end to end, with real ipykernel and bash_kernel processes."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Callable
from typing import Any

import psutil
import pytest

from kernelhub.client.async_client import AsyncKernelClient
from kernelhub.client.results import ExecuteResult
from kernelhub.errors import KernelDiedError, KernelTimeoutError, LaunchParamsError
from kernelhub.manager import KernelManager, ports
from kernelhub.manager.events import KernelEvent
from kernelhub.providers.base import KernelType

WAIT = 30.0
Factory = Callable[..., KernelType]


def exists(path: str) -> bool:
    return os.path.exists(path)


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


async def test_ipykernel_lifecycle(ipykernel_type: KernelType) -> None:
    events: list[KernelEvent] = []
    async with KernelManager(ipykernel_type) as km:
        km.on_event(events.append)
        info = await km.start(timeout=WAIT)
        assert info["implementation"] == "ipython"
        assert ports.strategy_for(ipykernel_type) == "kernel"
        assert km.connection_info is not None
        assert km.connection_info.complete
        assert stat.S_IMODE(os.stat(km.connection_file).st_mode) == 0o600
        first_ports, first_pid = km.connection_info.ports, km.pid
        assert first_pid is not None

        async with km.client() as kc:
            result = await kc.execute("x = 40 + 2; print(x)", timeout=WAIT)
            assert (result.status, result.text) == ("ok", "42\n")
            interrupted = await interrupt_sleep(km, kc)  # signal mode
            assert interrupted.status == "error"
            assert interrupted.error is not None
            assert interrupted.error.ename == "KeyboardInterrupt"

        await km.restart(timeout=WAIT)
        assert km.connection_info is not None
        assert km.connection_info.ports == first_ports  # restarts keep the ports
        assert gone(first_pid)
        assert km.pid != first_pid
        async with km.client() as kc:
            assert (await kc.execute("print(1)", timeout=WAIT)).text == "1\n"

        pid = km.pid
        assert pid is not None
        await km.shutdown()
        assert km.death_reason == "shut down on request"
        assert km.exit_code == 0
        assert not exists(km.connection_file)
        assert gone(pid)
    assert [e.kind for e in events] == ["started", "restarted", "shutdown"]


async def interrupt_sleep(km: KernelManager, kc: AsyncKernelClient) -> ExecuteResult:
    """Run a 30 s sleep, interrupt it once it has started, return the execution's result."""
    started = asyncio.Event()
    code = "import time; print('sleeping', flush=True); time.sleep(30)"
    running = asyncio.ensure_future(
        kc.execute(code, timeout=WAIT, on_output=lambda _: started.set())
    )
    await asyncio.wait_for(started.wait(), WAIT)
    await km.interrupt()
    return await asyncio.wait_for(running, WAIT)


async def test_message_mode_interrupt(ipykernel_type: KernelType, make_type: Factory) -> None:
    kt = make_type(ipykernel_type.argv, name="python3-msg", interrupt_mode="message")
    async with KernelManager(kt) as km:
        await km.start(timeout=WAIT)
        async with km.client() as kc:
            result = await interrupt_sleep(km, kc)
        assert result.error is not None
        assert result.error.ename == "KeyboardInterrupt"


async def test_bash_kernel(bash_type: KernelType) -> None:
    assert ports.strategy_for(bash_type) == "chosen"
    async with KernelManager(bash_type, shutdown_wait=1.0) as km:
        info = await km.start(timeout=WAIT)
        assert info["implementation"] == "bash_kernel"
        async with km.client() as kc:
            result = await kc.execute("echo $((6 * 7))", timeout=WAIT)
        assert result.text == "42\n"
        await km.shutdown()
        # bash_kernel answers the shutdown request but does not exit: SIGTERM finishes it.
        assert km.death_reason is not None
        assert km.death_reason.startswith("shut down on request")
        assert not exists(km.connection_file)


async def test_death_during_start_is_explained(script_type: Factory) -> None:
    kt = script_type("import sys; sys.stderr.write('bad config: no such thing\\n'); sys.exit(3)")
    km = KernelManager(kt)
    with pytest.raises(KernelDiedError) as info:
        await km.start(timeout=WAIT)
    assert info.value.reason == "exited with code 3: bad config: no such thing"
    assert info.value.exit_code == 3
    await km.aclose()


async def test_start_timeout_kills_the_kernel(script_type: Factory) -> None:
    kt = script_type("import time; print('thinking', flush=True); time.sleep(60)")
    km = KernelManager(kt)
    with pytest.raises(KernelTimeoutError, match="last output: thinking"):
        await km.start(timeout=1.0)
    assert km.pid is None  # the process was killed and never adopted
    await km.aclose()


async def test_launch_params_are_validated(make_type: Factory) -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {"cpus": {"type": "integer", "minimum": 1}},
        "required": ["cpus"],
        "additionalProperties": False,
    }
    kt = make_type(("python", "-c", "pass"), launch_schema=schema)
    cases = [({"cpus": 0}, "'cpus'"), ({}, "'cpus'"), ({"cpus": 1, "x": 1}, "Additional prop")]
    for params, field in cases:
        with pytest.raises(LaunchParamsError, match=field):
            await KernelManager(kt, launch_params=params).start(timeout=WAIT)
    with pytest.raises(LaunchParamsError, match="takes no launch parameters"):
        await KernelManager(make_type(("x",)), launch_params={"a": 1}).start()
