"""conda, mamba and micromamba: installations ("roots"), their ``envs/``, and registered envs.

Sources, in order: the active installation (``CONDA_EXE``, ``MAMBA_ROOT_PREFIX``,
``CONDA_PREFIX``), the usual install locations under the home directory and the system roots,
``~/.conda/environments.txt`` (conda registers every env it creates there), ``envs_dirs`` of
every ``.condarc`` conda reads, and ``CONDA_ENVS_PATH``. A ``conda-meta/`` directory is what
makes a directory a conda environment; the first installation found is ``base``, other
installations are named after their directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from kernelhub.envs.base import Candidate, Context
from kernelhub.envs.layout import env_name
from kernelhub.envs.settings import Settings
from kernelhub.envs.venv import container

__all__ = ["HOME_ROOTS", "condarc_files", "locate", "parse_envs_dirs", "roots"]

#: Install locations under the home directory, as the installers name them.
HOME_ROOTS = (
    "miniconda3",
    "anaconda3",
    "miniforge3",
    "mambaforge",
    "micromamba",
    "miniconda",
    "anaconda",
    os.path.join("opt", "miniconda3"),
    os.path.join("opt", "anaconda3"),
)


def _active_roots(s: Settings) -> list[str]:
    found = []
    if s.conda_exe:
        # <root>/bin/conda, <root>/condabin/conda, <root>\Scripts\conda.exe
        found.append(os.path.dirname(os.path.dirname(s.expand(s.conda_exe))))
    if s.mamba_root_prefix:
        found.append(s.expand(s.mamba_root_prefix))
    if s.conda_prefix:
        prefix = s.expand(s.conda_prefix)
        parent = os.path.dirname(prefix)
        found.append(os.path.dirname(parent) if os.path.basename(parent) == "envs" else prefix)
    return found


def roots(ctx: Context) -> list[str]:
    """The conda installations that exist (a ``conda-meta/`` or ``envs/`` inside), active first."""
    s = ctx.settings
    candidates = _active_roots(s)
    candidates += [os.path.join(s.home, name) for name in HOME_ROOTS]
    candidates.append(os.path.join(s.data_home, "mamba"))
    candidates += s.system.conda_roots
    seen: set[str] = set()
    found = []
    for root in candidates:
        real = ctx.scan.realpath(root)
        if real in seen:
            continue
        seen.add(real)
        if ctx.scan.is_dir(os.path.join(root, "conda-meta")) or ctx.scan.is_dir(
            os.path.join(root, "envs")
        ):
            found.append(root)
    return found


def condarc_files(s: Settings, root_dirs: list[str]) -> list[str]:
    """Every ``.condarc`` conda reads, in conda's order (system, root, user, env, ``CONDARC``)."""
    files = list(s.system.condarc_files)
    for root in root_dirs:
        files += [os.path.join(root, ".condarc"), os.path.join(root, "condarc")]
    conda_config = os.path.join(s.config_home, "conda")
    files += [
        os.path.join(conda_config, ".condarc"),
        os.path.join(conda_config, "condarc"),
        os.path.join(s.home, ".conda", ".condarc"),
        os.path.join(s.home, ".conda", "condarc"),
        os.path.join(s.home, ".condarc"),
    ]
    if s.conda_prefix:
        files.append(os.path.join(s.expand(s.conda_prefix), ".condarc"))
    if s.condarc:
        files.append(s.expand(s.condarc))
    return list(dict.fromkeys(files))


def _unquote(value: str) -> str:
    value = value.split(" #", 1)[0].strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def parse_envs_dirs(text: str) -> list[str]:
    """The ``envs_dirs`` (alias ``envs_path``) list of a ``.condarc``, by hand: no YAML here.

    Understands the block form (``envs_dirs:`` then ``- path`` lines, indented or not) and the
    flow form (``envs_dirs: [a, b]``); anything else is ignored.
    """
    dirs: list[str] = []
    in_list = False
    for raw in text.splitlines():
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if in_list:
            if stripped.startswith("- ") or stripped == "-":
                item = _unquote(stripped[1:])
                if item:
                    dirs.append(item)
                continue
            if line[0] in " \t":
                continue
            in_list = False
        key, sep, rest = line.partition(":")
        if sep and key.strip() in ("envs_dirs", "envs_path") and line[0] not in " \t":
            rest = rest.split(" #", 1)[0].strip()
            if rest.startswith("[") and rest.endswith("]"):
                dirs += [_unquote(v) for v in rest[1:-1].split(",") if _unquote(v)]
            elif not rest:
                in_list = True
    return dirs


def _environments_txt(ctx: Context) -> Iterator[Candidate]:
    path = os.path.join(ctx.settings.home, ".conda", "environments.txt")
    text = ctx.scan.read_text(path, "one environment path a line")
    for line in (text or "").splitlines():
        env = line.strip()
        if not env or env.startswith("#"):
            continue
        if ctx.scan.stat(env, watch=True) is None:
            ctx.scan.problem(env, f"listed in {path} but missing; expected a conda environment")
            continue
        yield Candidate(env, "conda:environments.txt", kind="conda", name=env_name(env))


def locate(ctx: Context) -> Iterator[Candidate]:
    """Every conda environment the user's setup points at."""
    s = ctx.settings
    found_roots = roots(ctx)
    for i, root in enumerate(found_roots):
        name = "base" if i == 0 else env_name(root)
        yield Candidate(root, "conda:root", kind="conda", name=name, strict=False)
    if s.conda_prefix:
        prefix = s.expand(s.conda_prefix)
        yield Candidate(prefix, "conda:CONDA_PREFIX", kind="conda", name=env_name(prefix))
    yield from _environments_txt(ctx)
    envs_dirs = [os.path.join(root, "envs") for root in found_roots]
    envs_dirs.append(os.path.join(s.home, ".conda", "envs"))
    for rc in condarc_files(s, found_roots):
        text = ctx.scan.read_text(rc, "conda settings (YAML)")
        if text:
            envs_dirs += [s.expand(d) for d in parse_envs_dirs(text)]
    envs_dirs += [s.expand(d) for d in s.conda_envs_path]
    for directory in dict.fromkeys(envs_dirs):
        yield from container(ctx, directory, "conda:envs_dirs", kind="conda")
