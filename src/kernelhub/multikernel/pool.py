"""Kernel pools: warm kernels, started ahead, that a start takes at once.

:class:`Pools` keeps, per kernel type, a pool of ``size`` warm kernels (:meth:`Pools.add`,
each with the factory of its unstarted managers), refilled in the background after each take
from one task per pool, started by :meth:`Pools.start_filling` and stopped by :meth:`Pools.aclose`.
:meth:`Pools.take_warm` hands out a warm kernel whose launch parameters are the ones asked for
(a pooled kernel was started with them and cannot change afterwards), or ``None``. The server's
pools (:mod:`kernelhub.server.kernels.pool`) are these, fed from its settings.

A pooled kernel must behave as a fresh one would, including its working directory. Pool
kernels start where their factory puts them; on take, one silent execute (``silent`` and
without history: ``execution_count`` does not move, so the user's first cell is still
``In [1]``, and no name is left in the user's namespace) moves it with ``os.chdir`` and
replaces ``sys.path[0]`` when it is the old directory (ipykernel puts ``''`` there, which
follows the cwd by itself). The taken manager's ``cwd`` is set too, so a restart starts in the
same place. Only Python kernels can be moved so (the caller refuses other languages).

A warm kernel that dies is discarded (and its restarter stopped) and replaced. Warm kernels are
in no registry (they belong to nobody); :meth:`Pools.warmed` and :meth:`Pools.discarded` are
called as they come and go (the server records them so that a crash leaves nothing
unmanaged), and at close they are shut down.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Callable, Coroutine, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

from kernelhub.aio import AsyncResource
from kernelhub.client.async_client import AsyncKernelClient
from kernelhub.errors import KernelhubError, KernelTimeoutError
from kernelhub.manager import KernelManager
from kernelhub.manager.events import KernelEvent
from kernelhub.providers.base import KernelType

__all__ = ["MOVE_TIMEOUT", "Pool", "Pools", "Warm"]

log = logging.getLogger("kernelhub.server")

#: How long the silent execute that moves a taken kernel may take (seconds).
MOVE_TIMEOUT = 10.0
_BACKOFF, _MAX_BACKOFF = 1.0, 60.0
_MOVE = """\
def _kernelhub_move(path):
    import os, sys
    old = os.getcwd()
    os.chdir(path)
    if sys.path and sys.path[0] == old:
        sys.path[0] = os.getcwd()
_kernelhub_move({path!r})
del _kernelhub_move
"""


@dataclass(eq=False)
class Warm:
    """One warm kernel: its manager and a client connected to it."""

    manager: KernelManager
    client: AsyncKernelClient  # connected and proven ready, so a take costs one round trip
    stack: AsyncExitStack  # the client's: closing it closes the client
    unsubscribe: Callable[[], None] | None = None


@dataclass(eq=False)
class Pool:
    """The warm kernels of one kernel type; ``make`` gives an unstarted manager for one."""

    kernel_type: KernelType
    name: str
    size: int
    make: Callable[[], KernelManager]
    ready: collections.deque[Warm] = field(default_factory=collections.deque)
    wanted: asyncio.Event = field(default_factory=asyncio.Event)


class Pools(AsyncResource):
    """Every pool of one owner (see the module docstring)."""

    def __init__(self) -> None:
        self.pools: dict[str, Pool] = {}
        self._fillers: set[asyncio.Task[None]] = set()
        self._discards: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Condition()
        self._closing = asyncio.Event()

    def add(
        self, kernel_type: KernelType, name: str, size: int, make: Callable[[], KernelManager]
    ) -> None:
        """Keep ``size`` warm kernels of ``kernel_type`` (shown as ``name``), from ``make``."""
        if size > 0:
            self.pools[kernel_type.id] = Pool(kernel_type, name, size, make)

    def start_filling(self) -> None:
        """Start filling every pool (one task each, ended by :meth:`aclose`)."""
        for type_id, pool in self.pools.items():
            self._spawn(self._fillers, self._fill(pool), f"kernelhub-pool-{type_id}")

    def warmed(self, manager: KernelManager, name: str) -> None:
        """Called when a kernel of the pool shown as ``name`` is warm (for subclasses)."""

    def discarded(self, kernel_id: str) -> None:
        """Called when a warm kernel has been discarded and shut down (for subclasses)."""

    def warm_ids(self, type_id: str) -> list[str]:
        """The ids of the warm kernels of the pool of ``type_id``, oldest first."""
        pool = self.pools.get(type_id)
        return [w.manager.kernel_id for w in pool.ready] if pool else []

    def full(self) -> bool:
        """Whether every pool holds as many warm kernels as configured."""
        return all(len(pool.ready) >= pool.size for pool in self.pools.values())

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> None:
        """Wait until ``predicate()`` holds, checked after each change of a pool (a kernel
        warm, taken or discarded); KernelTimeoutError after ``timeout`` seconds."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(predicate), timeout)
            except asyncio.TimeoutError:
                raise KernelTimeoutError(f"pools: no such state within {timeout:g} s") from None

    def _notify(self) -> None:
        async def notify() -> None:
            async with self._changed:
                self._changed.notify_all()

        self._spawn(self._discards, notify(), "kernelhub-pool-notify")

    @staticmethod
    def _spawn(tasks: set[asyncio.Task[None]], coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def take_warm(
        self, type_id: str, cwd: str | None, launch_params: Mapping[str, object]
    ) -> KernelManager | None:
        """A warm kernel of ``type_id`` started with ``launch_params``, moved to ``cwd``; or
        ``None`` (no such pool, other parameters, or none warm)."""
        pool = self.pools.get(type_id)
        if pool is None:
            return None
        while pool.ready:
            # Parameters are checked (defaults filled) for pool kernels too: equal ones match.
            if dict(launch_params) != pool.ready[0].manager.launch_params:
                return None
            warm = pool.ready.popleft()
            pool.wanted.set()
            _unsubscribe(warm)
            try:
                if not warm.manager.is_alive():
                    raise KernelhubError("it died while waiting")
                if cwd and cwd != warm.manager.cwd:
                    await self._move(warm.client, cwd)
            except KernelhubError as exc:
                log.warning("pool kernel %s discarded: %s", warm.manager.kernel_id, exc)
                self._spawn(self._discards, self._discard(warm), "kernelhub-pool-discard")
                continue
            await warm.stack.aclose()
            warm.manager.cwd = cwd
            self._notify()
            log.info("kernel %s taken from the pool of %s", warm.manager.kernel_id, pool.name)
            return warm.manager
        return None

    @staticmethod
    async def _move(client: AsyncKernelClient, cwd: str) -> None:
        code = _MOVE.format(path=cwd)
        result = await client.execute(code, silent=True, store_history=False, timeout=MOVE_TIMEOUT)
        if not result.ok:
            detail = result.error.evalue if result.error else result.status
            raise KernelhubError(f"moving it to {cwd} failed: {detail}")

    async def _fill(self, pool: Pool) -> None:
        backoff = _BACKOFF
        while not self._closing.is_set():
            if len(pool.ready) >= pool.size:
                pool.wanted.clear()
                await pool.wanted.wait()
                continue
            try:
                warm = await self._warm(pool)
            except KernelhubError as exc:
                log.warning("pool of %s: a kernel did not start: %s", pool.name, exc)
                # A broken type must not spin; a close ends the pause.
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF)
                continue
            backoff = _BACKOFF
            pool.ready.append(warm)
            self._notify()

    async def _warm(self, pool: Pool) -> Warm:
        manager = pool.make()
        stack = AsyncExitStack()
        try:
            await manager.start()
            client = await stack.enter_async_context(manager.client())
            await client.wait_for_ready(MOVE_TIMEOUT)
        except BaseException:
            await stack.aclose()
            await manager.aclose()
            raise
        warm = Warm(manager, client, stack)
        warm.unsubscribe = manager.on_event(lambda event: self._on_event(pool, warm, event))
        self.warmed(manager, pool.name)
        log.info("pool of %s: kernel %s is warm", pool.name, manager.kernel_id)
        return warm

    def _on_event(self, pool: Pool, warm: Warm, event: KernelEvent) -> None:
        if event.kind != "died" or warm not in pool.ready:
            return
        pool.ready.remove(warm)
        _unsubscribe(warm)
        log.warning("pool kernel %s discarded: %s", warm.manager.kernel_id, event.reason)
        self._spawn(self._discards, self._discard(warm), "kernelhub-pool-discard")
        pool.wanted.set()

    async def _discard(self, warm: Warm) -> None:
        await warm.stack.aclose()
        await warm.manager.aclose()  # stops its restarter: a replacement comes from the pool
        self.discarded(warm.manager.kernel_id)
        async with self._changed:
            self._changed.notify_all()

    async def aclose(self) -> None:
        """Stop filling and shut down every warm kernel (they belong to nobody)."""
        self._closing.set()
        for pool in self.pools.values():
            pool.wanted.set()
        # A start under way is let finish (it is bounded by the start timeout), never
        # cancelled: a cancelled start leaves the process of a kernel that may outlive us
        # running, and nobody would know of it. The fillers end at once after it.
        await asyncio.gather(*self._fillers, return_exceptions=True)
        await asyncio.gather(*self._discards, return_exceptions=True)
        warm = [w for pool in self.pools.values() for w in pool.ready]
        for pool in self.pools.values():
            pool.ready.clear()
        for item in warm:
            _unsubscribe(item)
        await asyncio.gather(*(self._discard(w) for w in warm), return_exceptions=True)


def _unsubscribe(warm: Warm) -> None:
    if warm.unsubscribe is not None:
        warm.unsubscribe()
        warm.unsubscribe = None
