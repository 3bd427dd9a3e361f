"""``kernelhub check ID PACKAGE...``: are these packages installed where kernel ID runs?

For each package: its version in the kernel's environment, or, when it is missing, the other
environments that have it (and where kernelhub looked for them). An import name is
understood as the project that provides it (sklearn is scikit-learn, cv2 is opencv-python).
Then the exact command that installs what is missing into the kernel's environment
(conda install -p PREFIX ..., uv pip install --python ..., /path/bin/python -m pip
install ...). Only metadata files are read; nothing is imported.

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


def _distribution(discovery: Discovery, env: Environment, name: str) -> str | None:
    """The project providing import name ``name`` when no project is called ``name``."""
    from kernelhub.envs.imports import providers_of
    from kernelhub.envs.packages import normalize

    others = [e for e in discovery if e.prefix != env.prefix]
    found = providers_of(name, [env, *others])
    return next((d for d in found if d != normalize(name)), None)


def _package(
    discovery: Discovery, env: Environment, requirement: str, name: str
) -> tuple[dict[str, Any], str | None]:
    """One package's JSON record, and the requirement to install when it is missing."""
    from kernelhub.envs import find_package

    requested = requirement
    version = find_package(env, name)
    elsewhere = [] if version else _elsewhere(discovery, env, name)
    import_name = None
    if version is None and not elsewhere:
        dist = _distribution(discovery, env, name)
        if dist is not None:
            import_name, name = name, dist
            requirement = dist + requirement.strip()[len(import_name) :]
            version = find_package(env, dist)
            elsewhere = [] if version else _elsewhere(discovery, env, dist)
    record = {
        "name": name,
        "requested": requested,
        "import_name": import_name,
        "installed": version is not None,
        "version": version,
        "elsewhere": elsewhere,
    }
    return record, None if version is not None else requirement


def check(kernel_id: str, requirements: list[str]) -> dict[str, Any]:
    """The JSON object ``kernelhub check --json`` prints.

    Raises :class:`~kernelhub.errors.EnvError` when the kernel runs in no Python environment.
    """
    from kernelhub.cli.which import locate
    from kernelhub.envs import install_command
    from kernelhub.errors import EnvError

    names = [project_name(r) for r in requirements]
    found = locate(kernel_id)
    env = found.environment
    if not found.python and found.program:
        raise EnvError(
            f"kernel {found.kernel.id} runs {found.program}, which is not a Python interpreter: "
            "it has no Python packages to check; expected a Python kernel "
            "(`kernelhub list` shows each kernel's interpreter)"
        )
    if env is None:
        raise EnvError(
            f"kernel {found.kernel.id} runs {found.program or '(nothing found)'}, which is in no "
            "Python environment kernelhub knows; expected an interpreter inside an environment "
            "(`kernelhub envs` lists them)"
        )
    packages = []
    missing = []
    for requirement, name in zip(requirements, names, strict=True):
        record, wanted = _package(found.discovery, env, requirement, name)
        packages.append(record)
        if wanted is not None:
            missing.append(wanted)
    command: list[str] | None = None
    problem: str | None = None
    if missing:
        try:
            command = install_command(env, missing)
        except EnvError as exc:  # a broken environment: say why instead of a command
            problem = str(exc)
    searched = found.discovery.searched
    return {
        "kernel": found.kernel.id,
        "environment": env.to_json(),
        "packages": packages,
        "all_installed": not missing,
        "install_command": command,
        "install_problem": problem,
        "environments_searched": sum(1 for e in found.discovery if e.prefix != env.prefix),
        "searched": searched.to_json(),
        "searched_text": searched.describe(),
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
    others = result["environments_searched"]
    for pkg in result["packages"]:
        where = ", ".join(f"{o['id']} ({o['version']})" for o in pkg["elsewhere"])
        if not pkg["installed"]:
            where = where or f"in none of {others} other environments"
        status = "installed" if pkg["installed"] else "missing"
        name = pkg["name"]
        if pkg["import_name"]:
            name = f"{name} (import {pkg['import_name']})"
        rows.append((name, status, pkg["version"] or "-", where))
    print_table(("PACKAGE", "STATUS", "VERSION", "ELSEWHERE"), rows)
    if not result["all_installed"]:
        print(f"\nenvironments were looked for in: {result['searched_text']}")
    if result["install_command"]:
        print(f"\nto install what is missing into {env['id']}, run:")
        print(shlex.join(result["install_command"]))
    elif result["install_problem"]:
        print(f"\ncannot install into {env['id']}: {result['install_problem']}")
    return 0 if result["all_installed"] else 1
