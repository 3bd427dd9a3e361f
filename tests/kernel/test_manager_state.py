"""The manager's one state machine, the restarter held by a shutdown, and a shutdown that
returns on the kernel's acknowledgement (real ipykernel processes)."""

from __future__ import annotations

import asyncio

import pytest

import kernelhub
from kernelhub.errors import ClientClosedError, WrongStateError
from kernelhub.manager import KernelFinder, KernelManager, State
from kernelhub.manager.events import EventKind
from kernelhub.manager.restarter import Restarter, RestartPolicy
from kernelhub.manager.state import TRANSITIONS, Life, Step
from kernelhub.providers import finder as providers_finder
from kernelhub.providers.base import KernelType

WAIT = 30.0


def test_every_state_is_in_the_table_and_closed_is_final() -> None:
    assert set(TRANSITIONS) == set(State)
    assert TRANSITIONS[State.CLOSED] == {Step.CLOSE: State.CLOSED}
    reachable = {State.NEW}
    for _ in State:
        reachable |= {after for s in reachable for after in TRANSITIONS[s].values()}
    assert reachable == set(State)


def test_a_step_the_table_refuses_names_the_kernel_and_the_state() -> None:
    life = Life("k1")
    assert life.advance(Step.START) is State.STARTING
    with pytest.raises(WrongStateError, match=r"kernel k1: cannot stop while starting"):
        life.advance(Step.STOP)
    assert life.state is State.STARTING  # a refused step changes nothing


def test_a_stop_cancelled_half_way_can_be_asked_for_again() -> None:
    life = Life("k1")
    for step in (Step.START, Step.READY, Step.STOP, Step.STOP, Step.STOPPED):
        life.advance(step)
    assert life.state is State.DOWN
    assert isinstance(WrongStateError("x"), RuntimeError)


class _Stub:
    """The little of a manager a restarter sees."""

    kernel_id = "stub"

    def __init__(self) -> None:
        self.events: list[str] = []
        self.relaunched = asyncio.Event()

    def emit(self, kind: EventKind, *, reason: str | None = None, restarts: int = 0) -> None:
        self.events.append(kind)

    def is_alive(self) -> bool:
        return True

    async def ping(self, timeout: float = 1.0) -> bool:
        return True

    async def relaunch(self) -> bool:
        self.relaunched.set()
        return True

    def kill_unresponsive(self, detail: str) -> None:
        raise AssertionError("not hung")


async def test_a_held_restarter_restarts_nothing_until_resumed() -> None:
    stub = _Stub()
    restarter = Restarter(stub, RestartPolicy(backoff=0.0, heartbeat_interval=0))
    restarter.hold()
    assert not restarter.active
    assert not restarter.gave_up
    restarter.kernel_died("exited with code 1")
    assert not restarter.restarting
    assert stub.events == []
    restarter.resume()
    assert restarter.active
    restarter.kernel_died("exited with code 1")
    assert restarter.restarting
    await asyncio.wait_for(stub.relaunched.wait(), WAIT)
    await restarter.aclose()
    assert stub.events[0] == "restarting"


async def test_the_state_follows_the_kernel_life(ipykernel_type: KernelType) -> None:
    km = KernelManager(
        ipykernel_type, autorestart=True, restart_policy=RestartPolicy(heartbeat_interval=0)
    )
    assert km.state is State.NEW
    assert km.will_restart
    await km.start(timeout=WAIT)
    assert km.state is State.RUNNING
    await km.restart(timeout=WAIT)
    assert km.state is State.RUNNING
    await km.shutdown()
    assert km.state is State.DOWN
    assert not km.will_restart  # the shutdown held the restarter
    await km.start(timeout=WAIT)  # a kernel shut down may start again
    assert km.state is State.RUNNING
    assert km.will_restart
    await km.aclose()
    assert km.state is State.CLOSED
    await km.aclose()  # closing twice is fine
    with pytest.raises(ClientClosedError, match="is closed"):
        await km.start(timeout=WAIT)


async def test_a_death_is_died_then_restarted(ipykernel_type: KernelType) -> None:
    policy = RestartPolicy(backoff=0.0, heartbeat_interval=0)
    async with KernelManager(ipykernel_type, autorestart=True, restart_policy=policy) as km:
        await km.start(timeout=WAIT)
        async with km.events() as events:
            km.kill_unresponsive("killed by the test")
            kinds = []
            async for event in events:
                kinds.append(event.kind)
                if event.kind == "died":
                    assert km.state in (State.DIED, State.STOPPING, State.STARTING)
                if event.kind == "restarted":
                    break
        assert kinds == ["died", "restarting", "restarted"]
        assert km.state is State.RUNNING


async def test_begin_shutdown_returns_on_the_acknowledgement(ipykernel_type: KernelType) -> None:
    # A kernel busy in a cell answers shutdown_request on control at once but exits only
    # when the cell ends: here, by the SIGTERM that follows shutdown_wait.
    async with KernelManager(ipykernel_type, shutdown_wait=1.0) as km:
        await km.start(timeout=WAIT)
        async with km.client() as kc:
            started = asyncio.Event()
            code = "import time; print('sleeping', flush=True); time.sleep(30)"
            running = asyncio.ensure_future(
                kc.execute(code, timeout=WAIT, on_output=lambda _: started.set())
            )
            await asyncio.wait_for(started.wait(), WAIT)
            finish = await asyncio.wait_for(km.begin_shutdown(close=True), WAIT)
            assert not finish.done()  # acknowledged; the process is still in its cell
            assert km.is_alive()
            await asyncio.wait_for(finish, WAIT)
            running.cancel()
        assert km.state is State.CLOSED
        assert not km.is_alive()
        assert km.death_reason is not None
        assert "SIGTERM" in km.death_reason


async def test_begin_shutdown_now_is_done_on_return(ipykernel_type: KernelType) -> None:
    km = KernelManager(ipykernel_type)
    await km.start(timeout=WAIT)
    finish = await asyncio.wait_for(km.begin_shutdown(now=True), WAIT)
    assert finish.done()
    assert finish.exception() is None
    assert km.state is State.DOWN
    assert not km.is_alive()
    await km.aclose()


def test_only_the_manager_layer_finder_launches() -> None:
    assert kernelhub.KernelFinder is KernelFinder
    assert issubclass(KernelFinder, providers_finder.KernelFinder)
    assert not hasattr(providers_finder.KernelFinder, "launch")
    assert type(KernelFinder.from_entrypoints()) is KernelFinder


async def test_a_cancelled_shutdown_is_finished_by_aclose(ipykernel_type: KernelType) -> None:
    km = KernelManager(ipykernel_type, shutdown_wait=1.0)
    await km.start(timeout=WAIT)
    async with km.client() as kc:
        started = asyncio.Event()
        code = "import time; print('sleeping', flush=True); time.sleep(30)"
        running = asyncio.ensure_future(
            kc.execute(code, timeout=WAIT, on_output=lambda _: started.set())
        )
        await asyncio.wait_for(started.wait(), WAIT)
        finish = await asyncio.wait_for(km.begin_shutdown(), WAIT)
        assert not finish.done()
        finish.cancel()  # half-way: the kernel acknowledged, its process still runs its cell
        with pytest.raises(asyncio.CancelledError):
            await finish
        assert km.state is State.STOPPING
        assert km.is_alive()
        await asyncio.wait_for(km.aclose(), WAIT)
        running.cancel()
    assert km.state is State.CLOSED
    assert not km.is_alive()
