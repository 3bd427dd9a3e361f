"""What a locator is: a function from the user's setup to candidate environment directories.

Each locator module (``venv``, ``conda``, ``pyenv``, ...) has ``locate(ctx)`` yielding
:class:`Candidate` values. Locators only list places; :mod:`kernelhub.envs.probe` reads what
is inside, and :mod:`kernelhub.envs.discover` merges candidates that are the same directory.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from kernelhub.envs.fs import Scan, describe
from kernelhub.envs.settings import Settings

__all__ = ["RANK", "Candidate", "Context", "Locator", "Subdir", "parents", "subdirs"]

#: How specific a kind is: when several locators find one directory, the highest rank wins
#: (a venv in poetry's cache is "poetry", a venv uv made is "uv").
RANK: dict[str, int] = {
    "system": 0,
    "venv": 10,
    "virtualenv": 20,
    "pyenv": 30,
    "conda": 40,
    "uv": 50,
    "pyenv-virtualenv": 60,
    "poetry": 60,
    "pipenv": 60,
    "hatch": 60,
    "pixi": 60,
}


@dataclass(frozen=True)
class Candidate:
    """A directory that may be an environment, and what the locator knows about it.

    ``kind`` is ``None`` when the directory's own files decide (a plain venv, uv or
    virtualenv). ``strict`` candidates that turn out not to be environments are reported as
    problems (an entry of ``envs/`` should be one); others are dropped silently (a ``.venv``
    checked for in every parent directory). ``version`` and ``executable`` are hints some
    locators know from names (a pyenv version directory, a system interpreter on ``PATH``).
    """

    path: str
    source: str
    kind: str | None = None
    name: str | None = None
    strict: bool = True
    version: str | None = None
    executable: str | None = None
    # The real path when the locator knows it cheaply (a plain subdirectory of a resolved dir).
    real: str | None = None


@dataclass(frozen=True)
class Context:
    """Everything a locator may use: the settings, the working directory and the scan."""

    settings: Settings
    cwd: str
    scan: Scan


Locator = Callable[[Context], Iterator[Candidate]]


def parents(path: str) -> Iterator[str]:
    """``path`` and each of its parent directories, up to the root."""
    current = os.path.abspath(path)
    while True:
        yield current
        parent = os.path.dirname(current)
        if parent == current:
            return
        current = parent


class Subdir(NamedTuple):
    """A subdirectory found by :func:`subdirs`, with its real path."""

    name: str
    path: str
    real: str
    link: bool


def subdirs(ctx: Context, directory: str) -> Iterator[Subdir]:
    """The subdirectories of ``directory``, dot-names and plain files skipped.

    A symlink that leads nowhere (dangling, or a loop) is reported: an environment was
    expected there. Real paths cost one ``realpath`` for the directory, not one per entry
    (``realpath`` is an ``lstat`` per path component): only symlinked entries need their own.
    """
    base: str | None = None
    for entry in ctx.scan.listdir(directory, "environment directories") or ():
        if entry.name.startswith("."):
            continue
        try:
            link = entry.is_symlink()
            if not entry.is_dir():
                if link:
                    ctx.scan.problem(
                        entry.path, "dangling symlink or symlink loop; expected a directory"
                    )
                continue
        except OSError as exc:
            ctx.scan.problem(entry.path, describe(exc, "a directory"))
            continue
        if link:
            real = ctx.scan.realpath(entry.path)
        else:
            if base is None:
                base = ctx.scan.realpath(directory)
            real = base + os.sep + entry.name
        yield Subdir(entry.name, entry.path, real, link)
