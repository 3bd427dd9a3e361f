"""Remedies that run a command: installing ipykernel into an environment.

The fix for ``env-lost-ipykernel`` and what ``kernelhub install --env ... --with-ipykernel``
does first. Unlike the safe fixes of :mod:`.fixes`, this changes an environment and needs the
network, so it only ever runs when asked for by name. The installer's output is the only
progress there is (pip and uv print plain lines when piped), so it is passed through line by
line to a callback; its tail is kept to say in one line why it failed.

conda is the exception: it shows what it will change and asks before changing anything. It is
told ``-y`` only when the caller says ``yes``; otherwise it runs on the caller's terminal so
that the person sees its plan and answers it. The conda program is the one kernelhub found:
the environment's own installation first, then PATH, then every installation discovery knows.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import shlex
import shutil
import subprocess
from collections.abc import Callable

from kernelhub import environ
from kernelhub.envs import Environment, inspect_environment, install_command
from kernelhub.errors import EnvError

__all__ = [
    "conda_program",
    "failure_reason",
    "install_ipykernel",
    "installer_asks",
    "ipykernel_command",
]

# The programs that take `install -p PREFIX PKG...`, and where an installation keeps them.
_CONDA_NAMES = ("conda", "mamba", "micromamba")
_IN_ROOT = ("condabin/conda", "bin/conda", "condabin/mamba", "bin/mamba", "bin/micromamba")

# Words in an installer's output that say why it failed, most specific first.
_FAILURES = (
    (
        ("No module named pip",),
        "the environment has no pip and uv is not on PATH "
        "(add pip with `python -m ensurepip` run in it, or put uv on PATH)",
    ),
    (("Read-only file system", "[Errno 30]"), "the environment is on a read-only file system"),
    (("Permission denied", "[Errno 13]"), "no permission to write into the environment"),
    (
        (
            "Failed to establish a new connection",
            "name resolution",
            "Name or service not known",
            "Network is unreachable",
            "No route to host",
            "Connection refused",
            "dns error",
            "error sending request",
            "Failed to fetch",
            "timed out",
            "ProxyError",
            "No matching distribution found",
        ),
        "cannot reach the package index (no network, or a proxy in the way)",
    ),
)


def failure_reason(output: str, status: int) -> str:
    """Why an installer failed, from its output: a known cause, else its last line."""
    for needles, reason in _FAILURES:
        if any(n.lower() in output.lower() for n in needles):
            return reason
    last = next((ln.strip() for ln in reversed(output.splitlines()) if ln.strip()), "")
    return f"the installer exited with status {status}" + (f": {last}" if last else "")


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _history_program(prefix: str) -> str | None:
    """The conda that created or changed ``prefix``, from the ``# cmd:`` lines of its history."""
    try:
        with open(os.path.join(prefix, "conda-meta", "history"), encoding="utf-8") as f:
            text = f.read(1024 * 1024)
    except (OSError, UnicodeDecodeError):
        return None
    for line in reversed(text.splitlines()):
        if not line.startswith("# cmd:"):
            continue
        program = line[len("# cmd:") :].split(maxsplit=1)[:1]
        if program and os.path.basename(program[0]) in _CONDA_NAMES and _executable(program[0]):
            return program[0]
    return None


def _discovered_roots() -> list[str]:
    from kernelhub.envs.base import Context
    from kernelhub.envs.conda import roots
    from kernelhub.envs.fs import Scan
    from kernelhub.envs.settings import Settings

    return roots(Context(Settings.from_environ(), os.getcwd(), Scan()))


def conda_program(env: Environment, search: str | None = None) -> str | None:
    """The conda (or mamba, micromamba) to change ``env`` with, or ``None`` if there is none.

    In order: the installation ``env`` lives in (``<root>/envs/<name>``, or ``env`` itself
    when it is an installation), the program its ``conda-meta/history`` names, ``conda``,
    ``mamba`` or ``micromamba`` on ``search`` (default: PATH), then the installations
    discovery finds (``CONDA_EXE``, ``~/miniconda3`` and the other usual places).
    """
    search = os.pathsep.join(environ.path_entries()) if search is None else search
    parent = os.path.dirname(env.prefix)
    owners = [env.prefix]
    if os.path.basename(parent) == "envs":
        owners.insert(0, os.path.dirname(parent))
    for root in owners:
        for relative in _IN_ROOT:
            if _executable(candidate := os.path.join(root, relative)):
                return candidate
    from_history = _history_program(env.prefix)
    if from_history is not None:
        return from_history
    for name in _CONDA_NAMES:
        if (on_path := shutil.which(name, path=search)) is not None:
            return on_path
    for root in _discovered_roots():
        for relative in _IN_ROOT:
            if _executable(candidate := os.path.join(root, relative)):
                return candidate
    return None


def installer_asks(command: list[str]) -> bool:
    """Whether ``command`` asks before it changes anything (conda without ``-y``)."""
    return os.path.basename(command[0]) in _CONDA_NAMES and "-y" not in command


def ipykernel_command(env: Environment, *, yes: bool = False) -> list[str]:
    """The command that installs ipykernel into ``env``: uv's when uv is on PATH, else pip's;
    conda's for a conda environment, with ``-y`` only when ``yes``."""
    search = os.pathsep.join(environ.path_entries())
    command = install_command(env, ["ipykernel"], uv=shutil.which("uv", path=search))
    if command[0] == "conda":
        command[0] = conda_program(env, search) or "conda"
        if yes:
            command.append("-y")
    if shutil.which(command[0], path=search) is None:
        where = "is not on PATH"
        if command[0] == "conda":
            where += (
                " and no conda installation was found (looked in the environment's own "
                "installation, its conda-meta/history, CONDA_EXE, ~/miniconda3 and the like)"
            )
        raise EnvError(
            f"cannot install ipykernel into {env.id}: {command[0]!r} {where} "
            f"(the command would be: {shlex.join(command)})"
        )
    return command


def install_ipykernel(
    env: Environment, on_line: Callable[[str], None] | None = None, *, yes: bool = False
) -> Environment:
    """Install ipykernel into ``env`` with :func:`ipykernel_command`.

    Every line the installer prints is passed to ``on_line`` as it comes (its progress). An
    installer that asks first (conda without ``yes``) runs on this process's terminal instead,
    so that its question is seen and answered there. Returns the environment read again from
    its files; raises :class:`EnvError` saying in one line why it failed (no pip, read-only,
    no network, declined, ...) and the command it ran.
    """
    command = ipykernel_command(env, yes=yes)
    shown = shlex.join(command)
    if installer_asks(command):
        # conda's plan and its "Proceed ([y]/n)?" go straight to the person: nothing captured.
        status = subprocess.call(command)
        if status != 0:
            raise EnvError(
                f"installing ipykernel into {env.id} ({env.prefix}) did not happen: "
                f"{os.path.basename(command[0])} exited with status {status} (its output is "
                f"above); the command was: {shown}"
            )
        return _installed(env, shown)
    tail: collections.deque[str] = collections.deque(maxlen=200)
    with subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as proc:
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                tail.append(line)
                if on_line is not None:
                    on_line(line)
        except BaseException:
            proc.kill()  # interrupted: do not leave a half-done install running unseen
            raise
        status = proc.wait()
    if status != 0:
        reason = failure_reason("".join(tail), status)
        raise EnvError(
            f"installing ipykernel into {env.id} ({env.prefix}) failed: {reason}; "
            f"the command was: {shown}"
        )
    return _installed(env, shown)


def _installed(env: Environment, shown: str) -> Environment:
    version = inspect_environment(env.prefix).ipykernel_version
    if version is None:
        raise EnvError(f"{shown} succeeded but ipykernel is still not in {env.prefix}")
    return dataclasses.replace(env, ipykernel_version=version)
