"""pipenv: its virtualenvs, named ``<project>-<hash>``, in ``WORKON_HOME`` or
``~/.local/share/virtualenvs``.

``WORKON_HOME`` is shared with virtualenvwrapper, so there an env counts as pipenv's only when
its name ends in pipenv's 8-character hash and it holds the ``.project`` file pipenv writes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

from kernelhub.envs.base import Candidate, Context, subdirs
from kernelhub.envs.layout import safe_name
from kernelhub.envs.settings import Settings

__all__ = ["display_name", "locate", "virtualenvs_dir"]

_NAME = re.compile(r"^(?P<project>.+)-[A-Za-z0-9_-]{8}$")


def virtualenvs_dir(s: Settings) -> str:
    """``$WORKON_HOME``, else ``$XDG_DATA_HOME/virtualenvs`` (``~/.local/share/virtualenvs``)."""
    if s.workon_home:
        return s.expand(s.workon_home)
    return os.path.join(s.data_home, "virtualenvs")


def display_name(path: str) -> str:
    """``myproject`` for ``.../myproject-AbCd12_x``."""
    base = os.path.basename(path)
    m = _NAME.match(base)
    return safe_name(m["project"] if m else base)


def locate(ctx: Context) -> Iterator[Candidate]:
    """Every pipenv environment."""
    shared = bool(ctx.settings.workon_home)
    for entry in subdirs(ctx, virtualenvs_dir(ctx.settings)):
        if shared and not (
            _NAME.match(entry.name)
            and ctx.scan.stat(os.path.join(entry.path, ".project")) is not None
        ):
            continue
        yield Candidate(
            entry.path,
            "pipenv:virtualenvs",
            kind="pipenv",
            name=display_name(entry.path),
            real=entry.real,
        )
