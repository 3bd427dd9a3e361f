"""A kernel's output, kept bounded: the last few KiB are what explain a death."""

from __future__ import annotations

import os

__all__ = ["LIMIT", "FileLog", "RingLog"]

#: How much of a kernel's output is kept (bytes).
LIMIT = 64 * 1024


class RingLog:
    """The last ``limit`` bytes written by a kernel through a pipe."""

    def __init__(self, limit: int = LIMIT) -> None:
        self._limit = limit
        self._data = bytearray()

    def feed(self, chunk: bytes) -> None:
        """Append ``chunk``, dropping the oldest bytes beyond the limit."""
        self._data += chunk
        excess = len(self._data) - self._limit
        if excess > 0:
            del self._data[:excess]

    def text(self) -> str:
        """The kept output, decoded leniently (a cut may split a UTF-8 sequence)."""
        return self._data.decode("utf-8", "replace")


class FileLog:
    """The output of a kernel that may outlive us, written to a file instead of a pipe.

    A pipe to us would break when we die, and the kernel's next write would kill it with
    SIGPIPE. The file's older part may have moved to ``<path>.1`` (see
    :mod:`kernelhub.launchers.logs`); the tail is read across both.
    """

    def __init__(self, path: str, limit: int = LIMIT) -> None:
        self.path = path
        self._limit = limit

    def text(self) -> str:
        """The last ``limit`` bytes the kernel wrote (empty if its log is gone)."""
        data = _tail(self.path, self._limit)
        if len(data) < self._limit:
            data = _tail(self.path + ".1", self._limit - len(data)) + data
        return data.decode("utf-8", "replace")


def _tail(path: str, limit: int) -> bytes:
    try:
        with open(path, "rb") as f:
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - limit))
            return f.read(limit)
    except OSError:
        return b""
