"""poetry: the virtualenvs in poetry's cache, named ``<project>-<hash>-py<X.Y>``."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator

from kernelhub.envs.base import Candidate, Context
from kernelhub.envs.layout import safe_name
from kernelhub.envs.settings import Settings
from kernelhub.envs.venv import container

__all__ = ["display_name", "locate", "virtualenvs_dir"]

_NAME = re.compile(r"^(?P<project>.+)-[A-Za-z0-9_-]{8}-py(?P<xy>\d+\.\d+)$")


def virtualenvs_dir(s: Settings) -> str:
    """``$POETRY_VIRTUALENVS_PATH``, else ``<poetry cache dir>/virtualenvs``."""
    if s.poetry_virtualenvs_path:
        return s.expand(s.poetry_virtualenvs_path)
    if s.poetry_cache_dir:
        cache = s.expand(s.poetry_cache_dir)
    elif sys.platform == "darwin":
        cache = os.path.join(s.home, "Library", "Caches", "pypoetry")
    elif sys.platform == "win32":
        cache = os.path.join(s.cache_home, "pypoetry", "Cache")
    else:
        cache = os.path.join(s.cache_home, "pypoetry")
    return os.path.join(cache, "virtualenvs")


def display_name(path: str) -> str:
    """``myproject-py3.12`` for ``.../myproject-AbCd12_-py3.12`` (the hash says nothing)."""
    base = os.path.basename(path)
    m = _NAME.match(base)
    return safe_name(f"{m['project']}-py{m['xy']}" if m else base)


def locate(ctx: Context) -> Iterator[Candidate]:
    """Every environment in poetry's virtualenvs directory."""
    yield from container(
        ctx, virtualenvs_dir(ctx.settings), "poetry:virtualenvs", "poetry", display_name
    )
