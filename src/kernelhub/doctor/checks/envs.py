"""Checks that join kernelspecs and environments: lost ipykernel, environments no spec runs."""

from __future__ import annotations

import os
import shlex

from kernelhub.doctor.checks.python import env_prefix
from kernelhub.doctor.model import Context, Finding
from kernelhub.envs import Environment, inspect_environment, install_command
from kernelhub.errors import EnvError
from kernelhub.providers.envspecs import is_python_program

__all__ = ["lost_ipykernel", "unregistered"]


def _environment(ctx: Context, executable: str) -> Environment | None:
    prefix = env_prefix(executable)
    for env in ctx.discovery.environments:
        if os.path.realpath(env.prefix) == prefix:
            return env
    try:
        return inspect_environment(executable)
    except EnvError:
        return None


def _in_user_site(ctx: Context, env: Environment) -> bool:
    """Whether ``pip install --user ipykernel`` put it where a system interpreter finds it."""
    if env.python_version is None:
        return False
    xy = ".".join(env.python_version.split(".")[:2])
    site = os.path.join(ctx.home, ".local", "lib", f"python{xy}", "site-packages")
    try:
        names = os.listdir(site)
    except OSError:
        return False
    return any(n.lower().startswith("ipykernel-") and n.endswith(".dist-info") for n in names)


def _includes_system_site(env: Environment) -> bool:
    try:
        with open(os.path.join(env.prefix, "pyvenv.cfg"), encoding="utf-8") as f:
            text = f.read(64 * 1024).lower()
    except OSError:
        return False
    return any(
        line.partition("=")[0].strip() == "include-system-site-packages"
        and line.partition("=")[2].strip() == "true"
        for line in text.splitlines()
    )


def lost_ipykernel(ctx: Context) -> list[Finding]:
    """Specs that start ipykernel in an environment that no longer has it."""
    out = []
    for entry in ctx.entries:
        spec = entry.spec
        if spec is None or entry.shadowed_by is not None or entry.kernel_file is None:
            continue
        if entry.executable is None or not any("ipykernel" in a for a in spec.argv[1:]):
            continue
        env = _environment(ctx, entry.executable)
        if env is None or env.has_ipykernel or _in_user_site(ctx, env):
            continue
        if _includes_system_site(env):
            continue  # it may come from the base installation: cannot tell from the env alone
        try:
            command = shlex.join(install_command(env, ["ipykernel"], uv=ctx.uv))
            hint = f"install it again: {command}"
        except EnvError as exc:
            hint = str(exc)
        out.append(
            Finding(
                "env-lost-ipykernel",
                "error",
                entry.name,
                f"kernelspec {entry.name!r} starts ipykernel with {entry.executable}, but "
                f"{env.id} ({env.prefix}) has no ipykernel installed: the kernel cannot start",
                hint=hint,
            )
        )
    return out


def _reachable(ctx: Context) -> set[str]:
    """The environment prefixes some registered spec runs, or names in its argv or env."""
    seen: set[str] = set()
    for entry in ctx.entries:
        spec = entry.spec
        if spec is None or entry.shadowed_by is not None:
            continue
        # Only a Python runs its environment: an R kernel at /usr/bin/R does not run /usr's.
        if entry.executable is not None and is_python_program(spec.argv[0], entry.executable):
            seen.add(env_prefix(entry.executable))
        # Wrappers (`conda run -p PREFIX ...`) and activation variables name the prefix.
        for value in (*spec.argv, *spec.env.values()):
            if os.path.isabs(value) and os.path.isdir(value):
                seen.add(os.path.realpath(value))
    return seen


def unregistered(ctx: Context) -> list[Finding]:
    """Environments with ipykernel that no kernelspec runs: other tools cannot see them."""
    reachable = _reachable(ctx)
    out = []
    for env in ctx.discovery.environments:
        if not env.has_ipykernel or env.status != "ok" or env.executable is None:
            continue
        if os.path.realpath(env.prefix) in reachable:
            continue
        out.append(
            Finding(
                "env-unregistered",
                "info",
                env.id,
                f"{env.id} ({env.prefix}) has ipykernel {env.ipykernel_version} but no "
                f"kernelspec runs it: it is reachable as {env.id} through kernelhub only",
                hint=f"register it for other tools: kernelhub install --env {env.id}",
            )
        )
    return out
