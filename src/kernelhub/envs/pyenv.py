"""pyenv: every installed version under ``$PYENV_ROOT/versions``, and pyenv-virtualenv envs.

pyenv-virtualenv keeps its envs in ``versions/<version>/envs/<name>`` and links
``versions/<name>`` to them; both paths lead to one directory, listed once. A version
directory's name is its Python version (``3.12.4``) or a distribution (``pypy3.10-7.3.12``,
``miniconda3-latest``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from kernelhub.envs.base import Candidate, Context, subdirs
from kernelhub.envs.layout import safe_name
from kernelhub.envs.settings import Settings

__all__ = ["locate", "root"]


def root(s: Settings) -> str:
    """``$PYENV_ROOT``, else ``~/.pyenv``."""
    return s.expand(s.pyenv_root) if s.pyenv_root else os.path.join(s.home, ".pyenv")


def locate(ctx: Context) -> Iterator[Candidate]:
    """Each version, and each pyenv-virtualenv env (kind decided by its ``pyvenv.cfg``)."""
    versions = os.path.join(root(ctx.settings), "versions")
    for entry in subdirs(ctx, versions):
        name = safe_name(entry.name)
        if entry.link:
            # Usually versions/<name> -> versions/<version>/envs/<name> (pyenv-virtualenv): the
            # venv's own pyvenv.cfg turns the "pyenv" kind into "pyenv-virtualenv".
            yield Candidate(entry.path, "pyenv:versions", kind="pyenv", name=name, real=entry.real)
            continue
        yield Candidate(
            entry.path,
            "pyenv:versions",
            kind="pyenv",
            name=name,
            version=entry.name,
            real=entry.real,
        )
        for env in subdirs(ctx, os.path.join(entry.path, "envs")):
            yield Candidate(
                env.path,
                "pyenv:virtualenv",
                kind="pyenv-virtualenv",
                name=safe_name(env.name),
                real=env.real,
            )
