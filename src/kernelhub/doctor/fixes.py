"""Carrying out a :class:`~kernelhub.doctor.model.Fix`, after checking its reason still holds.

Time passes between showing a fix and applying it (a person reads and answers): a kernel may
have started on a connection file, a spec may have been repaired. Every action therefore
re-checks its precondition and refuses, naming the path, when it no longer holds.

This module sits below :mod:`.model` (``Fix.apply`` calls :func:`apply`): it names what it
reads of a fix in :class:`Action`, which ``Fix`` satisfies, instead of importing it.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
import time
from typing import Any, Protocol

from kernelhub.doctor.processes import in_use
from kernelhub.errors import ConnectionFileError, KernelhubError, SpecError

__all__ = ["Action", "apply"]


class Action(Protocol):
    """What :func:`apply` reads of a fix (see :class:`~kernelhub.doctor.model.Fix`)."""

    @property
    def action(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def old(self) -> str | None: ...
    @property
    def new(self) -> str | None: ...
    @property
    def mode(self) -> int | None: ...
    @property
    def min_age(self) -> float: ...


def apply(fix: Action) -> str:
    """Apply ``fix``; return one line saying what was done, or raise naming the path."""
    if fix.action == "remove-spec":
        return _remove_spec(fix)
    if fix.action == "rewrite-argv0":
        return _rewrite_argv0(fix)
    if fix.action == "chmod":
        return _chmod(fix)
    if fix.action == "remove-connection-file":
        return _remove_connection_file(fix)
    raise KernelhubError(f"unknown fix action {fix.action!r} for {fix.path}")


def _remove_spec(fix: Action) -> str:
    from kernelhub.specs import SpecRegistry, remove_specs

    assert fix.name is not None
    registry = SpecRegistry()
    entry = registry.entry(fix.name, aliases=False)
    if entry.resource_dir != fix.path or entry.status != "stale":
        raise SpecError(
            f"kernelspec {fix.name!r} at {fix.path} is no longer the stale winner "
            f"(now {entry.status} at {entry.resource_dir}); left alone"
        )
    removed = remove_specs([fix.name], missing_only=True, registry=registry)
    if not removed:
        raise SpecError(f"kernelspec {fix.name!r} at {fix.path} is no longer stale; left alone")
    from kernelhub.specs.install import place

    return f"removed stale kernelspec {fix.name!r} from {place(fix.path)}: {fix.path}"


def _read_json(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as exc:
        raise SpecError(f"{path}: cannot read it again to rewrite argv[0]: {exc}") from None
    if not isinstance(data, dict):
        raise SpecError(f"{path}: expected a JSON object; left alone")
    return data


def _rewrite_argv0(fix: Action) -> str:
    assert fix.old is not None
    assert fix.new is not None
    path = fix.path
    data = _read_json(path)
    argv = data.get("argv")
    if not isinstance(argv, list) or not argv or argv[0] != fix.old:
        got = argv[0] if isinstance(argv, list) and argv else argv
        raise SpecError(f"{path}: argv[0] is now {got!r}, not {fix.old!r}; left alone")
    if not (os.path.isfile(fix.new) and os.access(fix.new, os.X_OK)):
        raise SpecError(f"{path}: {fix.new} is no longer an executable file; left alone")
    data["argv"] = [fix.new, *argv[1:]]
    _write_atomically(path, data)
    return f"pinned argv[0] of {fix.name!r} to {fix.new} in {path}"


def _write_atomically(path: str, data: dict[str, Any]) -> None:
    """Replace ``path`` in one step, keeping its mode; a crash leaves the old file or the new."""
    directory = os.path.dirname(path)
    tmp = None
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        fd, tmp = tempfile.mkstemp(prefix=".kernel.json.", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, ensure_ascii=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise SpecError(f"{path}: cannot rewrite it: {exc.strerror or exc}") from None


def _chmod(fix: Action) -> str:
    assert fix.mode is not None
    try:
        st = os.lstat(fix.path)
        if stat.S_ISLNK(st.st_mode):
            raise ConnectionFileError(f"{fix.path} is now a symlink; left alone", path=fix.path)
        if st.st_uid != os.getuid():
            raise ConnectionFileError(f"{fix.path} is not yours; left alone", path=fix.path)
        os.chmod(fix.path, fix.mode)
    except OSError as exc:
        raise ConnectionFileError(
            f"{fix.path}: cannot chmod {fix.mode:04o}: {exc.strerror or exc}", path=fix.path
        ) from None
    return f"chmod {fix.mode:04o} {fix.path}"


def _remove_connection_file(fix: Action) -> str:
    from kernelhub.connection import read_connection_file, remove_connection_file

    path = fix.path
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return f"{path} was already gone"
    except OSError as exc:
        raise ConnectionFileError(f"{path}: cannot look at it: {exc.strerror}", path=path) from None
    if not stat.S_ISREG(st.st_mode):
        raise ConnectionFileError(f"{path} is no longer a regular file; left alone", path=path)
    if time.time() - st.st_mtime < fix.min_age:
        raise ConnectionFileError(f"{path} was just written: a kernel may be starting", path=path)
    # The decisive check, made as late as possible: a live process names the file.
    if in_use(path):
        raise ConnectionFileError(f"{path} is now used by a running process; kept", path=path)
    info = read_connection_file(path)
    remove_connection_file(path, info)
    return f"removed {path}"
