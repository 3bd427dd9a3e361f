"""What a locator is: a function from the user's setup to candidate environment directories.

Each locator module (``venv``, ``conda``, ``pyenv``, ...) has ``locate(ctx)`` yielding
:class:`Candidate` values. Locators only list places; :mod:`kernelhub.envs.probe` reads what
is inside, and :mod:`kernelhub.envs.discover` merges candidates that are the same directory.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from kernelhub.envs.fs import Scan
from kernelhub.envs.settings import Settings

__all__ = ["RANK", "Candidate", "Context", "Locator", "parents"]

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
