"""Kernel pools: warm kernels, started ahead, that a ``POST /api/kernels`` takes at once.

``config.pools`` (``--pool spec/python3=2``) names kernel types and how many warm kernels each
keeps. :class:`Pools` is the hub's :attr:`~kernelhub.server.kernels.hub.KernelHub.starter`: a start
of a pooled type with no ``env``, no kernel id and no launch parameters but the type's defaults (a
pooled kernel was started so, and cannot change afterwards) takes a warm kernel; any other start
gets a fresh kernel as usual. Each pool refills in the background after each take, from one task per
pool, started by :meth:`Pools.start` and stopped by :meth:`Pools.aclose`.

A pooled kernel must behave as a fresh one would, including its working directory. Pool
kernels start in the server's root; on take, one silent execute (``silent`` and without
history: ``execution_count`` does not move, so the user's first cell is still ``In [1]``, and
no name is left in the user's namespace) moves it with ``os.chdir`` and replaces
``sys.path[0]`` when it is the old directory (ipykernel puts ``''`` there, which follows the
cwd by itself). The taken manager's ``cwd`` is set too, so a restart starts in the same place.
Only Python kernels can be moved so; a pool of any other language is refused at start with an
error naming the type (restarting a kernel on take would cost what the pool is meant to save).

A warm kernel that dies is discarded (and its restarter stopped) and replaced. Pool kernels are
not in the hub's registry, so ``GET /api/kernels`` does not list them; they are recorded in
the state database as ``pooled`` so that a crash leaves nothing unmanaged, and at close they
are shut down: they belong to nobody.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from kernelhub.client.async_client import AsyncKernelClient
from kernelhub.errors import KernelhubError, KernelTimeoutError
from kernelhub.manager import KernelManager
from kernelhub.manager.events import KernelEvent
from kernelhub.providers.base import KernelType
from kernelhub.server.config import ConfigError
from kernelhub.server.kernels.hub import KernelHub
from kernelhub.server.kernels.served import StartRequest
from kernelhub.server.state.store import StateStore

__all__ = ["MOVE_TIMEOUT", "Pools"]

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
class _Warm:
    manager: KernelManager
    client: AsyncKernelClient  # connected and proven ready, so a take costs one round trip
    unsubscribe: Callable[[], None] | None = None


@dataclass(eq=False)
class _Pool:
    kernel_type: KernelType
    name: str
    size: int
    ready: collections.deque[_Warm] = field(default_factory=collections.deque)
    wanted: asyncio.Event = field(default_factory=asyncio.Event)


class Pools:
    """Every pool of one hub (see the module docstring)."""

    def __init__(self, hub: KernelHub, store: StateStore | None = None) -> None:
        self.hub = hub
        self.store = store
        self.pools: dict[str, _Pool] = {}
        self._fillers: set[asyncio.Task[None]] = set()
        self._discards: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Condition()
        self._closing = asyncio.Event()

    async def check(self) -> None:
        """Resolve the configured pools' kernel types (nothing starts yet). Raises
        ConfigError for an unknown or non-Python kernel type."""
        listing = await self.hub.names.listing()
        for type_id, size in self.hub.config.pools.items():
            try:
                kernel_type = self.hub.names.resolve(listing, type_id)
            except KernelhubError as exc:
                raise ConfigError(f"pools: {exc}") from None
            if kernel_type.language.lower() != "python":
                raise ConfigError(
                    f"pools: cannot pool {type_id} (language {kernel_type.language!r}): a pooled "
                    "kernel must be moved to the directory asked for, which kernelhub can do "
                    "only for Python kernels"
                )
            if size > 0:
                self.pools[kernel_type.id] = _Pool(kernel_type, listing.name_of(kernel_type), size)

    async def start(self) -> None:
        """Check the pools (see :meth:`check`) if that was not done, install the starter hook
        and start filling."""
        if not self.pools:
            await self.check()
        for type_id, pool in self.pools.items():
            self._spawn(self._fillers, self._fill(pool), f"kernelhub-pool-{type_id}")
        self.hub.starter = self.take

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

    async def take(self, request: StartRequest) -> KernelManager | None:
        """The hub's starter hook: a warm kernel moved to ``request.cwd``, or ``None``."""
        pool = self.pools.get(request.kernel_type.id)
        if pool is None or request.env or request.kernel_id:
            return None
        while pool.ready:
            # Parameters are checked (defaults filled) for pool kernels too: equal ones match.
            if dict(request.launch_params) != pool.ready[0].manager.launch_params:
                return None
            warm = pool.ready.popleft()
            pool.wanted.set()
            _unsubscribe(warm)
            try:
                if not warm.manager.is_alive():
                    raise KernelhubError("it died while waiting")
                if request.cwd and request.cwd != warm.manager.cwd:
                    await self._move(warm.client, request.cwd)
            except KernelhubError as exc:
                log.warning("pool kernel %s discarded: %s", warm.manager.kernel_id, exc)
                self._spawn(self._discards, self._discard(warm), "kernelhub-pool-discard")
                continue
            await warm.client.aclose()
            warm.manager.cwd = request.cwd
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

    async def _fill(self, pool: _Pool) -> None:
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

    async def _warm(self, pool: _Pool) -> _Warm:
        request = StartRequest(pool.kernel_type, pool.name, self.hub.config.root, {}, {})
        manager = self.hub.make_manager(request)
        client: AsyncKernelClient | None = None
        try:
            await manager.start()
            client = await manager.client().__aenter__()
            await client.wait_for_ready(MOVE_TIMEOUT)
        except BaseException:
            if client is not None:
                await client.aclose()
            await manager.aclose()
            raise
        warm = _Warm(manager, client)
        warm.unsubscribe = manager.on_event(lambda event: self._on_event(pool, warm, event))
        if self.store is not None:
            self.store.save_manager(manager, pool.name, pooled=True)
        log.info("pool of %s: kernel %s is warm", pool.name, manager.kernel_id)
        return warm

    def _on_event(self, pool: _Pool, warm: _Warm, event: KernelEvent) -> None:
        if event.kind != "died" or warm not in pool.ready:
            return
        pool.ready.remove(warm)
        _unsubscribe(warm)
        log.warning("pool kernel %s discarded: %s", warm.manager.kernel_id, event.reason)
        self._spawn(self._discards, self._discard(warm), "kernelhub-pool-discard")
        pool.wanted.set()

    async def _discard(self, warm: _Warm) -> None:
        await warm.client.aclose()
        await warm.manager.aclose()  # stops its restarter: a replacement comes from the pool
        if self.store is not None:
            self.store.forget_kernel(warm.manager.kernel_id)
        async with self._changed:
            self._changed.notify_all()

    async def aclose(self) -> None:
        """Stop filling and shut down every warm kernel (they belong to nobody)."""
        if self.hub.starter == self.take:
            self.hub.starter = None
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


def _unsubscribe(warm: _Warm) -> None:
    if warm.unsubscribe is not None:
        warm.unsubscribe()
        warm.unsubscribe = None
