"""The log files of kernels that may outlive us: where they are, how big, how long they stay.

A kernel started with ``outlive=True`` writes its stdout and stderr to ``kernel-<id>.log`` in
the runtime directory, through a log writer process that keeps the file under
:data:`LOG_LIMIT` bytes (the older part moves to ``kernel-<id>.log.1``; see
:mod:`kernelhub.launchers._logwriter` for why it takes a process). When the kernel is shut
down normally its log is removed; the log of a kernel that died is kept for a post-mortem, and
of those only the newest :data:`KEPT_DEAD_LOGS` stay. A log is "of a dead kernel" when no
connection file ``kernel-<id>.json`` is beside it any more: a running kernel always has one
(it is written before the kernel starts and removed only once it has stopped).
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys

from kernelhub import paths

__all__ = [
    "KEPT_DEAD_LOGS",
    "LOG_LIMIT",
    "log_path",
    "prune",
    "remove",
    "settle",
    "start_writer",
]

#: How big one log file may grow before its older part is moved to ``<log>.1`` (bytes).
LOG_LIMIT = 1024 * 1024
#: How many logs of dead kernels are kept in a runtime directory (the newest).
KEPT_DEAD_LOGS = 20

# Only files named as we name them are ever removed: kernel-<id>.log and kernel-<id>.log.1.
_OURS = re.compile(r"kernel-([A-Za-z0-9._-]+?)\.log(\.1)?")
_WRITER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_logwriter.py")


def log_path(kernel_id: str) -> str:
    """The log file of kernel ``kernel_id`` in the runtime directory."""
    return os.path.join(paths.runtime_dir(), f"kernel-{kernel_id}.log")


def start_writer(path: str, limit: int | None = None) -> tuple[int, subprocess.Popen[bytes]]:
    """Start the log writer of ``path``; return the fd the kernel writes to, and the writer.

    The caller gives the fd to the kernel as its stdout and stderr, then closes it. The writer
    ends by itself once the kernel and whatever it started have closed their copies.
    """
    read_fd, write_fd = os.pipe()
    try:
        writer = subprocess.Popen(
            # -I -S: no site, no user paths, no environment: a few milliseconds to start.
            [sys.executable, "-I", "-S", _WRITER, path, str(limit or LOG_LIMIT)],
            stdin=read_fd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except BaseException:
        os.close(write_fd)
        raise
    finally:
        os.close(read_fd)
    return write_fd, writer


def remove(path: str) -> None:
    """Remove a log and its older part (files already gone are fine)."""
    for name in (path, path + ".1"):
        with contextlib.suppress(OSError):
            os.unlink(name)


def prune(directory: str | None = None, keep: int | None = None) -> list[str]:
    """Remove all but the newest ``keep`` logs of dead kernels in ``directory`` (default:
    the runtime directory); return the paths removed. Logs of running kernels (with their
    connection file beside them) and files not named as kernelhub names its logs are never
    touched."""
    directory = directory or paths.runtime_dir()
    keep = KEPT_DEAD_LOGS if keep is None else keep
    try:
        with os.scandir(directory) as it:
            names = {entry.name: entry for entry in it}
    except OSError:
        return []
    dead: dict[str, float] = {}  # kernel id -> the newest modification of its logs
    for name, entry in names.items():
        match = _OURS.fullmatch(name)
        if match is None or f"kernel-{match.group(1)}.json" in names:
            continue
        try:
            mtime = entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        kernel_id = match.group(1)
        dead[kernel_id] = max(mtime, dead.get(kernel_id, mtime))
    oldest_first = sorted(dead, key=lambda k: (dead[k], k))
    removed: list[str] = []
    for kernel_id in oldest_first[: max(len(oldest_first) - keep, 0)]:
        path = os.path.join(directory, f"kernel-{kernel_id}.log")
        remove(path)
        removed.append(path)
    return removed


def settle(path: str, *, died: bool) -> None:
    """After a shutdown: a kernel that never died leaves no log; one that ever died leaves its
    log for a post-mortem, among a bounded number (:data:`KEPT_DEAD_LOGS`)."""
    if not died:
        remove(path)
    # Also bounds what was left before logs were bounded (or by a kernel dead meanwhile).
    prune(os.path.dirname(path))
