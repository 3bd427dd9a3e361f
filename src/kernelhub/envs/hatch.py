"""hatch: environments under ``<hatch data dir>/env/virtual``.

Hatch stores them as ``<project>/<hash of the project root>/<env>`` where ``<env>`` is the
project name for the default environment; some setups flatten this to ``<project>/<env>``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

from kernelhub.envs.base import Candidate, Context, subdirs
from kernelhub.envs.layout import safe_name
from kernelhub.envs.settings import Settings

__all__ = ["locate", "virtual_dir"]


def virtual_dir(s: Settings) -> str:
    """``$HATCH_DATA_DIR/env/virtual``, the data dir defaulting to the platform's."""
    if s.hatch_data_dir:
        data = s.expand(s.hatch_data_dir)
    elif sys.platform == "darwin":
        data = os.path.join(s.home, "Library", "Application Support", "hatch")
    else:
        data = os.path.join(s.data_home, "hatch")
    return os.path.join(data, "env", "virtual")


def _name(project: str, env: str) -> str:
    return safe_name(project if env == project else f"{project}-{env}")


def locate(ctx: Context) -> Iterator[Candidate]:
    """Every hatch virtual environment (two or three levels down)."""
    for project in subdirs(ctx, virtual_dir(ctx.settings)):
        for child in subdirs(ctx, project.path):
            if ctx.scan.stat(os.path.join(child.path, "pyvenv.cfg")) is not None:
                yield Candidate(
                    child.path,
                    "hatch:env",
                    "hatch",
                    _name(project.name, child.name),
                    real=child.real,
                )
                continue
            for env in subdirs(ctx, child.path):
                yield Candidate(
                    env.path, "hatch:env", "hatch", _name(project.name, env.name), real=env.real
                )
