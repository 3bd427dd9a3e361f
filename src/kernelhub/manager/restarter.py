"""The auto-restarter that keeps a kernel alive.

A :class:`~kernelhub.manager.KernelManager` created with ``autorestart=True`` owns one
:class:`Restarter`. The manager tells it about every death it did not ask for (the process
exited or was killed, including by us after missed heartbeats); the restarter restarts the
kernel after an exponential backoff, as long as the :class:`RestartPolicy` budget allows (by
default 5 restarts within 60 s), and gives up otherwise. It also pings the kernel's heartbeat
and kills a kernel that stops answering, which then counts as a death like any other.

What it does is published as :class:`~kernelhub.manager.events.KernelEvent` s through the
manager (:meth:`Supervised.emit`). The restarter sees the manager only through the
:class:`Supervised` protocol, so that this module does not import the manager.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import enum
import logging
import time
from dataclasses import dataclass
from typing import Protocol

from kernelhub.errors import KernelhubError
from kernelhub.manager.events import EventKind

__all__ = ["RestartPolicy", "Restarter", "Supervised"]

log = logging.getLogger("kernelhub")


class Supervised(Protocol):
    """What the restarter needs of the manager whose kernel it keeps alive."""

    @property
    def kernel_id(self) -> str:
        """The kernel's id (names the restarter's tasks)."""
        ...

    def emit(self, kind: EventKind, *, reason: str | None = None, restarts: int = 0) -> None:
        """Publish an event to the manager's subscribers."""
        ...

    def is_alive(self) -> bool:
        """Whether the kernel process is running."""
        ...

    async def ping(self, timeout: float = 1.0) -> bool:
        """Whether the heartbeat answers within ``timeout`` seconds."""
        ...

    async def relaunch(self) -> bool:
        """Start the dead kernel again; ``False`` when there was nothing to do."""
        ...

    def kill_unresponsive(self, detail: str) -> None:
        """Kill a hung kernel (its death then comes back as :meth:`Restarter.kernel_died`)."""
        ...


@dataclass(frozen=True)
class RestartPolicy:
    """How hard the restarter tries.

    At most ``max_restarts`` within ``window`` seconds; the n-th restart in a row waits
    ``backoff * 2**(n-1)`` seconds (at most ``max_backoff``). The heartbeat is pinged every
    ``heartbeat_interval`` seconds (0 disables it); ``heartbeat_misses`` unanswered pings in a
    row, each given ``heartbeat_timeout`` seconds, mean the kernel is hung and is killed.
    """

    max_restarts: int = 5
    window: float = 60.0
    backoff: float = 0.1
    max_backoff: float = 5.0
    heartbeat_interval: float = 3.0
    heartbeat_timeout: float = 1.0
    heartbeat_misses: int = 3


class _Mode(enum.Enum):
    ACTIVE = "active"  # a death is restarted, budget permitting
    HELD = "held"  # a shutdown was asked for: deaths are not restarted until resume()
    GAVE_UP = "gave up"  # the budget ran out: for good


class Restarter:
    """Restarts a manager's kernel after unexpected deaths (see the module docstring)."""

    def __init__(self, manager: Supervised, policy: RestartPolicy | None = None) -> None:
        self.manager = manager
        self.policy = policy or RestartPolicy()
        self._restarts: collections.deque[float] = collections.deque()
        self._task: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._mode = _Mode.ACTIVE

    @property
    def restarting(self) -> bool:
        """Whether a restart is scheduled or under way."""
        return self._task is not None and not self._task.done()

    @property
    def gave_up(self) -> bool:
        """Whether the restart budget ran out (the kernel is no longer restarted)."""
        return self._mode is _Mode.GAVE_UP

    @property
    def active(self) -> bool:
        """Whether a death now would be restarted (neither held nor given up)."""
        return self._mode is _Mode.ACTIVE

    def hold(self) -> None:
        """A shutdown was asked for: deaths from now on are the shutdown's, not restarted."""
        if self._mode is _Mode.ACTIVE:
            self._mode = _Mode.HELD

    def resume(self) -> None:
        """The kernel is wanted running again (a start or a restart): restart its deaths."""
        if self._mode is _Mode.HELD:
            self._mode = _Mode.ACTIVE

    def kernel_started(self) -> None:
        """The kernel is up: watch its heartbeat."""
        if self.policy.heartbeat_interval > 0 and self._heartbeat is None:
            self._heartbeat = asyncio.get_running_loop().create_task(
                self._watch_heartbeat(), name=f"kernelhub-heartbeat-{self.manager.kernel_id}"
            )

    def kernel_died(self, reason: str) -> None:
        """The kernel died without being asked to: restart it, budget permitting."""
        if self.restarting or self._mode is not _Mode.ACTIVE:
            return
        self._task = asyncio.get_running_loop().create_task(
            self._restart(reason), name=f"kernelhub-restart-{self.manager.kernel_id}"
        )

    async def _restart(self, reason: str) -> None:
        policy = self.policy
        while True:
            now = time.monotonic()
            while self._restarts and now - self._restarts[0] > policy.window:
                self._restarts.popleft()
            count = len(self._restarts)
            if count >= policy.max_restarts:
                self._mode = _Mode.GAVE_UP
                self.manager.emit(
                    "gave_up",
                    reason=f"{count} restarts within {policy.window:g} s; last death: {reason}",
                    restarts=count,
                )
                return
            self._restarts.append(now)
            delay = min(policy.backoff * 2**count, policy.max_backoff)
            self.manager.emit("restarting", reason=reason, restarts=count + 1)
            # A backoff, not a synchronisation: a kernel that dies at once should not spin.
            await asyncio.sleep(delay)
            try:
                relaunched = await self.manager.relaunch()
            except KernelhubError as exc:
                reason = str(exc)
                log.warning("restarting kernel %s failed: %s", self.manager.kernel_id, exc)
                continue
            if relaunched:
                self.manager.emit("restarted", reason=reason, restarts=count + 1)
            return

    async def _watch_heartbeat(self) -> None:
        policy = self.policy
        misses = 0
        while True:
            await asyncio.sleep(policy.heartbeat_interval)
            if self.restarting or not self.manager.is_alive():
                misses = 0
                continue
            try:
                ok = await self.manager.ping(policy.heartbeat_timeout)
            except KernelhubError:
                ok = True  # no client right now (restart, shutdown): nothing to judge
            misses = 0 if ok else misses + 1
            if misses >= policy.heartbeat_misses:
                misses = 0
                self.manager.kill_unresponsive(
                    f"killed by kernelhub: it stopped answering heartbeats "
                    f"({policy.heartbeat_misses} missed in a row)"
                )

    async def aclose(self) -> None:
        """Stop watching and cancel a pending restart."""
        for task in (self._task, self._heartbeat):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = self._heartbeat = None
