"""``kernelhub check ID PACKAGE...``: are these packages installed where kernel ID runs?

For each package: its version in the kernel's environment, or, when it is missing, the other
environments that have it. Then the exact command that installs what is missing into the
kernel's environment (``conda install -p PREFIX ...``, ``uv pip install --python ...``,
``/path/bin/python -m pip install ...``). Only metadata files are read; nothing is imported.

Exit status: 0 when every package is installed, 1 when any is missing (1 is also the status
of every error, which goes to stderr as one ``kernelhub: error:`` line). When the
environment is broken (its interpreter is gone), ``install_problem`` says why there is no
command.
"""

from __future__ import annotations

import argparse
import re
import shlex
from typing import TYPE_CHECKING, Any

from kernelhub.cli._output import print_json, print_table

if TYPE_CHECKING:
    from kernelhub.envs import Discovery, Environment

# A requirement's project name: what comes before extras, a version or a marker.
_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:[\[(<>=!~;@]|$)")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``check`` command."""
    parser = sub.add_parser(
        "check",
        help="check that packages are installed where a kernel runs",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("id", metavar="ID", help="a kernel id (conda/datasci, spec/python3)")
    parser.add_argument(
        "packages", metavar="PACKAGE", nargs="+", help="project names (pandas, scikit-learn)"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON object")
    parser.set_defaults(func=run)


def project_name(requirement: str) -> str:
    """The project name of ``requirement`` (``pandas>=2`` -> ``pandas``).

    Raises :class:`~kernelhub.errors.EnvError` when it does not start with one.
    """
    from kernelhub.errors import EnvError

    match = _NAME.match(requirement)
    if match is None:
        raise EnvError(
            f"invalid package {requirement!r}: expected a project name such as pandas or "
            "scikit-learn, optionally with a version (pandas>=2)"
        )
    return match.group(1)


def _elsewhere(discovery: Discovery, env: Environment, name: str) -> list[dict[str, str]]:
    from kernelhub.envs import find_package

    found = []
    for other in discovery:
        if other.prefix == env.prefix:
            continue
        version = find_package(other, name)
        if version is not None:
            found.append({"id": other.id, "version": version, "prefix": other.prefix})
    return found


def check(kernel_id: str, requirements: list[str]) -> dict[str, Any]:
    """The JSON object ``kernelhub check --json`` prints.

    Raises :class:`~kernelhub.errors.EnvError` when the kernel runs in no Python environment.
    """
    from kernelhub.cli.which import locate
    from kernelhub.envs import find_package, install_command
    from kernelhub.errors import EnvError

    names = [project_name(r) for r in requirements]
    found = locate(kernel_id)
    env = found.environment
    if env is None:
        raise EnvError(
            f"kernel {found.kernel.id} runs {found.program or '(nothing found)'}, which is in no "
            "Python environment kernelhub knows; expected an interpreter inside an environment "
            "(`kernelhub envs` lists them)"
        )
    packages = []
    missing = []
    for requirement, name in zip(requirements, names, strict=True):
        version = find_package(env, name)
        if version is None:
            missing.append(requirement)
        packages.append(
            {
                "name": name,
                "requested": requirement,
                "installed": version is not None,
                "version": version,
                "elsewhere": [] if version else _elsewhere(found.discovery, env, name),
            }
        )
    command: list[str] | None = None
    problem: str | None = None
    if missing:
        try:
            command = install_command(env, missing)
        except EnvError as exc:  # a broken environment: say why instead of a command
            problem = str(exc)
    return {
        "kernel": found.kernel.id,
        "environment": env.to_json(),
        "packages": packages,
        "all_installed": not missing,
        "install_command": command,
        "install_problem": problem,
    }


def run(args: argparse.Namespace) -> int:
    """Check packages; exit 1 when any is missing."""
    result = check(args.id, list(args.packages))
    if args.json:
        print_json(result)
        return 0 if result["all_installed"] else 1
    env = result["environment"]
    runs = env["executable"] or "no interpreter"
    print(f"kernel {result['kernel']} runs {runs} ({env['id']}, {env['prefix']})")
    rows = []
    for pkg in result["packages"]:
        where = ", ".join(f"{o['id']} ({o['version']})" for o in pkg["elsewhere"])
        if not pkg["installed"]:
            where = where or "no other environment"
        status = "installed" if pkg["installed"] else "missing"
        rows.append((pkg["name"], status, pkg["version"] or "-", where))
    print_table(("PACKAGE", "STATUS", "VERSION", "ELSEWHERE"), rows)
    if result["install_command"]:
        print(f"\nto install what is missing into {env['id']}, run:")
        print(shlex.join(result["install_command"]))
    elif result["install_problem"]:
        print(f"\ncannot install into {env['id']}: {result['install_problem']}")
    return 0 if result["all_installed"] else 1
