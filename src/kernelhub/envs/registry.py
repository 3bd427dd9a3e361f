"""kernelhub's own list of environments: every prefix it was told about or has seen.

Like conda's ``environments.txt``: one prefix a line, in the Jupyter data directory
(:data:`FILE_NAME`). ``kernelhub install --env X`` adds X (:func:`remember`), and discovery
adds the project environments it finds from the working directory (``.venv`` in a parent, the
active ``VIRTUAL_ENV``), so that they are listed again wherever kernelhub runs next.

Entries are only added by kernelhub, never dropped behind the user's back: an entry whose
directory is gone is reported by discovery (a problem naming the file), and stays until the
user removes it (:func:`forget`, ``kernelhub envs --forget PREFIX``, or an editor). Writes
are atomic (a temporary file renamed over the old one) and serialized between processes by a
lock file, so that two processes adding at once both land.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator

from kernelhub.envs.base import Candidate, Context
from kernelhub.envs.layout import env_name
from kernelhub.envs.settings import FILE_NAME, registry_file
from kernelhub.errors import EnvError

__all__ = ["FILE_NAME", "forget", "locate", "read_entries", "registry_file", "remember"]

SOURCE = "kernelhub:registry"
_HEADER = (
    "# Python environments kernelhub knows of, one prefix a line. kernelhub only adds lines;\n"
    "# remove one with `kernelhub envs --forget PREFIX` or by hand.\n"
)
_EXPECTED = "one environment prefix a line"

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the rename alone keeps the file whole
    fcntl = None  # type: ignore[assignment]


def parse(text: str) -> list[str]:
    """The prefixes of a registry file's text (blank lines and ``#`` comments skipped)."""
    out = []
    for line in text.splitlines():
        entry = line.strip()
        if entry and not entry.startswith("#"):
            out.append(entry)
    return list(dict.fromkeys(out))


def read_entries(path: str | None = None) -> list[str]:
    """The prefixes registered in ``path`` (default: :func:`registry_file`), in file order.

    Raises :class:`~kernelhub.errors.EnvError` naming the file when it exists but cannot be
    read.
    """
    path = path or registry_file()
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return parse(f.read(1024 * 1024))
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise EnvError(f"cannot read {path}: {exc.strerror or exc}; expected {_EXPECTED}") from exc


@contextlib.contextmanager
def _locked(path: str, wait: bool) -> Iterator[bool]:
    """Hold the registry's lock file; yields ``False`` when ``wait`` is false and it is busy."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fd = os.open(path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
        yield True
    finally:
        os.close(fd)  # closing releases the lock


def _update(path: str, change: Callable[[list[str]], list[str]], wait: bool) -> bool:
    try:
        with _locked(path, wait) as held:
            if not held:
                return False
            current = read_entries(path)
            new = change(current)
            if new == current:
                return False
            tmp = f"{path}.{os.getpid()}-{threading.get_ident()}.tmp"
            try:
                with open(tmp, "w", encoding="utf-8") as f:
                    f.write(_HEADER + "".join(f"{p}\n" for p in new))
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
            return True
    except OSError as exc:
        raise EnvError(f"cannot update {path}: {exc.strerror or exc}") from exc


def remember(
    *prefixes: str, path: str | None = None, wait: bool = True, strict: bool = True
) -> list[str]:
    """Add environment ``prefixes`` to the registry; return the ones that were new.

    Each is stored as its real path. ``wait=False`` gives up (adding nothing) when another
    process holds the lock. Raises :class:`~kernelhub.errors.EnvError` naming the file when it
    cannot be written, unless ``strict`` is false (then nothing is added): for callers to whom
    the registry is only a convenience, such as ``kernelhub install --env``.
    """
    path = path or registry_file()
    wanted = list(dict.fromkeys(os.path.realpath(p) for p in prefixes))
    added: list[str] = []

    def change(current: list[str]) -> list[str]:
        added[:] = [p for p in wanted if p not in current]
        return current + added

    try:
        if not _update(path, change, wait):
            return []
    except EnvError:
        if strict:
            raise
        return []
    return added


def forget(prefix: str, *, path: str | None = None) -> bool:
    """Remove ``prefix`` (as written, or its real path) from the registry; ``True`` if it was
    there. Raises :class:`~kernelhub.errors.EnvError` when the file cannot be written."""
    path = path or registry_file()
    names = {prefix, os.path.abspath(prefix), os.path.realpath(prefix)}
    return _update(path, lambda current: [p for p in current if p not in names], True)


def locate(ctx: Context) -> Iterator[Candidate]:
    """Every registered prefix; a missing one is a problem (it stays in the file)."""
    path = ctx.settings.registry
    if not path:
        return
    text = ctx.scan.read_text(path, _EXPECTED)
    for entry in parse(text or ""):
        if not os.path.isabs(entry):
            ctx.scan.problem(entry, f"in {path}: not an absolute path; expected {_EXPECTED}")
        elif ctx.scan.stat(entry) is None:
            ctx.scan.problem(
                entry,
                f"registered in {path} but missing; kept there until you remove it "
                f"(kernelhub envs --forget {entry})",
            )
        else:
            yield Candidate(entry, SOURCE, name=env_name(entry))
