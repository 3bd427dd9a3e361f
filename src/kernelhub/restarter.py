"""Lifecycle events, and the auto-restarter that keeps a kernel alive.

A :class:`~kernelhub.manager.KernelManager` created with ``autorestart=True`` owns one
:class:`Restarter`. The manager tells it about every death it did not ask for (the process
exited or was killed, including by us after missed heartbeats); the restarter restarts the
kernel after an exponential backoff, as long as the :class:`RestartPolicy` budget allows (by
default 5 restarts within 60 s), and gives up otherwise. It also pings the kernel's heartbeat
and kills a kernel that stops answering, which then counts as a death like any other.

Everything that happens is published as a :class:`KernelEvent` to the manager's subscribers.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from kernelhub.errors import KernelhubError

if TYPE_CHECKING:
    from kernelhub.manager import KernelManager

__all__ = ["EventHub", "EventKind", "EventStream", "KernelEvent", "RestartPolicy", "Restarter"]

log = logging.getLogger("kernelhub")

#: What happened to a kernel.
EventKind = Literal["started", "died", "restarting", "restarted", "gave_up", "shutdown"]


@dataclass(frozen=True)
class KernelEvent:
    """One thing that happened to a kernel, as frontends are told about it.

    ``reason`` explains deaths (``"killed by signal 9 (SIGKILL), possibly out of memory"``),
    restarts and giving up; ``restarts`` counts automatic restarts in the current window.
    """

    kind: EventKind
    kernel_id: str
    reason: str | None = None
    exit_code: int | None = None
    restarts: int = 0
    time: float = 0.0


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


class Restarter:
    """Restarts a manager's kernel after unexpected deaths (see the module docstring)."""

    def __init__(self, manager: KernelManager, policy: RestartPolicy | None = None) -> None:
        self.manager = manager
        self.policy = policy or RestartPolicy()
        self._restarts: collections.deque[float] = collections.deque()
        self._task: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self.gave_up = False

    @property
    def restarting(self) -> bool:
        """Whether a restart is scheduled or under way."""
        return self._task is not None and not self._task.done()

    def kernel_started(self) -> None:
        """The kernel is up: watch its heartbeat."""
        if self.policy.heartbeat_interval > 0 and self._heartbeat is None:
            self._heartbeat = asyncio.get_running_loop().create_task(
                self._watch_heartbeat(), name=f"kernelhub-heartbeat-{self.manager.kernel_id}"
            )

    def kernel_died(self, reason: str) -> None:
        """The kernel died without being asked to: restart it, budget permitting."""
        if self.restarting or self.gave_up:
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
                self.gave_up = True
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


Listener = Callable[[KernelEvent], None]


class EventStream:
    """Events as an async iterator: ``async with manager.events() as events: async for ...``.

    Bounded: when a slow reader lets ``maxsize`` events pile up, the oldest are dropped.
    """

    def __init__(self, unsubscribe: Callable[[], None] | None = None, maxsize: int = 1000) -> None:
        self._queue: collections.deque[KernelEvent] = collections.deque(maxlen=maxsize)
        self._wakeup = asyncio.Event()
        self._closed = False
        self._unsubscribe = unsubscribe

    def push(self, event: KernelEvent) -> None:
        """Deliver ``event`` (the manager calls this)."""
        self._queue.append(event)
        self._wakeup.set()

    async def get(self) -> KernelEvent:
        """The next event; raises StopAsyncIteration once closed and drained."""
        while not self._queue:
            if self._closed:
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()
        return self._queue.popleft()

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> KernelEvent:
        return await self.get()

    def close(self) -> None:
        """Stop receiving; iteration ends after the events already queued."""
        self._closed = True
        self._wakeup.set()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


class EventHub:
    """The subscribers of one kernel's events: callbacks and :class:`EventStream` readers.

    :class:`~kernelhub.manager.KernelManager` is one, so ``manager.on_event(callback)`` and
    ``async with manager.events() as events`` work directly.
    """

    kernel_id: str

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def on_event(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event)`` for every event; returns a function that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def events(self, maxsize: int = 1000) -> EventStream:
        """An async iterator of the events from now on; close it (or ``async with``)."""
        stream = EventStream(maxsize=maxsize)
        stream._unsubscribe = self.on_event(stream.push)
        return stream

    def publish(
        self,
        kind: EventKind,
        *,
        reason: str | None = None,
        exit_code: int | None = None,
        restarts: int = 0,
    ) -> KernelEvent:
        """Deliver an event to every subscriber; a failing listener is logged and skipped."""
        event = KernelEvent(kind, self.kernel_id, reason, exit_code, restarts, time.time())
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("kernel event listener %r failed", listener)
        return event

    def unsubscribe_all(self) -> None:
        """Drop every subscriber."""
        self._listeners.clear()
