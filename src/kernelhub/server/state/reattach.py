"""Re-attaching, before serving, the kernels a previous server left running.

For each kernel row this server claims (see :meth:`StateStore.claim_orphans`):

- the recorded process still runs (same pid, *and* same start time and argv: pids get reused)
  and answers its heartbeat and a ``kernel_info_request`` within :data:`PROBE_TIMEOUT`: a
  manager is built around it (:class:`~kernelhub.launchers.adopted.AdoptedKernelProcess`), its
  execution state probed (a shell ``kernel_info_request`` answered within
  :data:`STATE_PROBE` means idle; none means it is running code), and the hub adopts it with
  its id, name, working directory and last activity; its sessions are put back;
- it is gone: its row, connection file and log are removed, and so are its sessions (as
  Jupyter Server drops a session whose kernel has vanished: a session without its kernel is a
  dead link); the log line quotes the kernel's last output, which may say why it died;
- its pid now belongs to another process: cleaned up the same way, and that process is left
  alone: only a process proven to be our kernel is ever signalled;
- it is our kernel but does not answer, or its record is unreadable: it is killed (its process
  group), and the reason logged, so that nothing is left running unmanaged;
- a pool kernel (it belongs to nobody): killed and cleaned up; the pool starts fresh ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from datetime import datetime, timezone

from kernelhub.client.async_client import AsyncKernelClient
from kernelhub.connection import ConnectionInfo, remove_connection_file
from kernelhub.errors import KernelhubError, KernelTimeoutError
from kernelhub.launchers import FileLog
from kernelhub.launchers.adopted import AdoptedKernelProcess, identify, is_same_process
from kernelhub.manager.deaths import last_lines
from kernelhub.server.kernels.hub import KernelHub
from kernelhub.server.kernels.served import ServedKernel, StartRequest
from kernelhub.server.kernels.sessions import SessionStore
from kernelhub.server.state.db import KernelRecord, kernel_type_from_json
from kernelhub.server.state.store import StateStore

__all__ = ["PROBE_TIMEOUT", "STATE_PROBE", "reattach"]

log = logging.getLogger("kernelhub.server")

#: How long a re-attached kernel has to answer its heartbeat, then ``kernel_info`` (seconds).
PROBE_TIMEOUT = 5.0
#: How long a shell ``kernel_info_request`` may take before the kernel is taken to be busy.
STATE_PROBE = 1.0
_KILL_WAIT = 5.0


async def reattach(hub: KernelHub, store: StateStore, sessions: SessionStore) -> list[ServedKernel]:
    """Re-attach every kernel this server claims (see the module docstring); return them."""
    records = store.claim_orphans()
    results = await asyncio.gather(*(_one(hub, store, r) for r in records))
    kernels = [k for k in results if k is not None]
    alive = {k.id for k in kernels}
    saved = store.sessions()
    sessions.load(s for s in saved if s.kernel_id in alive)
    for kernel_id in {s.kernel_id for s in saved} - alive:
        dropped = store.forget_sessions(kernel_id)
        log.info("sessions %s removed: their kernel %s is gone", ", ".join(dropped), kernel_id)
    if records:
        log.info(
            "re-attached %d of %d kernels left by an earlier server", len(kernels), len(records)
        )
    return kernels


async def _one(hub: KernelHub, store: StateStore, record: KernelRecord) -> ServedKernel | None:
    identity = record.identity
    ours = identity is not None and is_same_process(identity, record.connection_file)
    if record.pooled:
        if ours:
            await _kill(record, "a pool kernel of a server that is gone")
        _clean(store, record)
        return None
    if not ours:
        _report_gone(record)
        _clean(store, record)
        return None
    assert record.pid is not None
    try:
        kernel_type = kernel_type_from_json(record.kernel_type)
        info = ConnectionInfo.from_dict(record.connection, source=f"state of kernel {record.id}")
    except (KernelhubError, TypeError, ValueError) as exc:
        await _kill(record, f"its record is unreadable ({exc})")
        _clean(store, record)
        return None
    request = StartRequest(
        kernel_type, record.name, record.cwd, record.env, record.launch_params, record.id
    )
    manager = hub.make_manager(request)
    manager.connection_file = record.connection_file
    process = AdoptedKernelProcess(record.pid, log_path=record.log_path)
    try:
        await manager.attach(process, info, timeout=PROBE_TIMEOUT)
    except (KernelhubError, OSError) as exc:
        await process.aclose()
        await manager.aclose()
        await _kill(record, f"it did not answer within {PROBE_TIMEOUT:g} s ({exc})")
        _clean(store, record)
        return None
    kernel = ServedKernel(
        record.id,
        record.name,
        kernel_type,
        manager,
        record.cwd,
        last_activity=datetime.fromtimestamp(record.last_activity, timezone.utc),
        execution_state=await _execution_state(manager.client()),
    )
    await hub.adopt(kernel)
    log.info(
        "kernel %s re-attached (%s, pid %d, %s)",
        kernel.id,
        kernel.name,
        record.pid,
        kernel.execution_state,
    )
    return kernel


async def _execution_state(client: AsyncKernelClient) -> str:
    try:
        async with client:
            await client.kernel_info(timeout=STATE_PROBE)
    except KernelTimeoutError:
        return "busy"  # shell requests wait while code runs; the bridge sees it end on IOPub
    except KernelhubError:
        return "unknown"
    return "idle"


def _report_gone(record: KernelRecord) -> None:
    tail = last_lines(FileLog(record.log_path).text()) if record.log_path else ""
    if record.pid is not None and identify(record.pid) is not None:
        how = f"its pid {record.pid} now belongs to another process, which is left alone"
    else:
        how = "it exited while no server watched it (exit status unknown)"
    log.warning(
        "kernel %s is gone: %s%s", record.id, how, f"; its last output: {tail}" if tail else ""
    )


async def _kill(record: KernelRecord, why: str) -> None:
    """Kill a process proven to be our kernel (its whole process group), bounded."""
    assert record.pid is not None
    process = AdoptedKernelProcess(record.pid, log_path=record.log_path)
    try:
        process.signal(signal.SIGKILL, group=True)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(process.wait(), _KILL_WAIT)
    finally:
        await process.aclose()
    log.warning("kernel %s (pid %d) killed: %s", record.id, record.pid, why)


def _clean(store: StateStore, record: KernelRecord) -> None:
    """Remove the row, the connection file (and ipc sockets) and the log of a gone kernel."""
    store.forget_kernel(record.id)
    info = None
    with contextlib.suppress(KernelhubError, TypeError, ValueError):
        info = ConnectionInfo.from_dict(record.connection)
    with contextlib.suppress(KernelhubError):
        remove_connection_file(record.connection_file, info)
    if record.log_path:
        with contextlib.suppress(OSError):
            os.unlink(record.log_path)
