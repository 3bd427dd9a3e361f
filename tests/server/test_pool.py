"""Kernel pools against real ipykernels: fill, take, refill, the working directory asked for,
a warm kernel that dies, what is never pooled, and shutdown at close."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from kernelhub.providers.base import KernelType
from kernelhub.providers.finder import KernelFinder
from kernelhub.providers.spec import SpecProvider
from kernelhub.server.config import ConfigError, ServerConfig
from kernelhub.server.kernels.hub import KernelHub, ServedKernel, StartRequest
from kernelhub.server.kernels.pool import Pools
from tests.server.conftest import StaticProvider
from tests.server.serve_process import kernel_processes

WAIT = 60.0
PY = "spec/python3"
PROBE = "import os, sys\nprint(os.getcwd(), sys.path[0], '_kernelhub_move' in dir())"


def bash_type() -> KernelType:
    """A kernel type in another language (never started here)."""
    return KernelType(
        id="test/bashy", provider="test", name="bashy", display_name="Bashy",
        language="bash", argv=("bash", "-c", "exit 1"),
    )  # fmt: skip


def make_hub(root: Path, pools: dict[str, int]) -> KernelHub:
    config = ServerConfig(port=0, token="t", root_dir=str(root), pools=pools)
    finder = KernelFinder([SpecProvider(), StaticProvider([bash_type()])])
    return KernelHub(config, finder)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "root" / "sub").mkdir(parents=True)
    return tmp_path / "root"


@pytest.fixture
async def pooled(root: Path, jupyter_dirs: Any) -> AsyncIterator[tuple[KernelHub, Pools]]:
    """A hub with a pool of two python3 kernels, filled; afterwards, no kernel is left."""
    hub = make_hub(root, {PY: 2})
    pools = Pools(hub)
    await pools.start()
    try:
        await pools.wait_for(pools.full, WAIT)
        yield hub, pools
    finally:
        warm = [p for pool in pools.pools.values() for p in (w.manager.pid for w in pool.ready)]
        await pools.aclose()
        await hub_close(hub)
        # Pool kernels belong to nobody: none is left running, nor any being started.
        assert all(not _running(pid) for pid in warm if pid is not None)
        assert kernel_processes(jupyter_dirs.runtime) == []


async def hub_close(hub: KernelHub) -> None:
    for kernel in hub.kernels():
        await hub.shutdown_kernel(kernel.id, now=True)
    await hub.aclose()


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


async def run(kernel: ServedKernel, code: str) -> tuple[str, int | None]:
    async with kernel.manager.client() as client:
        result = await client.execute(code, timeout=WAIT)
    assert result.ok, result.error
    return result.text, result.execution_count


async def test_a_start_takes_a_warm_kernel_and_the_pool_refills(
    pooled: tuple[KernelHub, Pools],
) -> None:
    hub, pools = pooled
    warm = pools.warm_ids(PY)
    assert hub.kernels() == []  # pool kernels are not listed until taken
    kernel = await hub.start_kernel("python3", path="sub")
    assert kernel.id == warm[0]
    assert [k.id for k in hub.kernels()] == [kernel.id]
    await pools.wait_for(lambda: len(pools.warm_ids(PY)) == 2, WAIT)
    assert kernel.id not in pools.warm_ids(PY)
    assert warm[1] in pools.warm_ids(PY)


async def test_a_pooled_kernel_behaves_as_a_fresh_one(
    pooled: tuple[KernelHub, Pools], root: Path
) -> None:
    hub, pools = pooled
    warm = pools.warm_ids(PY)
    taken = await hub.start_kernel("python3", path="sub")
    assert taken.id == warm[0]
    # env keeps a start out of the pool: this one is a fresh kernel in the same place.
    fresh = await hub.start_kernel("python3", path="sub", env={"KERNELHUB_TEST": "1"})
    assert fresh.id not in pools.warm_ids(PY)
    got_taken, count_taken = await run(taken, PROBE)
    got_fresh, count_fresh = await run(fresh, PROBE)
    assert got_taken == got_fresh
    assert got_taken.startswith(f"{root / 'sub'} ")
    assert got_taken.endswith(" False\n")  # nothing left in the user's namespace
    assert count_taken == count_fresh == 1  # In [1] comes first
    assert taken.manager.cwd == str(root / "sub")  # a restart starts there too


async def test_a_start_in_the_root_takes_a_warm_kernel_unmoved(
    pooled: tuple[KernelHub, Pools], root: Path
) -> None:
    hub, pools = pooled
    warm = pools.warm_ids(PY)
    kernel = await hub.start_kernel("python3")
    assert kernel.id == warm[0]
    text, count = await run(kernel, "import os; print(os.getcwd())")
    assert (text, count) == (f"{root}\n", 1)


async def test_env_launch_params_or_an_id_bypass_the_pool(
    pooled: tuple[KernelHub, Pools],
) -> None:
    hub, pools = pooled
    warm = set(pools.warm_ids(PY))
    with_env = await hub.start_kernel("python3", env={"A": "1"})
    with_id = await hub.start_kernel("python3", kernel_id="my-own-id")
    assert with_env.id not in warm
    assert with_id.id == "my-own-id"
    assert set(pools.warm_ids(PY)) == warm


async def test_a_warm_kernel_that_dies_is_discarded_and_replaced(
    pooled: tuple[KernelHub, Pools],
) -> None:
    hub, pools = pooled
    dead_id = pools.warm_ids(PY)[0]
    pool = pools.pools[PY]
    (dead,) = [w.manager for w in pool.ready if w.manager.kernel_id == dead_id]
    assert dead.pid is not None
    os.killpg(dead.pid, signal.SIGKILL)
    await pools.wait_for(
        lambda: dead_id not in pools.warm_ids(PY) and len(pools.warm_ids(PY)) == 2, WAIT
    )
    kernel = await hub.start_kernel("python3")
    assert kernel.id != dead_id
    assert (await run(kernel, "print(1 + 1)"))[0] == "2\n"


async def test_a_pool_of_a_non_python_kernel_is_refused(root: Path) -> None:
    hub = make_hub(root, {"test/bashy": 1})
    pools = Pools(hub)
    with pytest.raises(ConfigError, match=r"cannot pool test/bashy \(language 'bash'\)"):
        await pools.start()
    await pools.aclose()
    await hub.aclose()


async def test_a_pool_of_an_unknown_type_is_refused(root: Path) -> None:
    hub = make_hub(root, {"spec/nosuch": 1})
    pools = Pools(hub)
    with pytest.raises(ConfigError, match="nosuch"):
        await pools.start()
    await pools.aclose()
    await hub.aclose()


async def test_no_pool_for_a_type_means_fresh_kernels(root: Path) -> None:
    hub = make_hub(root, {PY: 0})
    pools = Pools(hub)
    await pools.start()
    try:
        assert pools.pools == {}
        assert await pools.take(_request(hub)) is None
    finally:
        await pools.aclose()
        await hub.aclose()


def _request(hub: KernelHub) -> StartRequest:
    listing = hub.names.listing_now()
    kernel_type = hub.names.resolve(listing, PY)
    return StartRequest(kernel_type, "python3", hub.config.root, {}, {})
