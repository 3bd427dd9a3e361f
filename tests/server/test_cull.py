"""The culler: which kernels go (idle timeout, busy, connected), one line per cull, one
periodic task driven here by a tiny interval and a clock the test controls."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import pytest

from kernelhub.manager import KernelManager
from kernelhub.manager.events import KernelEvent
from kernelhub.multikernel.culler import Culler
from kernelhub.providers.base import KernelType
from kernelhub.providers.finder import KernelFinder
from kernelhub.server.config import ServerConfig
from kernelhub.server.kernels.hub import KernelHub, ServedKernel

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
TYPE = KernelType(
    id="test/python", provider="test", name="python", display_name="Test", language="python",
    argv=("python", "-m", "ipykernel_launcher", "-f", "{connection_file}"),
    interpreter=sys.executable,
)  # fmt: skip


class Clock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class Stopped:
    """An attachment that lets a test wait for a kernel's stop."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.event = asyncio.Event()

    async def kernel_started(self, kernel: ServedKernel) -> None:
        pass

    async def kernel_stopped(self, kernel: ServedKernel) -> None:
        self.ids.append(kernel.id)
        self.event.set()

    async def kernel_event(self, kernel: ServedKernel, event: KernelEvent) -> None:
        pass


def make_hub(**settings: object) -> KernelHub:
    settings = {"cull_idle_timeout": 60.0, **settings}
    config = ServerConfig(port=0, token="t", **settings)  # type: ignore[arg-type]
    return KernelHub(config, KernelFinder([]))


async def add_kernel(
    hub: KernelHub, kernel_id: str, *, idle_for: float, state: str = "idle", connections: int = 0
) -> ServedKernel:
    """A registered kernel (its manager never started: culling needs no process)."""
    kernel = ServedKernel(
        kernel_id, "python", TYPE, KernelManager(TYPE, kernel_id=kernel_id), None,
        last_activity=T0 - timedelta(seconds=idle_for), execution_state=state,
        connections=connections,
    )  # fmt: skip
    await hub.adopt(kernel)
    return kernel


@pytest.fixture
async def hub() -> AsyncIterator[KernelHub]:
    hub = make_hub()
    yield hub
    await hub.aclose()


async def test_idle_kernels_past_the_timeout_are_culled(
    hub: KernelHub, caplog: pytest.LogCaptureFixture
) -> None:
    await add_kernel(hub, "old", idle_for=61)
    await add_kernel(hub, "recent", idle_for=59)
    culler = Culler(hub, now=Clock())
    with caplog.at_level(logging.INFO, "kernelhub.server"):
        assert await culler.cull_once() == ["old"]
    assert [k.id for k in hub.kernels()] == ["recent"]
    (line,) = [r.getMessage() for r in caplog.records if "culling" in r.getMessage()]
    assert line.startswith("culling kernel old (python): idle for 61 s (cull_idle_timeout 60 s)")


@pytest.mark.parametrize(
    ("settings", "state", "connections", "culled"),
    [
        ({}, "busy", 0, False),
        ({"cull_busy": True}, "busy", 0, True),
        ({}, "idle", 2, False),
        ({"cull_connected": True}, "idle", 2, True),
        ({"cull_busy": True}, "busy", 1, False),
        ({"cull_busy": True, "cull_connected": True}, "busy", 1, True),
        ({}, "dead", 0, True),
        ({"cull_idle_timeout": 0.0}, "idle", 0, False),
    ],
)
async def test_busy_and_connected_kernels_are_culled_only_when_configured(
    settings: dict[str, object], state: str, connections: int, culled: bool
) -> None:
    hub = make_hub(**settings)
    try:
        await add_kernel(hub, "k", idle_for=3600, state=state, connections=connections)
        assert await Culler(hub, now=Clock()).cull_once() == (["k"] if culled else [])
    finally:
        await hub.aclose()


async def test_the_periodic_task_culls_once_the_clock_has_moved() -> None:
    hub = make_hub(cull_interval=0.001)
    stopped = Stopped()
    hub.add_attachment(stopped)
    clock = Clock()
    culler = Culler(hub, now=clock)
    try:
        await add_kernel(hub, "k", idle_for=0)
        culler.start()
        # Passes run meanwhile and find nothing to do: the kernel is not idle yet.
        await asyncio.wait_for(_passes(culler, 3), 10)
        assert [k.id for k in hub.kernels()] == ["k"]
        clock.now = T0 + timedelta(seconds=61)
        await asyncio.wait_for(stopped.event.wait(), 10)
        assert stopped.ids == ["k"]
    finally:
        await culler.aclose()
        await hub.aclose()
    assert culler._task is None  # stopped and forgotten


async def _passes(culler: Culler, n: int) -> None:
    """Wait until the culler has made ``n`` more passes (wraps cull_once to count them)."""
    done = asyncio.Event()
    count = 0
    original = culler.cull_once

    async def counting() -> list[str]:
        nonlocal count
        result = await original()
        count += 1
        if count >= n:
            done.set()
        return result

    culler.cull_once = counting  # type: ignore[method-assign]
    try:
        await done.wait()
    finally:
        culler.cull_once = original  # type: ignore[method-assign]


async def test_no_task_without_a_timeout() -> None:
    hub = make_hub(cull_idle_timeout=0.0)
    culler = Culler(hub)
    culler.start()
    assert culler._task is None
    await culler.aclose()
    await hub.aclose()
