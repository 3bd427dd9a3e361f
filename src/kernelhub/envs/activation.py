"""What activating an environment does, without a shell: its variables, its install command.

:func:`activation_env` gives the variables ``source bin/activate`` or ``conda activate``
would leave behind (activate.d scripts of conda packages cannot be replayed without a shell
and are not; ``conda env config vars`` are, from ``conda-meta/state``).
:func:`install_command` gives the exact command that installs packages into the environment.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence

from kernelhub.envs import layout, pixi
from kernelhub.envs.model import Environment
from kernelhub.errors import EnvError

__all__ = [
    "activation_delta",
    "activation_env",
    "conda_like",
    "install_command",
    "made_by_uv",
    "venv_like",
]

_VENV_LIKE = frozenset(
    {"venv", "virtualenv", "uv", "poetry", "pipenv", "hatch", "pyenv-virtualenv"}
)


def _is_venv(env: Environment) -> bool:
    return os.path.isfile(os.path.join(env.prefix, "pyvenv.cfg"))


def venv_like(env: Environment) -> bool:
    """Whether ``env`` is a virtual environment (activated by setting ``VIRTUAL_ENV``)."""
    if env.kind == "uv":  # uv is both: venvs it made, and interpreters it manages
        return _is_venv(env)
    return env.kind in _VENV_LIKE


def conda_like(env: Environment) -> bool:
    """Whether ``env`` is a conda environment (activated by setting ``CONDA_PREFIX``)."""
    return env.kind in ("conda", "pixi") or (
        not venv_like(env) and os.path.isdir(os.path.join(env.prefix, "conda-meta"))
    )


def made_by_uv(env: Environment) -> bool:
    """Whether uv created this venv (its ``pyvenv.cfg`` has a ``uv`` line): it may lack pip."""
    try:
        with open(os.path.join(env.prefix, "pyvenv.cfg"), encoding="utf-8", errors="replace") as f:
            cfg = layout.parse_cfg(f.read(64 * 1024)) or {}
    except OSError:
        return False
    return "uv" in cfg


def _without(path: str, dirs: Sequence[str]) -> list[str]:
    drop = {os.path.normcase(os.path.normpath(d)) for d in dirs}
    return [
        p for p in path.split(os.pathsep) if p and os.path.normcase(os.path.normpath(p)) not in drop
    ]


def _conda_root(prefix: str) -> str:
    parent = os.path.dirname(prefix)
    if os.path.basename(parent) == "envs" and os.path.isdir(
        os.path.join(os.path.dirname(parent), "conda-meta")
    ):
        return os.path.dirname(parent)
    return prefix


def _conda_vars(env: Environment) -> dict[str, str]:
    # `conda env config vars set` stores them here; activation exports them.
    try:
        with open(os.path.join(env.prefix, "conda-meta", "state"), encoding="utf-8") as f:
            state = json.load(f)
    except (OSError, ValueError):
        return {}
    values = state.get("env_vars") if isinstance(state, dict) else None
    if not isinstance(values, dict):
        return {}
    return {str(k): str(v) for k, v in values.items()}


def activation_env(env: Environment, base: Mapping[str, str]) -> dict[str, str]:
    """``base`` (a whole environment, e.g. ``os.environ``) as activating ``env`` would leave it.

    The environment's bin directories go first on ``PATH`` (those of a venv or conda env
    active in ``base`` are removed); ``PYTHONHOME`` is unset; a venv gets ``VIRTUAL_ENV``; a
    conda env gets ``CONDA_PREFIX``, ``CONDA_DEFAULT_ENV``, ``CONDA_SHLVL``,
    ``CONDA_PYTHON_EXE`` and ``CONDA_PROMPT_MODIFIER``; anything else loses a stale
    ``VIRTUAL_ENV`` (pip and uv would otherwise install into the wrong place).
    """
    out = dict(base)
    out.pop("PYTHONHOME", None)
    conda = conda_like(env)
    stale: list[str] = []
    if out.get("VIRTUAL_ENV"):
        stale += layout.bin_dirs(out["VIRTUAL_ENV"], conda_like=False)
    if out.get("CONDA_PREFIX"):
        stale += layout.bin_dirs(out["CONDA_PREFIX"], conda_like=True)
    path = _without(out.get("PATH", ""), stale)
    own = layout.bin_dirs(env.prefix, conda_like=conda)
    out["PATH"] = os.pathsep.join(own + _without(os.pathsep.join(path), own))
    out.pop("VIRTUAL_ENV", None)
    out.pop("VIRTUAL_ENV_PROMPT", None)
    if venv_like(env):
        out["VIRTUAL_ENV"] = env.prefix
        out["VIRTUAL_ENV_PROMPT"] = env.name
    elif conda:
        level = out.get("CONDA_SHLVL", "")
        old_level = int(level) if level.isdigit() else 0
        old_prefix = out.get("CONDA_PREFIX")
        if old_prefix and old_prefix != env.prefix and old_level >= 1:
            out[f"CONDA_PREFIX_{old_level}"] = old_prefix
            out["CONDA_SHLVL"] = str(old_level + 1)
        else:
            out["CONDA_SHLVL"] = str(max(old_level, 1))
        out["CONDA_PREFIX"] = env.prefix
        root = _conda_root(env.prefix)
        # An environment made with `conda create -p PATH` outside any envs/ folder is its own
        # "root" to _conda_root, but only an installation (it has condabin/) is "base": conda
        # names the others by their full prefix.
        is_base = root == env.prefix and any(
            os.path.exists(os.path.join(env.prefix, d, "conda")) for d in ("condabin", "bin")
        )
        named = is_base or os.path.basename(os.path.dirname(env.prefix)) == "envs"
        label = "base" if is_base and env.kind == "conda" else os.path.basename(env.prefix)
        out["CONDA_DEFAULT_ENV"] = label if named or env.kind == "pixi" else env.prefix
        out["CONDA_PROMPT_MODIFIER"] = f"({out['CONDA_DEFAULT_ENV']}) "
        if "CONDA_PYTHON_EXE" not in base:
            exe = layout.interpreter_candidates(root, None)[0 if not layout.WINDOWS else 1]
            out["CONDA_PYTHON_EXE"] = exe
        out.update(_conda_vars(env))
    return out


def install_command(
    env: Environment, packages: Sequence[str], *, uv: str | None = None
) -> list[str]:
    """The command that installs ``packages`` into ``env``.

    conda env: ``conda install -p PREFIX ...``; pixi env: ``pixi add --manifest-path ...``;
    a venv uv made, or any Python env when ``uv`` (its path) is given:
    ``uv pip install --python EXE ...``; otherwise ``EXE -m pip install ...``. Raises
    :class:`~kernelhub.errors.EnvError` when the environment has no interpreter to install for.
    """
    pkgs = list(packages)
    if env.kind == "pixi":
        project = pixi.project_of(env.prefix) or env.prefix
        manifest = os.path.join(project, "pixi.toml")
        if not os.path.isfile(manifest) and os.path.isfile(os.path.join(project, "pyproject.toml")):
            manifest = os.path.join(project, "pyproject.toml")
        return ["pixi", "add", "--manifest-path", manifest, *pkgs]
    if conda_like(env):
        return ["conda", "install", "-p", env.prefix, *pkgs]
    if env.executable is None:
        raise EnvError(
            f"environment {env.id} ({env.prefix}) has no Python interpreter; "
            "expected bin/python to install packages with"
        )
    if uv is not None or (venv_like(env) and made_by_uv(env)):
        return [uv or "uv", "pip", "install", "--python", env.executable, *pkgs]
    return [env.executable, "-m", "pip", "install", *pkgs]


def activation_delta(env: Environment, base: Mapping[str, str]) -> dict[str, str]:
    """What :func:`activation_env` changes in ``base``: only the variables that differ.

    For a launcher that lays variables over its own environment and cannot remove any: a
    variable activation removes (``PYTHONHOME``, a stale ``VIRTUAL_ENV``) maps to ``""``,
    which CPython, pip and uv read as unset.
    """
    full = activation_env(env, base)
    delta = {k: v for k, v in full.items() if base.get(k) != v}
    delta.update((k, "") for k in base if k not in full and base[k])
    return delta
