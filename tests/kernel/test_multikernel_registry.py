"""The registry beneath the server's hub: launch, adopt and forget, one error for a taken id;
the pools of warm kernels beneath the server's."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernelhub.errors import KernelExistsError, LaunchError
from kernelhub.manager import KernelManager
from kernelhub.manager.events import KernelEvent
from kernelhub.multikernel import MultiKernelManager, Pools
from kernelhub.providers.base import KernelType

WAIT = 30.0


async def test_a_taken_id_is_kernel_exists_however_it_comes(ipykernel_type: KernelType) -> None:
    async with MultiKernelManager() as mkm:
        await mkm.start_kernel(ipykernel_type, timeout=WAIT, kernel_id="taken")
        first = mkm.get("taken")
        with pytest.raises(KernelExistsError, match="'taken' is already running") as caught:
            await mkm.start_kernel(ipykernel_type, timeout=WAIT, kernel_id="taken")
        # Callers that caught the old ValueError, or any failed start, still do.
        assert isinstance(caught.value, LaunchError)
        assert isinstance(caught.value, ValueError)
        assert caught.value.kernel_id == "taken"
        with pytest.raises(KernelExistsError):
            mkm.adopt(KernelManager(ipykernel_type, kernel_id="taken"))
        assert mkm.get("taken") is first
        assert first.is_alive()
        assert len(mkm) == 1


async def test_adopt_and_forget_a_running_manager(ipykernel_type: KernelType) -> None:
    events: list[KernelEvent] = []
    async with MultiKernelManager() as mkm, KernelManager(ipykernel_type) as km:
        mkm.on_event(events.append)
        await km.start(timeout=WAIT)
        assert mkm.adopt(km) is km
        assert mkm.list() == [km]
        await km.restart()  # registered: its events reach the registry's listeners
        assert "restarted" in [e.kind for e in events if e.kernel_id == km.kernel_id]
        seen = len(events)
        assert mkm.forget(km.kernel_id) is km
        assert km.kernel_id not in mkm
        assert mkm.forget(km.kernel_id) is None
        await km.restart()  # forgotten: they no longer do
        assert len(events) == seen
        assert km.is_alive()  # forgetting stops nothing
        await km.shutdown()


async def test_launch_registers_while_it_starts(ipykernel_type: KernelType) -> None:
    async with MultiKernelManager() as mkm:
        km = mkm.make_manager(ipykernel_type, kernel_id="launched")
        assert await mkm.launch(km, timeout=WAIT) is km
        assert mkm.get("launched") is km
        assert km.is_alive()
        await mkm.shutdown_kernel("launched")
        assert "launched" not in mkm
        assert not km.is_alive()


async def test_a_pool_hands_out_a_warm_kernel_and_refills(
    ipykernel_type: KernelType, tmp_path: Path
) -> None:
    warmed: list[str] = []
    discarded: list[str] = []

    class Recorded(Pools):
        def warmed(self, manager: KernelManager, name: str) -> None:
            warmed.append(manager.kernel_id)

        def discarded(self, kernel_id: str) -> None:
            discarded.append(kernel_id)

    async with Recorded() as pools, MultiKernelManager() as mkm:
        pools.add(ipykernel_type, "py", 1, lambda: mkm.make_manager(ipykernel_type))
        pools.start_filling()
        await pools.wait_for(pools.full, WAIT)
        [first] = warmed
        assert await pools.take_warm(ipykernel_type.id, None, {"no": "such"}) is None
        km = await pools.take_warm(ipykernel_type.id, str(tmp_path), {})
        assert km is not None
        assert km.kernel_id == first
        assert km.cwd == str(tmp_path)
        mkm.adopt(km)
        async with km.client() as client:
            result = await client.execute("import os; print(os.getcwd())", timeout=WAIT)
        assert result.stdout.strip() == str(tmp_path)
        await pools.wait_for(lambda: len(warmed) == 2 and pools.full(), WAIT)
        assert pools.warm_ids(ipykernel_type.id) == [warmed[1]]
    assert discarded == [warmed[1]]  # the warm one left at close; the taken one is mkm's
