"""From kernel type to a ready kernel: ports, connection file, process, first reply.

One attempt writes the connection file the port strategy calls for (:mod:`kernelhub.manager.ports`),
launches the process, learns the real ports, connects a client and waits for the first
``kernel_info_reply``, while watching the process: a kernel that dies meanwhile ends the wait
at once.

Ports we chose can be taken by another process between our choice and the kernel's bind. The
kernel then either dies, or (ipykernel and the kernels built on it, which bind IOPub and the
heartbeat in threads of their own) lives on with a dead thread and never answers there. So
for chosen ports the wait also ends as soon as "Address already in use" shows in the kernel's
output; the kernel is then killed and started again on fresh ports. Readiness on chosen ports
also waits a moment (:data:`HEARTBEAT_GRACE`) for one heartbeat answer, which gives a dying
heartbeat thread's traceback the time to show; a kernel with no heartbeat at all is still
accepted after that moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import weakref
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

from kernelhub.aio import Deadline
from kernelhub.client.async_client import AsyncKernelClient
from kernelhub.connection import ConnectionInfo, remove_connection_file, write_connection_file
from kernelhub.errors import ConnectionFileError, KernelDiedError, KernelTimeoutError
from kernelhub.launchers import logs
from kernelhub.launchers.base import KernelProcess, Launcher, LaunchRequest
from kernelhub.manager import ports
from kernelhub.manager.deaths import explain, last_lines
from kernelhub.manager.handshake import Registrar

__all__ = ["ADDRESS_RETRIES", "START_CONCURRENCY", "Started", "connect", "start"]

T = TypeVar("T")
log = logging.getLogger("kernelhub")

#: How many times a kernel that found its ports taken is started again on new ones.
ADDRESS_RETRIES = 4

#: How many kernels of one event loop may be starting at the same time. Starting is CPU-bound
#: (ipykernel: ~0.4 s of imports and set-up); thirty starts at once share the cores with
#: constant switching and cache misses (each costs ~30 % more CPU), and the first kernel is
#: ready only when nearly all are. One per core finishes soonest, all of them and each one
#: (30 ipykernels on 2 cores, medians of interleaved runs: 2 slots per core 6.3 s, 3 6.5 s,
#: 4 6.9 s; 1 per core ~9 % sooner than 2; see ``bench/run.py launch``).
START_CONCURRENCY = os.cpu_count() or 1

#: How long a ready kernel on chosen ports is given to answer its first heartbeat.
HEARTBEAT_GRACE = 2.0

_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _start_slots() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    slots = _slots.get(loop)
    if slots is None:
        slots = _slots[loop] = asyncio.Semaphore(START_CONCURRENCY)
    return slots


@dataclass(frozen=True)
class Started:
    """A ready kernel: its process, its final connection info, a connected client."""

    process: KernelProcess
    info: ConnectionInfo
    client: AsyncKernelClient
    kernel_info: dict[str, Any]


async def _port_taken(process: KernelProcess) -> None:
    """Return once the kernel's output says that one of its ports was taken."""
    while not ports.address_in_use(process.output()):
        await process.output_grew()


async def _unless_lost(aw: Awaitable[T], process: KernelProcess, *, chosen: bool) -> T | None:
    """``await aw``, or ``None`` as soon as the process dies or (``chosen`` ports) loses one."""
    task = asyncio.ensure_future(aw)
    watchers: set[asyncio.Future[Any]] = {asyncio.ensure_future(process.wait())}
    if chosen:
        watchers.add(asyncio.ensure_future(_port_taken(process)))
    try:
        await asyncio.wait({task, *watchers}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in (task, *watchers):
            if not pending.done():
                pending.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await pending
    if task.done() and not task.cancelled():
        return task.result()
    return None


def _fresh(info: ConnectionInfo, strategy: ports.PortStrategy) -> ConnectionInfo:
    if strategy == "chosen":
        shell, iopub, stdin, control, hb = ports.choose_ports(info.ip)
        return info.with_ports(shell=shell, iopub=iopub, stdin=stdin, control=control, hb=hb)
    return info.with_ports(shell=0, iopub=0, stdin=0, control=0, hb=0)


async def start(
    request: LaunchRequest,
    launcher: Launcher,
    info: ConnectionInfo,
    *,
    timeout: float,
    registrar: Registrar | None = None,
) -> Started:
    """Start the kernel and wait until it is ready (see the module docstring).

    ``info`` carries the key, transport and ip, and the ports to reuse (a restart keeps
    them when it can; zeros mean "choose"). Raises KernelDiedError with the reason of the
    death, KernelTimeoutError, or LaunchError; a start that fails leaves no connection file.
    """
    deadline = Deadline(timeout)
    slots = _start_slots()
    try:
        try:
            await asyncio.wait_for(slots.acquire(), timeout)
        except asyncio.TimeoutError:
            raise KernelTimeoutError(
                f"kernel {request.kernel_id} waited {timeout:g} s for one of the "
                f"{START_CONCURRENCY} start slots"
            ) from None
        try:
            return await _start(request, launcher, info, deadline, registrar)
        finally:
            slots.release()
    except BaseException:
        # Whatever ended the start (death, timeout, lost ports, a bad program, a
        # cancellation), no kernel reads this file any more: a client finding it would
        # wait for a kernel that is not there.
        with contextlib.suppress(OSError, LookupError, ConnectionFileError):
            remove_connection_file(request.connection_file, info)
        if request.outlive:  # its log, if it wrote one, is a dead kernel's now
            logs.prune(os.path.dirname(request.connection_file))
        raise


async def _start(
    request: LaunchRequest,
    launcher: Launcher,
    info: ConnectionInfo,
    deadline: Deadline,
    registrar: Registrar | None,
) -> Started:
    strategy = ports.strategy_for(request.kernel_type)
    if strategy == "handshake" and registrar is None:
        strategy = "chosen"
    if strategy == "chosen" and not info.complete:
        info = _fresh(info, strategy)
    for attempt in range(ADDRESS_RETRIES + 1):
        process, started = await _attempt(
            request, launcher, info=info, strategy=strategy, deadline=deadline, registrar=registrar
        )
        if started is not None:
            return started
        if process.is_alive():  # alive, but it lost a port: it will never be whole
            process.signal(signal.SIGKILL, group=True)
            await _bounded(process.wait(), deadline, process, request.connection_file)
        output = process.output()
        death = explain(process.returncode, output)
        await process.aclose()
        if attempt < ADDRESS_RETRIES and ports.address_in_use(output):
            log.info("kernel %s found a port taken; starting it on new ports", request.kernel_id)
            info = _fresh(info, strategy)
            continue
        raise KernelDiedError(death.reason, death.exit_code)
    raise AssertionError("unreachable")  # pragma: no cover


async def _attempt(
    request: LaunchRequest,
    launcher: Launcher,
    *,
    info: ConnectionInfo,
    strategy: ports.PortStrategy,
    deadline: Deadline,
    registrar: Registrar | None,
) -> tuple[KernelProcess, Started | None]:
    """One launch. ``(process, None)``: it died or lost a port before it was ready."""
    path = request.connection_file
    chosen = strategy == "chosen"
    registration = None
    if strategy == "handshake":
        assert registrar is not None
        registration = registrar.expect(request.kernel_id, info)
        write_connection_file(registrar.connection_info(info, request.kernel_id), path)
    else:
        write_connection_file(info, path)
    process = await launcher.launch(request)
    stack = contextlib.AsyncExitStack()
    try:
        if registration is not None:
            found = await _bounded(
                _unless_lost(registration, process, chosen=False), deadline, process, path
            )
            if found is None:
                return process, None
            info = info.with_ports(**found)
            write_connection_file(info, path)
        elif not info.complete:
            rewritten = await _bounded(
                ports.wait_for_ports(path, process, _left(deadline)),
                deadline,
                process,
                path,
            )
            if rewritten is None:
                return process, None
            info = rewritten
        client = await stack.enter_async_context(AsyncKernelClient(info))
        reply = await _bounded(
            _unless_lost(_ready(client, deadline, chosen), process, chosen=chosen),
            deadline,
            process,
            path,
        )
        if reply is None:
            await stack.aclose()
            return process, None
        stack.pop_all()  # the client is the caller's now
        return process, Started(process, info, client, reply)
    except BaseException:
        if registration is not None:
            registration.cancel()
        await stack.aclose()
        # A kernel that never became ready is nobody's, even one meant to outlive us (a
        # process's aclose spares those): left running, nothing would ever stop it.
        process.signal(signal.SIGKILL, group=True)
        await process.aclose()
        raise


async def _ready(client: AsyncKernelClient, deadline: Deadline, heartbeat: bool) -> dict[str, Any]:
    """The first ``kernel_info_reply``; with ``heartbeat``, also a heartbeat answer, waited
    for a short while only: a kernel that lost its heartbeat port says so in its output (the
    caller watches it), and one that has no heartbeat at all still works without it."""
    reply = await client.wait_for_ready(_left(deadline))
    if heartbeat and not await client.heartbeat(deadline.within(HEARTBEAT_GRACE)):
        log.warning(
            "kernel answered kernel_info but not its heartbeat within %g s; "
            "it is used without a heartbeat check",
            HEARTBEAT_GRACE,
        )
    return reply


def _left(deadline: Deadline) -> float:
    left = deadline.remaining()
    assert left is not None  # a start always has a bound
    return left


async def _bounded(aw: Awaitable[T], deadline: Deadline, process: KernelProcess, path: str) -> T:
    try:
        return await asyncio.wait_for(aw, _left(deadline) + 0.05)
    except (asyncio.TimeoutError, KernelTimeoutError):
        tail = last_lines(process.output())
        raise KernelTimeoutError(
            f"kernel (pid {process.pid}, connection file {path}) was not ready in time"
            + (f"; its last output: {tail}" if tail else "")
        ) from None


async def connect(
    info: ConnectionInfo, kernel_id: str, timeout: float
) -> tuple[AsyncKernelClient, dict[str, Any]]:
    """A client of a kernel that runs already (started by someone else), once it has answered
    its heartbeat and a ``kernel_info_request`` on control (answered even while it runs code)
    within ``timeout`` each; with that reply's content. Raises KernelTimeoutError."""
    async with contextlib.AsyncExitStack() as stack:
        client = await stack.enter_async_context(AsyncKernelClient(info))
        if not await client.heartbeat(timeout):
            raise KernelTimeoutError(f"kernel {kernel_id}: no heartbeat in {timeout:g} s")
        reply = await client.request("control", "kernel_info_request", {}, timeout=timeout)
        stack.pop_all()  # it answered: the client is the caller's from now on
    return client, dict(reply.content)
