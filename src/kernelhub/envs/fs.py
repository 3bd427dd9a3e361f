"""Careful disk access for discovery: every look is remembered, every failure becomes a problem.

A :class:`Scan` is one discovery pass. It never raises for a bad disk: a missing path is an
ordinary answer (``None``), anything else that goes wrong (permission denied, a file where a
directory should be, a symlink loop, binary garbage) is recorded as a
:class:`~kernelhub.envs.model.Problem` and also answered with ``None``. Every path it looked at
is recorded with its stat signature, so that a cached result can later be checked by stat
alone (:func:`still_valid`).
"""

from __future__ import annotations

import errno
import os
import stat as _stat
from collections.abc import Mapping

from kernelhub.envs.model import Problem

__all__ = ["MAX_TEXT", "Scan", "Signature", "describe", "signature", "still_valid"]

#: Text files we read (pyvenv.cfg, environments.txt, .condarc) are small; a bigger one is junk.
MAX_TEXT = 256 * 1024

# mtime, size, inode, link count: a directory gains a link when a subdirectory is created, and
# on tmpfs its size changes with each entry, which catches changes within one mtime tick.
Signature = tuple[int, int, int, int] | None

_OPEN_FLAGS = getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)


def _sig(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_nlink)


def signature(path: str) -> Signature:
    """The stat signature of ``path`` (following symlinks), ``None`` when it cannot be stat'ed."""
    try:
        return _sig(os.stat(path))
    except (OSError, ValueError):
        return None


def still_valid(watches: Mapping[str, Signature]) -> bool:
    """Whether every watched path still has the signature it had when it was looked at."""
    return all(signature(path) == sig for path, sig in watches.items())


def describe(exc: OSError, expected: str) -> str:
    """A short reason for ``exc`` ("symlink loop", "permission denied") and what was expected."""
    if exc.errno == errno.ELOOP:
        return f"symlink loop; expected {expected}"
    if isinstance(exc, NotADirectoryError):
        return f"not a directory; expected {expected}"
    if isinstance(exc, IsADirectoryError):
        return f"a directory; expected {expected}"
    if isinstance(exc, PermissionError):
        return f"permission denied; expected {expected}"
    return f"{exc.strerror or exc}; expected {expected}"


class Scan:
    """One discovery pass's view of the disk (see the module docstring)."""

    def __init__(self) -> None:
        self.watches: dict[str, Signature] = {}
        self.problems: list[Problem] = []
        self._real: dict[str, str] = {}

    def realpath(self, path: str) -> str:
        """``os.path.realpath``, remembering directories already resolved in this scan.

        ``os.path.realpath`` costs an ``lstat`` per path component; environments share
        their parents (``~/miniforge3/envs/``), so with the parents remembered each further
        path costs one ``lstat``.
        """
        cached = self._real.get(path)
        if cached is not None:
            return cached
        parent, name = os.path.split(path)
        if not name or not parent or name in (".", "..") or not os.path.isabs(path):
            result = os.path.realpath(path)
        else:
            real_parent = self.realpath(parent)
            joined = os.path.join(real_parent, name)
            try:
                is_link = _stat.S_ISLNK(os.lstat(joined).st_mode)
            except (OSError, ValueError):
                is_link = False
            # A link (rare) goes to the stdlib, which handles chains and loops.
            result = os.path.realpath(joined) if is_link else joined
        self._real[path] = result
        return result

    def problem(self, path: str, message: str) -> None:
        """Record that ``path`` was skipped, and why."""
        self.problems.append(Problem(path, message))

    def stat(self, path: str, *, watch: bool = True) -> os.stat_result | None:
        """``os.stat`` (following symlinks); ``None`` when missing. Loops become problems."""
        try:
            st = os.stat(path)
        except FileNotFoundError:
            if watch:
                self.watches[path] = None
            return None
        except OSError as exc:
            if watch:
                self.watches[path] = None
            if exc.errno == errno.ELOOP:
                self.problem(path, "symlink loop")
            # ENOTDIR (a file in the middle of the path) is just "not there".
            return None
        if watch:
            self.watches[path] = _sig(st)
        return st

    def is_dir(self, path: str) -> bool:
        """Whether ``path`` is a directory (recorded; a missing path is simply ``False``)."""
        st = self.stat(path)
        return st is not None and _stat.S_ISDIR(st.st_mode)

    def listdir(
        self, path: str, expected: str = "a directory", *, quiet: bool = False
    ) -> list[os.DirEntry[str]] | None:
        """The entries of directory ``path``; ``None`` when it is missing or unreadable.

        ``expected`` says what the directory should hold, for the problem report; ``quiet``
        skips the report (a directory that was only searched, where nothing was expected).
        """
        try:
            # Stat first: a change after this point still shows up as a new signature.
            self.watches[path] = _sig(os.stat(path))
            with os.scandir(path) as it:
                return list(it)
        except FileNotFoundError:
            self.watches[path] = None
            return None
        except OSError as exc:
            self.watches.setdefault(path, None)
            if not quiet:
                self.problem(path, describe(exc, expected))
            return None

    def read_text(self, path: str, expected: str) -> str | None:
        """The text of a small file; ``None`` when missing, unreadable, huge or binary."""
        try:
            # O_NONBLOCK: a FIFO where a file should be must not hang discovery.
            fd = os.open(path, os.O_RDONLY | _OPEN_FLAGS)
        except FileNotFoundError:
            self.watches[path] = None
            return None
        except OSError as exc:
            self.watches[path] = None
            self.problem(path, describe(exc, expected))
            return None
        try:
            st = os.fstat(fd)
            self.watches[path] = _sig(st)
            if not _stat.S_ISREG(st.st_mode):
                what = "a directory" if _stat.S_ISDIR(st.st_mode) else "not a regular file"
                self.problem(path, f"{what}; expected {expected}")
                return None
            # Ask for what is there (one more byte tells a file that grew past the limit):
            # a 256 KiB buffer per small file costs more than the read itself.
            data = os.read(fd, min(st.st_size, MAX_TEXT) + 1)
        except OSError as exc:
            self.problem(path, describe(exc, expected))
            return None
        finally:
            os.close(fd)
        if len(data) > MAX_TEXT or b"\0" in data:
            self.problem(path, f"binary or oversized file; expected {expected}")
            return None
        return data.decode("utf-8", "replace")
