"""Culling: shutting down kernels nobody has used for a while.

One :class:`Culler` per registry owns one periodic task (every ``config.cull_interval`` seconds; no
task per kernel). The registry is anything :class:`Cullable` (the server's hub is one): kernels that
know their ``last_activity``, ``execution_state`` and ``connections``, and a ``shutdown_kernel``. A
kernel is idle when its ``last_activity`` (kept, in the server, by the hub and, from IOPub, by the
WebSocket bridge) is older than ``config.cull_idle_timeout``. A busy kernel is culled only with
``cull_busy``, one with WebSocket clients only with ``cull_connected``; a dead kernel (it died and
was not restarted) is culled like an idle one, since nobody can use it. Each cull logs one line with
the reason. It needs no per-kernel events (each pass reads the registry's kernels), so it keeps no
per-kernel state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Protocol

from kernelhub.aio import AsyncResource
from kernelhub.errors import KernelhubError

__all__ = ["CullSettings", "Cullable", "CullableKernel", "Culler"]

log = logging.getLogger("kernelhub.server")

_BUSY = {"busy", "starting", "restarting"}


class CullSettings(Protocol):
    """When to cull (the server's ``ServerConfig`` is one)."""

    @property
    def cull_idle_timeout(self) -> float: ...  # seconds idle before a cull; 0: never
    @property
    def cull_interval(self) -> float: ...  # seconds between passes
    @property
    def cull_busy(self) -> bool: ...
    @property
    def cull_connected(self) -> bool: ...


class CullableKernel(Protocol):
    """What the culler reads of one kernel."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def execution_state(self) -> str: ...
    @property
    def last_activity(self) -> datetime: ...
    @property
    def connections(self) -> int: ...


class Cullable(Protocol):
    """A registry the culler can read and shut kernels down in."""

    @property
    def config(self) -> CullSettings: ...

    def kernels(self) -> Sequence[CullableKernel]: ...

    async def shutdown_kernel(self, kernel_id: str) -> None: ...


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Culler(AsyncResource):
    """Shuts down idle kernels of ``hub``, a :class:`Cullable` registry (see the module
    docstring).

    ``now`` is the clock (tests pass their own); :meth:`start` starts the periodic task,
    :meth:`cull_once` runs one pass, :meth:`aclose` stops the task.
    """

    def __init__(self, hub: Cullable, *, now: Callable[[], datetime] = _utcnow) -> None:
        self.hub = hub
        self.now = now
        self._task: asyncio.Task[None] | None = None

    def reason_to_cull(self, kernel: CullableKernel) -> str | None:
        """Why ``kernel`` should be culled now, or ``None`` if it should not."""
        config = self.hub.config
        idle = (self.now() - kernel.last_activity).total_seconds()
        if config.cull_idle_timeout <= 0 or idle <= config.cull_idle_timeout:
            return None
        if kernel.execution_state in _BUSY and not config.cull_busy:
            return None
        if kernel.connections > 0 and not config.cull_connected:
            return None
        return (
            f"{kernel.execution_state} for {idle:.0f} s (cull_idle_timeout "
            f"{config.cull_idle_timeout:g} s), {kernel.connections} connection(s)"
        )

    async def cull_once(self) -> list[str]:
        """One pass: shut down every kernel that should go; return their ids."""
        culled = []
        for kernel in self.hub.kernels():
            reason = self.reason_to_cull(kernel)
            if reason is None:
                continue
            log.info("culling kernel %s (%s): %s", kernel.id, kernel.name, reason)
            try:
                await self.hub.shutdown_kernel(kernel.id)
            except KernelhubError as exc:
                log.warning("culling kernel %s failed: %s", kernel.id, exc)
                continue
            culled.append(kernel.id)
        return culled

    def start(self) -> None:
        """Start the periodic task (a no-op when culling is off)."""
        config = self.hub.config
        if config.cull_idle_timeout <= 0 or self._task is not None:
            return
        interval = config.cull_interval if config.cull_interval > 0 else 60.0
        self._task = asyncio.get_running_loop().create_task(
            self._run(interval), name="kernelhub-culler"
        )

    async def _run(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.cull_once()
            except Exception:
                log.exception("the culler failed; it will try again")

    async def aclose(self) -> None:
        """Stop the periodic task."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
