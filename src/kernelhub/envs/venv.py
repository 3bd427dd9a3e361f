"""venv and virtualenv: the active ``VIRTUAL_ENV``, project ``.venv``s, virtualenvwrapper.

A venv is a directory with a ``pyvenv.cfg``; its own files say whether venv, virtualenv or uv
made it, so candidates here carry no kind.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from kernelhub.envs.base import Candidate, Context, parents, subdirs
from kernelhub.envs.layout import env_name

__all__ = ["PROJECT_DIRS", "container", "locate", "project_envs"]

#: Directory names looked for in the working directory and each of its parents.
PROJECT_DIRS = (".venv", "venv")


def project_envs(ctx: Context) -> Iterator[Candidate]:
    """``.venv``/``venv`` in the working directory and its parents (poetry, uv, pipenv and
    hatch projects keep theirs there too)."""
    for directory in parents(ctx.cwd):
        for name in PROJECT_DIRS:
            path = os.path.join(directory, name)
            if ctx.scan.stat(os.path.join(path, "pyvenv.cfg")) is not None:
                yield Candidate(path, "venv:project", name=env_name(path), strict=False)


def container(
    ctx: Context,
    directory: str,
    source: str,
    kind: str | None = None,
    namer: Callable[[str], str] = env_name,
) -> Iterator[Candidate]:
    """Every subdirectory of ``directory`` as a candidate, named by ``namer(path)``."""
    for entry in subdirs(ctx, directory):
        yield Candidate(entry.path, source, kind=kind, name=namer(entry.path), real=entry.real)


def locate(ctx: Context) -> Iterator[Candidate]:
    """The active venv, project venvs, and virtualenvwrapper's ``WORKON_HOME``."""
    s = ctx.settings
    if s.virtual_env:
        yield Candidate(s.virtual_env, "venv:VIRTUAL_ENV", name=env_name(s.virtual_env))
    yield from project_envs(ctx)
    if s.workon_home:
        yield from container(ctx, s.expand(s.workon_home), "venv:WORKON_HOME")
    else:
        yield from container(ctx, os.path.join(s.home, ".virtualenvs"), "venv:virtualenvwrapper")
