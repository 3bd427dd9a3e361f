"""The log writer of a kernel that may outlive us: its stdout and stderr, bounded, to a file.

Run as a script (``python -I -S _logwriter.py LOG LIMIT``), never imported by kernelhub: it
uses nothing but ``os`` and ``sys`` so that it starts in a few milliseconds. It reads the
kernel's output from stdin (a pipe) until every writer has closed it, and appends it to
``LOG``; when the next chunk would take ``LOG`` past ``LIMIT`` bytes, ``LOG`` becomes
``LOG.1`` (replacing the previous one) and a fresh ``LOG`` is started, so at most twice
``LIMIT`` is kept: the tail, which is what explains a death.

Why a process between the kernel and its file: a kernel (or what it runs: ``os.system``)
writes to its stdout fd directly, at disk speed (~480 MB/s measured here with
``yes | head -c 200M``), so nothing that looks at the file now and then could bound it; and a
pipe to the kernel's manager would break when the manager dies, which such a kernel must
survive. This process is in a session of its own: signals to the kernel's process group, or
the manager's death, leave it running until the output ends.

It never stops reading: a kernel whose pipe is full blocks. If the log is removed (its kernel
was shut down) the rest is read and dropped; if writing fails (a full disk), that chunk is.
"""

from __future__ import annotations

import os
import sys

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)


def _same_file(fd: int, path: str) -> bool | None:
    """Whether ``path`` is still the file open as ``fd`` (``None``: nothing is at ``path``)."""
    try:
        here = os.stat(path)
    except OSError:
        return None
    mine = os.fstat(fd)
    return (here.st_ino, here.st_dev) == (mine.st_ino, mine.st_dev)


def _rotate(fd: int, path: str) -> int | None:
    """Start a fresh log; return its fd (``None``: the log was removed, stop writing)."""
    same = _same_file(fd, path)
    if same is None:
        os.close(fd)
        return None
    if same:
        os.replace(path, path + ".1")
    # Not ours any more: another writer (a restarted kernel's) rotated it; append to theirs.
    new = os.open(path, _FLAGS, 0o600)
    os.close(fd)
    return new


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def main(argv: list[str]) -> int:
    """Copy stdin to the log named in ``argv`` (see the module docstring)."""
    path, limit = argv[1], int(argv[2])
    fd: int | None = os.open(path, _FLAGS, 0o600)
    size = os.fstat(fd).st_size if fd is not None else 0
    while True:
        try:
            chunk = os.read(0, 65536)
        except InterruptedError:  # pragma: no cover - PEP 475 retries; kept for safety
            continue
        except OSError:
            return 0
        if not chunk:
            return 0
        if fd is None:
            continue
        try:
            if size > 0 and size + len(chunk) > limit:
                fd = _rotate(fd, path)
                if fd is None:
                    continue
                size = os.fstat(fd).st_size
            _write_all(fd, chunk)
            size += len(chunk)
        except OSError:
            continue  # a full disk, a file made read-only: drop this chunk, keep draining


if __name__ == "__main__":
    sys.exit(main(sys.argv))
