"""Kernel processes we did not spawn: kernels re-attached by a new server after the old one died.

Such a process is not our child, so nothing tells us its exit status: its exit is noticed
through a pidfd (``pidfd_open`` works on any process on Linux >= 5.3; elsewhere it is polled)
and :attr:`AdoptedKernelProcess.returncode` stays ``None`` after it, which the manager reports
as a death with an unknown status. Its output is the log file it has been writing since it was
started (kernels that may outlive us write to ``kernel-<id>.log``, see
:mod:`kernelhub.launchers.local`).

Pids are reused, so a pid alone proves nothing: :func:`identify` records what makes a process
unique (its start time, its command line) and :func:`is_same_process` checks a live pid
against such a record before anyone adopts or signals it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from dataclasses import dataclass

import psutil

from kernelhub.aio import AsyncResource
from kernelhub.launchers._output import FileLog

__all__ = ["AdoptedKernelProcess", "Identity", "identify", "is_same_process"]

log = logging.getLogger("kernelhub")

# Where there is no pidfd, how often an adopted kernel is looked at (it is not our child: there
# is nothing else to wait on).
_POLL_INTERVAL = 1.0
# psutil derives start times from the boot time, which moves by up to a second when the clock
# is stepped; the command line (which names the kernel's unique connection file) does the rest.
_START_TOLERANCE = 1.0


@dataclass(frozen=True)
class Identity:
    """What tells one process from a later one with the same pid: start time and argv."""

    pid: int
    create_time: float
    cmdline: tuple[str, ...]


def identify(pid: int) -> Identity | None:
    """The identity of the live process ``pid`` (``None`` if there is none we may inspect)."""
    try:
        proc = psutil.Process(pid)
        with proc.oneshot():
            if proc.status() == psutil.STATUS_ZOMBIE:
                return None
            return Identity(pid, proc.create_time(), tuple(proc.cmdline()))
    except (psutil.Error, OSError):
        return None


def is_same_process(recorded: Identity, connection_file: str | None = None) -> bool:
    """Whether ``recorded.pid`` is still the very process that was recorded: the same start
    time and the same command line (or, if the kernel rewrote its argv, one that still names
    ``connection_file``). A reused pid is never the same process."""
    now = identify(recorded.pid)
    if now is None or abs(now.create_time - recorded.create_time) > _START_TOLERANCE:
        return False
    if now.cmdline == recorded.cmdline:
        return True
    return connection_file is not None and any(connection_file in arg for arg in now.cmdline)


class AdoptedKernelProcess(AsyncResource):
    """A running kernel that is not our child (see the module docstring).

    Create it from a running event loop after :func:`is_same_process` has said yes. Signals
    go to its process group (kernels we launch lead their own), or through the pidfd to the
    process alone, so that a pid reused after its exit is never signalled.
    """

    def __init__(self, pid: int, *, log_path: str | None = None) -> None:
        self._pid = pid
        self._log = FileLog(log_path) if log_path else None
        self._loop = asyncio.get_running_loop()
        self._exited: asyncio.Future[int] = self._loop.create_future()
        self._pidfd: int | None = None
        self._poller: asyncio.Task[None] | None = None
        try:
            self._pidfd = os.pidfd_open(pid)
        except ProcessLookupError:
            self._finish()
        except (AttributeError, OSError):
            self._poller = self._loop.create_task(self._poll(), name=f"kernelhub-adopted-{pid}")
        else:
            self._loop.add_reader(self._pidfd, self._finish)

    @property
    def pid(self) -> int:
        """The kernel's process id (also its process group id)."""
        return self._pid

    @property
    def returncode(self) -> None:
        """Always ``None``: the exit status of a process that is not our child is unknowable."""
        return None

    @property
    def log_path(self) -> str | None:
        """The kernel's log file, if it has one."""
        return self._log.path if self._log else None

    def is_alive(self) -> bool:
        """Whether the kernel is still running (as far as the exit watcher has seen)."""
        return not self._exited.done()

    async def wait(self) -> int:
        """Wait until the kernel ends. The value means nothing (the status is unknowable: see
        :attr:`returncode`); it is 0 only because the interface wants an int."""
        return await asyncio.shield(self._exited)

    def signal(self, signum: int, *, group: bool = False) -> bool:
        """Send ``signum`` to the kernel's process group, or to the process alone."""
        try:
            if group:
                if not self.is_alive():
                    return False  # once it is gone, its group id may become someone else's
                os.killpg(self._pid, signum)
            elif self._pidfd is not None:
                signal.pidfd_send_signal(self._pidfd, signum)
            elif self.is_alive():
                os.kill(self._pid, signum)
            else:
                return False
        except (ProcessLookupError, PermissionError):
            return False
        return True

    def output(self) -> str:
        """The tail of the kernel's log file (empty if it has none)."""
        return self._log.text() if self._log else ""

    async def output_grew(self) -> None:
        """Its output, if any, goes to a file that cannot be watched: look again later."""
        if self._log is None:
            await asyncio.Future()  # no output, ever
        await asyncio.sleep(_POLL_INTERVAL)

    async def aclose(self) -> None:
        """Stop watching the kernel (it keeps running: it was never ours to kill on close)."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        self._close_pidfd()

    def _finish(self) -> None:
        self._close_pidfd()
        if not self._exited.done():
            self._exited.set_result(0)

    def _close_pidfd(self) -> None:
        if self._pidfd is not None:
            self._loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = None

    async def _poll(self) -> None:
        # Polling is the only way here: a process that is not our child cannot be waited on.
        while True:
            if identify(self._pid) is None:
                self._finish()
                return
            await asyncio.sleep(_POLL_INTERVAL)
