"""Reading kernelspec directories and kernel.json files; the rules for trusting a cache.

Listing is the hot path (a frontend asks for it on every page load), so nothing is read twice
while it is unchanged: a directory's listing is kept here until the directory's ``stat``
changes; parsed kernel.json files are kept by :mod:`.scan` until the file's ``stat`` changes.
The caches are module-level, shared by every registry, one small record per path ever seen.

A cached record is only trusted once its file is older than :data:`RACY_NS` at the time it was
read: file times come from a coarse clock, so a file rewritten twice within one tick with the
same size would otherwise look unchanged (git's "racily clean" problem).
"""

from __future__ import annotations

import json
import os
import stat
import time
from dataclasses import dataclass

from kernelhub.errors import InvalidSpecError
from kernelhub.specs.model import KernelSpec, parse_spec

__all__ = [
    "MAX_SPEC_BYTES",
    "RACY_NS",
    "Child",
    "clear_cache",
    "list_dir",
    "read_spec",
    "stat_key",
    "trusted",
]

MAX_SPEC_BYTES = 1 << 20
RACY_NS = 1_000_000_000

# What identifies one version of a file; ctime too, because mtime can be set back by hand.
_Key = tuple[int, int, int, int, int]


def stat_key(st: os.stat_result) -> _Key:
    """What identifies one version of a file or directory, for the caches."""
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino, st.st_dev)


@dataclass(frozen=True)
class Child:
    """One entry of a kernels directory that may be a spec directory.

    ``maybe_dir`` is False only when ``scandir`` knows it is a regular file or other
    non-directory; such entries cannot hold a kernel.json and are never looked at again.
    """

    name: str
    key: str  # name lower-cased: the kernel name it would register
    path: str
    kernel_file: str
    maybe_dir: bool


_dir_cache: dict[str, tuple[_Key, int, tuple[Child, ...] | OSError]] = {}


def clear_cache() -> None:
    """Forget every directory listing read so far."""
    _dir_cache.clear()


def trusted(key: _Key, read_at: int) -> bool:
    """Whether a record read at ``read_at`` (ns) of a file with ``key`` may be reused."""
    return read_at - key[0] > RACY_NS


def list_dir(directory: str) -> tuple[Child, ...] | None:
    """The children of a kernels directory, sorted by name; ``None`` if it does not exist.

    Raises ``OSError`` when the directory exists but cannot be listed.
    """
    try:
        st = os.stat(directory)
    except (FileNotFoundError, NotADirectoryError):
        _dir_cache.pop(directory, None)
        return None
    if not stat.S_ISDIR(st.st_mode):
        return None
    key = stat_key(st)
    cached = _dir_cache.get(directory)
    if cached is not None and cached[0] == key and trusted(key, cached[1]):
        if isinstance(cached[2], OSError):
            raise cached[2]
        return cached[2]
    read_at = time.time_ns()
    children: list[Child] = []
    try:
        with os.scandir(directory) as it:
            for entry in it:
                try:
                    maybe_dir = entry.is_symlink() or entry.is_dir()
                except OSError:
                    maybe_dir = True
                path = entry.path
                children.append(
                    Child(
                        entry.name,
                        entry.name.lower(),
                        path,
                        os.path.join(path, "kernel.json"),
                        maybe_dir,
                    )
                )
    except OSError as exc:
        _dir_cache[directory] = (key, read_at, exc)
        raise
    children.sort(key=lambda c: c.name)
    result = tuple(children)
    _dir_cache[directory] = (key, read_at, result)
    return result


def _decode(kernel_file: str, raw: bytes) -> object:
    if not raw.strip():
        raise InvalidSpecError(kernel_file, None, "the file is empty; expected a JSON object")
    if raw.startswith(b"\xef\xbb\xbf"):
        raise InvalidSpecError(
            kernel_file,
            None,
            "starts with a UTF-8 byte-order mark; expected plain UTF-8 JSON "
            "(jupyter_client cannot read it either)",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidSpecError(
            kernel_file, None, f"not UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start}"
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidSpecError(
            kernel_file, None, f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise InvalidSpecError(kernel_file, None, "JSON nested too deeply to read") from None


def read_spec(
    kernel_file: str, name: str, resource_dir: str
) -> tuple[_Key, KernelSpec | InvalidSpecError]:
    """Read and parse one kernel.json: its stat key and its spec, or the reason it is invalid.

    Raises ``OSError`` only when the file cannot be opened or read.
    """
    # O_NONBLOCK so that a FIFO swapped in after our stat cannot hang the listing.
    fd = os.open(kernel_file, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        key = stat_key(st)
        if not stat.S_ISREG(st.st_mode):
            return key, InvalidSpecError(kernel_file, None, "is not a regular file")
        if st.st_size > MAX_SPEC_BYTES:
            return key, InvalidSpecError(
                kernel_file,
                None,
                f"is {st.st_size} bytes; kernelhub reads at most {MAX_SPEC_BYTES} bytes (1 MiB)",
            )
        chunks: list[bytes] = []
        remaining = MAX_SPEC_BYTES + 1
        while remaining > 0:
            chunk = os.read(fd, remaining)
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    finally:
        os.close(fd)
    raw = b"".join(chunks)
    if len(raw) > MAX_SPEC_BYTES:
        # It grew between fstat and read.
        return key, InvalidSpecError(
            kernel_file, None, f"is over {MAX_SPEC_BYTES} bytes; kernelhub reads at most 1 MiB"
        )
    try:
        data = _decode(kernel_file, raw)
        # Lenient: only what launching needs makes a spec invalid; the rest is warned about.
        spec = parse_spec(
            data, path=kernel_file, name=name, resource_dir=resource_dir, strict=False
        )
        return key, spec
    except InvalidSpecError as exc:
        return key, exc
