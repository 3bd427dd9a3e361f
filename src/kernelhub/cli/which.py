"""``kernelhub which ID``: the interpreter a kernel really runs, and the environment it is in.

For an environment kernel (``conda/datasci``) that is the environment's own interpreter; for
a kernelspec it is ``argv[0]`` resolved as the launcher will resolve it, and its environment
is the one whose ``sys.prefix`` that interpreter would have. Everything is read from files.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kernelhub.cli._output import print_json

if TYPE_CHECKING:
    from kernelhub.envs import Discovery, Environment
    from kernelhub.providers.base import KernelType


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``which`` command."""
    parser = sub.add_parser(
        "which", help="say which interpreter and environment a kernel runs", description=__doc__
    )
    parser.add_argument("id", metavar="ID", help="a kernel id (conda/datasci, spec/python3)")
    parser.add_argument("--json", action="store_true", help="print a JSON object")
    parser.set_defaults(func=run)


@dataclass(frozen=True)
class Located:
    """A kernel type, the program it runs, and the environment that program belongs to.

    ``python`` says whether the program is a Python interpreter; a kernel that runs anything
    else (R, Julia) is in an ``environment`` only when it lives inside one (a conda env's
    own kernelspec), never by its program's path.
    """

    kernel: KernelType
    program: str | None
    environment: Environment | None
    discovery: Discovery
    python: bool = True

    def same_as(self) -> list[str]:
        """The other kernel ids that run the same Python environment."""
        same = self.kernel.metadata.get("same_interpreter_as")
        if isinstance(same, list):
            return [str(s) for s in same]
        env = self.environment
        if env is not None and env.has_ipykernel and self.kernel.id != env.id:
            return [env.id]
        return []


def locate(kernel_id: str) -> Located:
    """Find kernel ``kernel_id`` and its environment (``None`` when it is in none).

    Raises :class:`~kernelhub.errors.NoSuchKernelError` for unknown ids.
    """
    from kernelhub.envs import discover, inspect_environment
    from kernelhub.envs.owner import environment_of
    from kernelhub.errors import EnvError, KernelhubError
    from kernelhub.providers.envspecs import is_python_program
    from kernelhub.providers.finder import KernelFinder

    kernel = KernelFinder.from_entrypoints().get(kernel_id)
    discovery = discover()
    program = kernel.executable or kernel.interpreter
    env: Environment | None = None
    record = kernel.metadata.get("environment")
    if isinstance(record, dict) and isinstance(record.get("prefix"), str):
        try:
            env = discovery.get(record["prefix"])
        except KernelhubError:
            env = None
    # Only a Python belongs to a Python environment: /usr/bin/R is not the system Python's.
    python = program is not None and is_python_program(
        kernel.argv[0] if kernel.argv else "", program
    )
    if env is None and program and python:
        env = environment_of(discovery, program)
        if env is None:
            try:  # an environment no locator knows of: read it from its own files
                env = inspect_environment(program)
            except EnvError:
                env = None
    return Located(kernel, program, env, discovery, python)


def to_json(found: Located) -> dict[str, Any]:
    """The JSON object ``kernelhub which --json`` prints."""
    kernel, env = found.kernel, found.environment
    return {
        "id": kernel.id,
        "display_name": kernel.display_name,
        "provider": kernel.provider,
        "origin": kernel.origin,
        "status": kernel.status,
        "diagnostics": list(kernel.diagnostics),
        "argv": list(kernel.argv),
        "executable": found.program,
        "python": found.python,
        "realpath": os.path.realpath(found.program) if found.program else None,
        "environment": env.to_json() if env is not None else None,
        "python_version": env.python_version if env is not None else None,
        "ipykernel_version": env.ipykernel_version if env is not None else None,
        "same_interpreter_as": found.same_as(),
    }


def _found_by(found: Located) -> str:
    env, kernel = found.environment, found.kernel
    if env is not None and kernel.origin == env.prefix:
        return f"environment discovery ({', '.join(env.found_by)}): {env.prefix}"
    return f"provider {kernel.provider}: {kernel.origin or '-'}"


def run(args: argparse.Namespace) -> int:
    """Print where a kernel runs."""
    found = locate(args.id)
    data = to_json(found)
    if args.json:
        print_json(data)
        return 0
    env = found.environment
    fields: list[tuple[str, str]] = [
        ("kernel", f"{data['id']} ({data['display_name']})"),
        ("found by", _found_by(found)),
        ("runs", data["executable"] or "(not found)"),
        ("real path", data["realpath"] or "-"),
    ]
    if env is not None:
        fields += [
            ("environment", f"{env.id} ({env.kind} {env.name!r} at {env.prefix})"),
            ("python", env.python_version or "unknown"),
            ("ipykernel", env.ipykernel_version or "not installed"),
        ]
    elif not found.python:
        fields.append(("environment", "none: it runs no Python interpreter"))
    else:
        count = len(found.discovery)
        fields.append(("environment", f"none of the {count} environments kernelhub found"))
        fields.append(("looked in", found.discovery.searched.describe()))
    if data["same_interpreter_as"]:
        fields.append(("same as", ", ".join(data["same_interpreter_as"])))
    if found.kernel.status != "ok":
        fields.append(("status", found.kernel.status))
    fields += [("problem", d) for d in found.kernel.diagnostics]
    width = max(len(name) for name, _ in fields)
    for name, value in fields:
        print(f"{name.ljust(width)}  {value}")
    return 0
