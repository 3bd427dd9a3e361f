"""Stopping a kernel: ask, then SIGTERM, then SIGKILL, each wait ending when the process does."""

from __future__ import annotations

import asyncio
import contextlib
import signal

from kernelhub.client.async_client import AsyncKernelClient
from kernelhub.deaths import Death, explain
from kernelhub.launchers.base import KernelProcess

__all__ = ["stop"]


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
) -> Death:
    """Stop ``process``; return how it ended (cause ``"requested"``).

    Unless ``now``: a ``shutdown_request`` on control (through ``client``), then SIGTERM to the
    process group, then SIGKILL, each stage given at most ``wait`` seconds. With ``now``:
    SIGKILL at once. Afterwards the process group gets a SIGTERM, for what the kernel left
    behind (its own children), so that nothing of it outlives the shutdown.
    """
    detail = "shut down on request" + (" (killed at once)" if now else "")
    if process.is_alive() and not now and client is not None:
        # The kernel's reply does not matter, only its exit: wait for that.
        request = asyncio.ensure_future(client.shutdown_request(restart=restart, timeout=wait))
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
