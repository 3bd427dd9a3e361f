"""uv: the Python interpreters uv manages. (Venvs uv made are found where they live, by the
other locators, and told apart by the ``uv = x.y`` line uv writes into their ``pyvenv.cfg``.)
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from kernelhub.envs.base import Candidate, Context, subdirs
from kernelhub.envs.layout import safe_name
from kernelhub.envs.settings import Settings

__all__ = ["locate", "python_dir"]


def python_dir(s: Settings) -> str:
    """``$UV_PYTHON_INSTALL_DIR``, else ``$XDG_DATA_HOME/uv/python`` (``~/.local/share/...``)."""
    if s.uv_python_install_dir:
        return s.expand(s.uv_python_install_dir)
    return os.path.join(s.data_home, "uv", "python")


def locate(ctx: Context) -> Iterator[Candidate]:
    """Each managed interpreter, e.g. ``cpython-3.12.4-linux-x86_64-gnu``.

    Newer uv also links ``cpython-3.12-...`` to the latest 3.12 patch release; the link and
    its target are one directory and are listed once, under the first name.
    """
    for entry in sorted(subdirs(ctx, python_dir(ctx.settings)), key=lambda e: e.link):
        version = entry.name.split("-")[1] if entry.name.count("-") >= 1 else None
        yield Candidate(
            entry.path,
            "uv:python",
            kind="uv",
            name=safe_name(entry.name),
            version=version,
            real=entry.real,
        )
