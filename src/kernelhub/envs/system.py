"""System interpreters: ``python3.X`` executables on ``PATH`` and in the system bin dirs that
belong to no environment found by the other locators.

Shim directories (pyenv's, asdf's) hold scripts, not interpreters, and are skipped.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator

from kernelhub.envs.base import Candidate, Context
from kernelhub.envs.layout import WINDOWS

__all__ = ["locate"]

_PYTHON = re.compile(r"^python(?:3(?:\.\d+t?)?)?$")
_SHIM_DIRS = frozenset({"shims"})


def _inside(path: str, prefixes: frozenset[str]) -> bool:
    current = path
    while True:
        parent = os.path.dirname(current)
        if parent == current:
            return False
        if parent in prefixes:
            return True
        current = parent


def _interpreters(ctx: Context, directory: str) -> Iterator[str]:
    entries = ctx.scan.listdir(directory, "executables") or ()
    # python3.11 before python3: the precise name is the better interpreter path to keep.
    for entry in sorted(entries, key=lambda e: (-len(e.name), e.name)):
        name = entry.name.lower()
        if WINDOWS:
            if name == "python.exe":
                yield entry.path
        elif _PYTHON.match(name):
            yield entry.path


def locate(ctx: Context, known_prefixes: frozenset[str]) -> Iterator[Candidate]:
    """One candidate per distinct interpreter (by real path), named ``python3.X``.

    Its prefix is the directory above the interpreter's real ``bin/``, which is what
    ``sys.prefix`` would be; interpreters inside ``known_prefixes`` are skipped.
    """
    dirs = list(ctx.settings.path) + list(ctx.settings.system.bin_dirs)
    seen: set[str] = set()
    for directory in dict.fromkeys(dirs):
        if not os.path.isabs(directory) or os.path.basename(directory.rstrip("/\\")) in _SHIM_DIRS:
            continue
        # An environment's bin/ on PATH (an active venv) holds that environment's interpreter,
        # not a system one, even though it links to one.
        if _inside(os.path.join(ctx.scan.realpath(directory), "python"), known_prefixes):
            continue
        for path in _interpreters(ctx, directory):
            real = ctx.scan.realpath(path)
            if real in seen:
                continue
            seen.add(real)
            st = ctx.scan.stat(real)
            if st is None or not stat.S_ISREG(st.st_mode) or _inside(real, known_prefixes):
                continue
            bindir = os.path.dirname(real)
            prefix = os.path.dirname(bindir) if os.path.basename(bindir) == "bin" else bindir
            base = os.path.basename(real)
            version = base[len("python") :].rstrip("t") if base.startswith("python3.") else None
            name = base if version else os.path.basename(path)
            yield Candidate(
                prefix, "system:PATH", "system", name=name, version=version, executable=path
            )
