"""Checks on the Jupyter runtime directory: its permissions, and connection files left behind.

A connection file is dead when no live process names it (:mod:`kernelhub.doctor.processes`).
Files younger than the context's ``min_age`` are never called dead, because a kernel manager
writes the file a moment before it starts the kernel.
"""

from __future__ import annotations

import os
import stat
import time

from kernelhub.connection import read_connection_file
from kernelhub.doctor.model import Context, Finding, Fix
from kernelhub.doctor.processes import command_lines, in_use
from kernelhub.errors import ConnectionFileError

__all__ = ["connection_files", "runtime_dir"]

_DIR_MODE = 0o700
_FILE_MODE = 0o600


def _chmod(path: str, mode: int, wanted: int) -> Fix:
    return Fix(
        "chmod",
        path,
        f"chmod {wanted:04o} {path}",
        before=(f"- mode {mode:04o}",),
        after=(f"+ mode {wanted:04o}",),
        mode=wanted,
    )


def _owner_finding(code: str, path: str, st: os.stat_result, what: str) -> Finding:
    return Finding(
        code,
        "error",
        path,
        f"{what} {path} belongs to user id {st.st_uid}, not to you ({os.getuid()}): "
        "whoever owns it can read or replace your kernels' keys",
        hint="move it away and let Jupyter recreate it, or set JUPYTER_RUNTIME_DIR",
    )


def runtime_dir(ctx: Context) -> list[Finding]:
    """The runtime directory must be the user's and closed to others (0700)."""
    path = ctx.runtime_dir
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return []
    if st.st_uid != os.getuid():
        return [_owner_finding("runtime-dir-owner", path, st, "the runtime directory")]
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o777 == _DIR_MODE:
        return []
    # Keep the sticky bit jupyter_client sets so that /tmp cleaners leave the directory alone.
    wanted = (mode & 0o7000) | _DIR_MODE
    return [
        Finding(
            "runtime-dir-permissions",
            "warning",
            path,
            f"the runtime directory {path} has mode {mode:04o}; expected {_DIR_MODE:04o} "
            "(only you may list and open connection files, which hold kernel keys)",
            fix=_chmod(path, mode, wanted),
        )
    ]


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def _dead(ctx: Context, path: str, age: float) -> Finding:
    try:
        read_connection_file(path)
    except ConnectionFileError as exc:
        # Not something we understand: report it, never delete it.
        return Finding(
            "connection-file-dead",
            "warning",
            path,
            f"{path} is used by no running process and is not a valid connection file ({exc})",
            hint=f"remove it by hand if nothing needs it: rm {path}",
        )
    return Finding(
        "connection-file-dead",
        "warning",
        path,
        f"connection file {path} is used by no running process (last written {_age(age)} "
        "ago): its kernel is gone",
        fix=Fix(
            "remove-connection-file",
            path,
            f"remove {path}",
            before=(f"- {path}",),
            min_age=ctx.min_age,
        ),
    )


def connection_files(ctx: Context) -> list[Finding]:
    """``kernel-*.json`` files: dead ones (no process uses them), and ones others can read."""
    try:
        names = sorted(n for n in os.listdir(ctx.runtime_dir) if _is_connection_name(n))
    except (FileNotFoundError, NotADirectoryError):
        return []
    lines: list[str] | None = None
    now = time.time()
    out = []
    for name in names:
        path = os.path.join(ctx.runtime_dir, name)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            continue  # a kernel shut down meanwhile
        if not stat.S_ISREG(st.st_mode):
            continue
        age = now - st.st_mtime
        if age >= ctx.min_age:
            if lines is None:
                lines = command_lines()
            if not in_use(path, lines):
                out.append(_dead(ctx, path, age))
                continue
        out.extend(_file_mode(path, st))
    return out


def _is_connection_name(name: str) -> bool:
    return name.startswith("kernel-") and name.endswith(".json")


def _file_mode(path: str, st: os.stat_result) -> list[Finding]:
    if st.st_uid != os.getuid():
        return [_owner_finding("connection-file-owner", path, st, "the connection file")]
    mode = stat.S_IMODE(st.st_mode)
    if not mode & 0o077:
        return []
    return [
        Finding(
            "connection-file-permissions",
            "warning",
            path,
            f"connection file {path} has mode {mode:04o}; expected {_FILE_MODE:04o}: "
            "other users can read the kernel's key and run code in it",
            fix=_chmod(path, mode, _FILE_MODE),
        )
    ]
