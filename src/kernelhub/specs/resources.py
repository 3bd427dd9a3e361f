"""A spec directory's resources (logos, kernel.js, kernel.css, anything else), read safely."""

from __future__ import annotations

import os
import stat
import time

from kernelhub.errors import NoSuchKernelError, SpecError, close_matches
from kernelhub.specs.reader import stat_key, trusted

__all__ = ["MAX_RESOURCE_BYTES", "clear_cache", "list_resources", "read_resource"]

MAX_RESOURCE_BYTES = 16 << 20

_cache: dict[str, tuple[tuple[int, int, int, int, int], int, tuple[str, ...]]] = {}


def clear_cache() -> None:
    """Forget every resource listing."""
    _cache.clear()


def _inside(root: str, path: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def list_resources(resource_dir: str) -> tuple[str, ...]:
    """The names of the regular files directly in ``resource_dir``, sorted.

    Symlinks count only when they point at a regular file inside the directory. Cached on the
    directory's ``stat``: adding, removing or renaming a file changes it.
    """
    try:
        st = os.stat(resource_dir)
    except OSError:
        return ()
    key = stat_key(st)
    cached = _cache.get(resource_dir)
    if cached is not None and cached[0] == key and trusted(key, cached[1]):
        return cached[2]
    read_at = time.time_ns()
    names: list[str] = []
    root: str | None = None
    try:
        with os.scandir(resource_dir) as it:
            for entry in it:
                try:
                    if entry.is_symlink():
                        if root is None:
                            root = os.path.realpath(resource_dir)
                        if not _inside(root, os.path.realpath(entry.path)):
                            continue
                    if entry.is_file():
                        names.append(entry.name)
                except OSError:
                    continue
    except OSError:
        return ()
    result = tuple(sorted(names))
    _cache[resource_dir] = (key, read_at, result)
    return result


def read_resource(resource_dir: str, filename: str, *, kernel: str = "") -> bytes:
    """The bytes of ``filename`` inside ``resource_dir``.

    Refuses anything that would leave the directory: absolute paths, ``..`` and symlinks
    pointing outside (:class:`SpecError`); an unknown file raises :class:`NoSuchKernelError`
    with close matches among the directory's resources.
    """
    where = f"kernel {kernel!r}" if kernel else resource_dir
    parts = filename.replace("\\", "/").split("/")
    # NUL can be in no file name (os.path would raise ValueError on it).
    bad = "\x00" in filename or os.path.isabs(filename) or ".." in parts or "" in parts[:-1]
    if not filename or bad:
        raise SpecError(
            f"resource {filename!r} of {where}: expected a file name inside {resource_dir}"
        )
    root = os.path.realpath(resource_dir)
    target = os.path.realpath(os.path.join(root, *parts))
    if not _inside(root, target) or target == root:
        raise SpecError(f"resource {filename!r} of {where} points outside {resource_dir}")
    try:
        st = os.stat(target)
    except OSError:
        st = None
    if st is None or not stat.S_ISREG(st.st_mode):
        raise NoSuchKernelError(
            filename,
            close_matches(filename, list_resources(resource_dir)),
            what=f"resource of {where}",
        )
    if st.st_size > MAX_RESOURCE_BYTES:
        raise SpecError(
            f"resource {filename!r} of {where} is {st.st_size} bytes; "
            f"expected at most {MAX_RESOURCE_BYTES}"
        )
    fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as f:
        return f.read(MAX_RESOURCE_BYTES + 1)
