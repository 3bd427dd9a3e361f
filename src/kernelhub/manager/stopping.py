"""Stopping a kernel: ask, then SIGTERM, then SIGKILL, each wait ending when the process does.

A graceful stop takes as long as the kernel needs to exit after it has agreed to: ipykernel
7 replies to ``shutdown_request`` within ~6 ms and exits 150-200 ms later (IPython's atexit
work, ~45 ms including a full ``gc.collect()``, then the interpreter's finalisation of ~1M
objects). A SIGTERM after the reply would end it in ~18 ms, but ipykernel has no SIGTERM
handler: the user's atexit handlers, unflushed files and the history session would be lost.
So the grace period is the kernel's; we only make sure to notice its exit the instant it
happens (pidfd, no polling).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import signal
from collections.abc import Awaitable, Callable

from kernelhub.client.async_client import AsyncKernelClient
from kernelhub.launchers.base import KernelProcess
from kernelhub.manager.deaths import Death, explain

__all__ = ["stop", "until_acknowledged"]


def _answered(acknowledged: asyncio.Event, request: asyncio.Future[object]) -> None:
    if not request.cancelled() and request.exception() is None and request.result() is not None:
        acknowledged.set()


async def _wait_exit(process: KernelProcess, wait: float) -> None:
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(process.wait(), wait)


async def stop(
    process: KernelProcess,
    client: AsyncKernelClient | None,
    *,
    now: bool = False,
    restart: bool = False,
    wait: float = 5.0,
    acknowledged: asyncio.Event | None = None,
) -> Death:
    """Stop ``process``; return how it ended (cause ``"requested"``).

    Unless ``now``: a ``shutdown_request`` on control (through ``client``), then SIGTERM to the
    process group, then SIGKILL, each stage given at most ``wait`` seconds. With ``now``:
    SIGKILL at once. Afterwards the process group gets a SIGTERM, for what the kernel left
    behind (its own children), so that nothing of it outlives the shutdown. ``acknowledged``
    is set the moment the kernel answers the shutdown request.
    """
    detail = "shut down on request" + (" (killed at once)" if now else "")
    if process.is_alive() and not now and client is not None:
        # The kernel's reply does not matter, only its exit: wait for that.
        request = asyncio.ensure_future(client.shutdown_request(restart=restart, timeout=wait))
        if acknowledged is not None:
            request.add_done_callback(functools.partial(_answered, acknowledged))
        await _wait_exit(process, wait)
        request.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await request
    stages = (
        (signal.SIGTERM, "it did not exit after the shutdown request"),
        (signal.SIGKILL, "it ignored SIGTERM"),
    )
    for signum, why in stages:
        if not process.is_alive() or (now and signum == signal.SIGTERM):
            continue
        process.signal(signum, group=True)
        await _wait_exit(process, wait)
        if not now:
            detail = f"shut down on request (sent {signum.name}: {why} within {wait:g} s)"
    process.signal(signal.SIGTERM, group=True)
    return explain(process.returncode, process.output(), cause="requested", detail=detail)


async def until_acknowledged(
    shutdown: Callable[[asyncio.Event], Awaitable[None]], name: str
) -> asyncio.Task[None]:
    """Run ``shutdown(acknowledged)`` in a task; return the task once ``acknowledged`` is set
    (the kernel answered its shutdown request) or the task is done, whichever comes first."""
    acknowledged = asyncio.Event()

    async def run() -> None:
        await shutdown(acknowledged)

    task = asyncio.get_running_loop().create_task(run(), name=name)
    answered = asyncio.ensure_future(acknowledged.wait())
    try:
        await asyncio.wait({task, answered}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        task.cancel()  # as awaiting the shutdown itself would have
        raise
    finally:
        answered.cancel()
    return task
