"""pixi: the environments of pixi projects, ``.pixi/envs/<env>`` in the working directory and
its parents. They are conda environments (``conda-meta/``) managed by pixi."""

from __future__ import annotations

import os
from collections.abc import Iterator

from kernelhub.envs.base import Candidate, Context, parents, subdirs
from kernelhub.envs.layout import safe_name

__all__ = ["locate", "project_of"]


def project_of(prefix: str) -> str | None:
    """The project directory of a pixi env prefix (``<project>/.pixi/envs/<env>``), if it is one."""
    envs = os.path.dirname(prefix)
    dot_pixi = os.path.dirname(envs)
    if os.path.basename(envs) == "envs" and os.path.basename(dot_pixi) == ".pixi":
        return os.path.dirname(dot_pixi)
    return None


def locate(ctx: Context) -> Iterator[Candidate]:
    """Every env of every pixi project from the working directory up."""
    for directory in parents(ctx.cwd):
        envs = os.path.join(directory, ".pixi", "envs")
        if not ctx.scan.is_dir(os.path.join(directory, ".pixi")):
            continue
        project = safe_name(os.path.basename(directory) or "pixi")
        for entry in subdirs(ctx, envs):
            name = project if entry.name == "default" else f"{project}-{safe_name(entry.name)}"
            yield Candidate(entry.path, "pixi:project", kind="pixi", name=name, real=entry.real)
