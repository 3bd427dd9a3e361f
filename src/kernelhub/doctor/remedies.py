"""Remedies that run a command: installing ipykernel into an environment.

The fix for ``env-lost-ipykernel`` and what ``kernelhub install --env ... --with-ipykernel``
does first. Unlike the safe fixes of :mod:`.fixes`, this changes an environment and needs the
network, so it only ever runs when asked for by name. The installer's output is the only
progress there is (pip and uv print plain lines when piped), so it is passed through line by
line to a callback; its tail is kept to say in one line why it failed.
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

__all__ = ["failure_reason", "install_ipykernel", "ipykernel_command"]

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


def ipykernel_command(env: Environment) -> list[str]:
    """The command that installs ipykernel into ``env``: uv's when uv is on PATH, else pip's."""
    search = os.pathsep.join(environ.path_entries())
    command = install_command(env, ["ipykernel"], uv=shutil.which("uv", path=search))
    if shutil.which(command[0], path=search) is None:
        raise EnvError(
            f"cannot install ipykernel into {env.id}: {command[0]!r} is not on PATH "
            f"(the command would be: {shlex.join(command)})"
        )
    return command


def install_ipykernel(
    env: Environment, on_line: Callable[[str], None] | None = None
) -> Environment:
    """Install ipykernel into ``env`` with :func:`ipykernel_command`.

    Every line the installer prints is passed to ``on_line`` as it comes (its progress).
    Returns the environment read again from its files; raises :class:`EnvError` saying in
    one line why it failed (no pip, read-only, no network, ...) and the command it ran.
    """
    command = ipykernel_command(env)
    shown = shlex.join(command)
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
    version = inspect_environment(env.prefix).ipykernel_version
    if version is None:
        raise EnvError(f"{shown} succeeded but ipykernel is still not in {env.prefix}")
    return dataclasses.replace(env, ipykernel_version=version)
