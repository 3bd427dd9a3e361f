"""Checks on which Python a kernelspec runs: a surprising python3, a bare ``python`` argv[0]."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping

from kernelhub.doctor.model import Context, Finding, Fix
from kernelhub.specs import SpecEntry, is_python_alias

__all__ = ["argv0_on_path", "env_prefix", "python3_elsewhere"]

# argv[0] values that name a Python interpreter without saying which one.
_BARE_PYTHON = re.compile(r"python[0-9.]*")


def env_prefix(executable: str) -> str:
    """The environment an interpreter belongs to: the real path of the directory above bin/.

    The interpreter itself is not resolved: a venv's ``bin/python`` is a symlink into its base
    installation, and where the link lives is what makes it the venv's.
    """
    return os.path.realpath(os.path.dirname(os.path.dirname(os.path.abspath(executable))))


def _valid(ctx: Context) -> list[SpecEntry]:
    return [e for e in ctx.entries if e.shadowed_by is None and e.spec is not None]


def _jupyter_interpreter(path: str) -> str | None:
    """The interpreter named by the ``#!`` line of the ``jupyter`` command found on ``path``."""
    for directory in path.split(os.pathsep):
        candidate = os.path.join(directory, "jupyter") if directory else ""
        if not candidate or not os.path.isfile(candidate):
            continue
        try:
            with open(candidate, "rb") as f:
                first = f.readline(512)
        except OSError:
            return None
        if not first.startswith(b"#!"):
            return None
        words = first[2:].decode(errors="replace").split()
        # `#!/usr/bin/env python3` names no interpreter without a PATH search: leave it.
        if words and os.path.basename(words[0]) != "env" and os.path.isfile(words[0]):
            return words[0]
        return None
    return None


def _active(ctx: Context) -> tuple[str, str] | None:
    """The environment the user has activated, and the variable that says so."""
    for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        if ctx.environ.get(variable):
            return os.path.realpath(ctx.environ[variable]), f"the active {variable}"
    return None


def _expected(ctx: Context) -> tuple[str, str]:
    """The environment a user probably means by ``python3``, and why."""
    active = _active(ctx)
    if active is not None:
        return active
    jupyter = _jupyter_interpreter(ctx.environ.get("PATH", ""))
    if jupyter is not None:
        return env_prefix(jupyter), f"the environment `jupyter` runs in ({jupyter})"
    return os.path.realpath(ctx.prefix), f"the environment kernelhub runs in ({ctx.interpreter})"


def python3_elsewhere(ctx: Context) -> list[Finding]:
    """The ``python3`` kernel runs another environment than the one the user probably means.

    That is the active environment, else the one ``jupyter`` runs in, else kernelhub's.
    The native kernel (no kernelspec directory: kernelhub's own interpreter) is only held
    against an active environment: jupyter has a native kernel of its own.
    """
    entry = next((e for e in _valid(ctx) if e.name == "python3"), None)
    if entry is None or entry.executable is None:
        return []
    if entry.kernel_file is None and _active(ctx) is None:
        return []
    expected, why = _expected(ctx)
    actual = env_prefix(entry.executable)
    if actual == expected:
        return []
    what = entry.kernel_file or "the native kernel"
    hint = (
        f"register the environment you mean under its own name: kernelhub install --env "
        f"{expected}; or make python3 run it: kernelhub install --env {expected} "
        "--name python3 --replace"
    )
    return [
        Finding(
            "python3-elsewhere",
            "warning",
            "python3",
            f"python3 ({what}) runs {entry.executable}, in {actual}; {why} is {expected}: "
            "packages installed there are not what notebooks on python3 import",
            hint=hint,
        )
    ]


def _on_path(program: str, environ: Mapping[str, str]) -> str | None:
    for directory in environ.get("PATH", "").split(os.pathsep):
        candidate = os.path.join(directory, program) if directory else ""
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def _home_env(ctx: Context, entry: SpecEntry) -> str | None:
    """The environment a spec lives in (``<prefix>/share/jupyter/kernels/<name>``), if any."""
    kernels = os.path.dirname(entry.resource_dir)
    if os.path.realpath(kernels) == os.path.realpath(ctx.user_kernel_dir or kernels + "/"):
        return None  # ~/.local/share/jupyter: ~/.local looks like a prefix but is not an env
    parts = kernels.replace(os.sep, "/").split("/")
    if parts[-3:] != ["share", "jupyter", "kernels"]:
        return None
    prefix = os.path.dirname(os.path.dirname(os.path.dirname(kernels)))
    markers = ("pyvenv.cfg", "conda-meta")
    if not any(os.path.exists(os.path.join(prefix, m)) for m in markers):
        return None
    return os.path.realpath(prefix)


def argv0_on_path(ctx: Context) -> list[Finding]:
    """Specs that run a bare ``python``/``python3``: whichever is first on PATH at launch.

    jupyter_client replaces ``python``/``python3``/``python3.X`` with its own interpreter
    while other tools search PATH. A spec inside an environment (ipykernel's wheel installs
    one with ``python``) means that environment's interpreter and is fine for a launcher
    running there; elsewhere it means whatever launches it. The fix pins argv[0] to the
    interpreter it means now, only when that is unambiguous; otherwise a hint is given.
    """
    out = []
    for entry in _valid(ctx):
        spec = entry.spec
        if spec is None or entry.kernel_file is None:
            continue
        argv0 = spec.argv[0]
        if not _BARE_PYTHON.fullmatch(argv0):
            continue
        alias = is_python_alias(argv0)
        found = _on_path(argv0, ctx.environ)
        launcher = entry.executable if alias else found
        home = _home_env(ctx, entry)
        message = f"kernelspec {entry.name!r} runs {argv0!r}, looked up at every start: "
        if home is not None:
            if alias and launcher and env_prefix(launcher) == home:
                continue  # a launcher in that environment runs the environment's python
            own = os.path.join(home, "bin", argv0)
            means = [own] if os.path.isfile(own) else []
            message += f"it lives in the environment {home} but runs "
            message += f"{launcher or 'nothing'} from here"
        else:
            means = [m for m in dict.fromkeys((found, launcher)) if m]
            message += f"on PATH it is {found or 'nothing'}"
            if alias:
                message += f"; jupyter_client and kernelhub use their own interpreter ({launcher})"
        if not means and home is None:
            continue  # it runs nothing at all: the stale check reports it
        fix = hint = None
        if len({env_prefix(m) for m in means}) == 1:
            target = means[0]
            new_argv = [target, *spec.argv[1:]]
            fix = Fix(
                "rewrite-argv0",
                entry.kernel_file,
                f"pin argv[0] of {entry.name!r} to {target} in {entry.kernel_file}",
                before=(f'- "argv": {json.dumps(list(spec.argv))}',),
                after=(f'+ "argv": {json.dumps(new_argv)}',),
                name=entry.name,
                old=argv0,
                new=target,
            )
        else:
            hint = (
                "pin it to the environment you mean: kernelhub install --env PATH_OR_NAME "
                f"--name {entry.name} --replace"
            )
        out.append(Finding("argv0-on-path", "warning", entry.name, message, fix=fix, hint=hint))
    return out
