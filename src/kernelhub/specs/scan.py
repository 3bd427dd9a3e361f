"""One pass over the kernel directories: the hot loop behind every listing.

The rules are jupyter_client's: a child of a kernels directory is a spec iff it is a directory
holding a regular file ``kernel.json``; its name lower-cased is the kernel name; the first
directory holding a name wins, even with a broken kernel.json. Each spec costs one ``stat`` per
listing while unchanged: its parsed record and its finished :class:`SpecEntry` are cached on
that ``stat`` (see :mod:`.reader` for the racy-timestamp rule) and on what ``argv[0]`` resolves
to, which is looked up afresh on every listing.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from kernelhub.errors import InvalidSpecError
from kernelhub.specs import native
from kernelhub.specs.model import KernelSpec, Status, is_valid_name
from kernelhub.specs.reader import Child, list_dir, read_spec, trusted
from kernelhub.specs.resolve import Resolver

__all__ = ["SpecEntry", "clear_cache", "scan"]


@dataclass(frozen=True)
class SpecEntry:
    """One kernel name found in one directory, and what became of it.

    ``status`` is ``ok``; ``stale`` (``argv[0]`` can be found neither as a file nor on PATH,
    or it is found but cannot start the kernel: see :meth:`.Resolver.launch_problem`);
    ``invalid`` (``spec`` is ``None`` and ``diagnostics`` say why); or ``shadowed`` (a directory
    earlier on the path holds the same name: ``shadowed_by`` is that spec's directory).
    ``kernel_file`` is the kernel.json, ``None`` for the native kernel. ``executable`` is
    ``argv[0]`` resolved (``None`` when it cannot be found or the spec is invalid).
    """

    name: str
    resource_dir: str
    spec: KernelSpec | None
    status: Status
    diagnostics: tuple[str, ...] = ()
    shadowed_by: str | None = None
    kernel_file: str | None = None
    executable: str | None = None
    error: InvalidSpecError | None = field(default=None, compare=False, repr=False)
    """The parse error of an invalid kernel.json (its ``field`` says which key is at fault)."""


_Record = tuple[
    tuple[int, ...], bool, KernelSpec | InvalidSpecError, str | None, str | None, str | None
]
# kernel_file -> (stat key, trusted, parsed, executable, shadowed_by, launch problem) and the
# entry built.
_cache: dict[str, tuple[_Record, SpecEntry]] = {}
_native_cache: dict[str | None, SpecEntry] = {}


def clear_cache() -> None:
    """Forget every parsed kernel.json and entry."""
    _cache.clear()
    _native_cache.clear()


def _not_a_spec(child: Child, exc: OSError | None) -> SpecEntry | None:
    """An entry for something that looks like a spec directory but is not one, or ``None``."""
    if isinstance(exc, NotADirectoryError):
        return None  # a plain file (or a link to one): not an attempt at a spec
    if exc is None:
        problem = "kernel.json is not a regular file (a directory, FIFO or device?)"
    elif isinstance(exc, FileNotFoundError):
        if os.path.islink(child.path) and not os.path.exists(child.path):
            problem = f"dangling symlink to {os.readlink(child.path)!r}"
        elif os.path.islink(child.kernel_file):
            problem = "kernel.json is a dangling symlink"
        elif child.name.startswith("."):
            return None  # hidden helper directories (checkpoints, install staging)
        else:
            problem = "no kernel.json inside"
    elif exc.errno == errno.ELOOP:
        problem = "symlink loop"
    else:
        problem = f"cannot be read: {exc.strerror or type(exc).__name__}"
    return SpecEntry(
        name=child.key,
        resource_dir=child.path,
        spec=None,
        status="invalid",
        diagnostics=(f"{child.path}: not a kernel directory, ignored: {problem}",),
        kernel_file=child.kernel_file,
    )


def _build(child: Child, record: _Record) -> SpecEntry:
    _, _, spec, executable, shadowed_by, launch_problem = record
    diagnostics: list[str] = []
    status: Status
    if isinstance(spec, InvalidSpecError):
        status = "invalid"
        diagnostics.append(str(spec))
    else:
        status = "ok"
        diagnostics.extend(spec.warnings)
        if executable is None:
            status = "stale"
            diagnostics.append(f"argv[0] {spec.argv[0]!r} is neither an existing file nor on PATH")
        elif launch_problem is not None:
            status = "stale"
            diagnostics.append(launch_problem)
        if not any("{connection_file}" in arg for arg in spec.argv):
            diagnostics.append(
                "argv has no {connection_file}: the kernel is never told which ports to use"
            )
        warned = {w.split("'", 2)[1] for w in spec.warnings}
        if not spec.display_name and "display_name" not in warned:
            diagnostics.append("display_name is missing or empty")
        if not spec.language and "language" not in warned:
            diagnostics.append("language is missing or empty")
    if not is_valid_name(child.name):
        diagnostics.append(
            f"name {child.name!r} breaks the kernel name rule "
            "(ASCII letters, digits, '-', '.', '_'); `kernelhub install` would refuse it"
        )
    if shadowed_by is not None:
        status = "shadowed"
        diagnostics.insert(0, f"shadowed by {shadowed_by}")
    return SpecEntry(
        name=child.key,
        resource_dir=child.path,
        spec=spec if isinstance(spec, KernelSpec) else None,
        status=status,
        diagnostics=tuple(diagnostics),
        shadowed_by=shadowed_by,
        kernel_file=child.kernel_file,
        executable=executable,
        error=spec if isinstance(spec, InvalidSpecError) else None,
    )


def _entry(
    child: Child, st: os.stat_result, resolver: Resolver, shadowed_by: str | None
) -> SpecEntry:
    kernel_file = child.kernel_file
    key = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino, st.st_dev)
    cached = _cache.get(kernel_file)
    if cached is not None and cached[0][1] and cached[0][0] == key:
        record = cached[0]
        spec = record[2]
    else:
        read_at = time.time_ns()
        try:
            key, spec = read_spec(kernel_file, child.key, child.path)
            ok = trusted(key, read_at)
        except OSError as exc:
            # Never trusted: permissions and races can mend without the file changing.
            reason = exc.strerror or type(exc).__name__
            spec = InvalidSpecError(kernel_file, None, f"cannot be read: {reason}")
            ok = False
        record = (key, ok, spec, None, None, None)
        cached = None
    executable = (
        resolver.executable(spec.argv[0], spec.resource_dir)
        if isinstance(spec, KernelSpec)
        else None
    )
    problem = (
        resolver.launch_problem(spec.argv, spec.env, executable)
        if isinstance(spec, KernelSpec) and executable is not None
        else None
    )
    if cached is not None and record[3:] == (executable, shadowed_by, problem):
        return cached[1]
    record = (record[0], record[1], spec, executable, shadowed_by, problem)
    entry = _build(child, record)
    _cache[kernel_file] = (record, entry)
    return entry


def scan(
    dirs: Iterable[str], include_hidden: bool, only: str | None = None
) -> tuple[list[SpecEntry], list[str]]:
    """All entries in display order (by name; the winner, then what it shadows in path order,
    then non-spec look-alikes) and directory-level problems.

    Without ``include_hidden`` only winners are returned (including invalid ones) and nothing
    below a winner is even looked at. ``only`` restricts the scan to one lower-cased name.
    """
    resolver = Resolver()
    winners: dict[str, str] = {}
    ranked: list[tuple[str, int, int, SpecEntry]] = []
    problems: list[str] = []
    os_stat, is_reg = os.stat, stat.S_ISREG
    for directory in dirs:
        try:
            children = list_dir(directory)
        except OSError as exc:
            problems.append(f"cannot list {directory}: {exc.strerror or exc}")
            continue
        for child in children or ():
            key = child.key
            if not child.maybe_dir or (only is not None and key != only):
                continue
            owner = winners.get(key)
            if owner is not None and not include_hidden:
                continue
            try:
                st = os_stat(child.kernel_file)
            except OSError as exc:
                if include_hidden and (odd := _not_a_spec(child, exc)) is not None:
                    ranked.append((key, 2, len(ranked), odd))
                continue
            if not is_reg(st.st_mode):
                if include_hidden and (odd := _not_a_spec(child, None)) is not None:
                    ranked.append((key, 2, len(ranked), odd))
                continue
            if owner is None:
                winners[key] = child.path
            ranked.append(
                (key, 0 if owner is None else 1, len(ranked), _entry(child, st, resolver, owner))
            )
    spec = native.native_spec() if only in (None, native.NATIVE_NAME) else None
    if spec is not None:
        owner = winners.get(spec.name)
        if owner is None or include_hidden:
            ranked.append((spec.name, 0 if owner is None else 1, len(ranked), _native(spec, owner)))
    # Tuples sort in C: by name, rank, then discovery order (path order for shadowed specs).
    ranked.sort()
    entries = [item[3] for item in ranked]
    if include_hidden:
        _mark_hiding(entries)
    return entries, problems


def _mark_hiding(entries: list[SpecEntry]) -> None:
    """Say on an invalid winner that it hides a valid spec (jupyter_client lists neither)."""
    for i, entry in enumerate(entries):
        if entry.status != "invalid" or entry.shadowed_by is not None or entry.spec is not None:
            continue
        for below in entries[i + 1 :]:
            if below.name != entry.name:
                break
            if below.shadowed_by is not None and below.spec is not None:
                diag = f"hides a valid spec of the same name at {below.resource_dir}"
                entries[i] = replace(entry, diagnostics=(*entry.diagnostics, diag))
                break


def _native(spec: KernelSpec, shadowed_by: str | None) -> SpecEntry:
    cached = _native_cache.get(shadowed_by)
    if cached is not None and cached.spec is spec:
        return cached
    entry = _native_entry(spec, shadowed_by)
    _native_cache[shadowed_by] = entry
    return entry


def _native_entry(spec: KernelSpec, shadowed_by: str | None) -> SpecEntry:
    if shadowed_by is None:
        return SpecEntry(spec.name, spec.resource_dir, spec, "ok", executable=spec.argv[0])
    return SpecEntry(
        spec.name,
        spec.resource_dir,
        spec,
        "shadowed",
        (f"shadowed by {shadowed_by}",),
        shadowed_by=shadowed_by,
        executable=spec.argv[0],
    )
