"""``kernelhub install``: install a kernelspec from a directory, a command line or a Python env.

kernelhub install ./my-kernel --user
kernelhub install --name py311 -- /usr/bin/python3.11 -m ipykernel_launcher -f {connection_file}
kernelhub install --env ~/proj/.venv
kernelhub install --env conda/datasci --with-ipykernel

--env has two meanings, told apart by "=": --env KEY=VALUE sets a variable for the kernel
(repeatable); a value without "=" names the Python environment to register (at most once): a
prefix, its interpreter, or an id or name from `kernelhub envs`.

Registering an environment does from outside what `python -m ipykernel install` does from
inside: argv is [<env python>, -m, ipykernel_launcher, -f, {connection_file}]; the name
defaults to the environment's id with "/" as "-" (venv-myproj); the display name reads
"Python 3.12 (venv: myproj)"; metadata.kernelhub.environment records its id, kind, name and
prefix. Its env holds what activation sets that matters to a kernel: VIRTUAL_ENV (a venv) or
CONDA_PREFIX and CONDA_DEFAULT_ENV (conda), and PATH as "<env>/bin:${PATH}". A kernelspec's
env is static, so PATH is not copied from this shell: jupyter_client (7+) and kernelhub
expand ${PATH} when they launch the kernel, putting the environment's tools (`!pip`) first
and the launcher's own PATH after them. With --env, --sys-prefix means the environment's own
share/jupyter/kernels. --with-ipykernel first installs ipykernel into the environment (with
uv when it is on PATH, else the environment's pip; conda envs with the conda kernelhub found:
the environment's own installation's, else the one on PATH or in ~/miniconda3 and the like).
conda asks before it changes an environment: on a terminal it asks you; elsewhere give --yes,
which is passed on to it as -y.

The spec is installed even when it cannot work as it stands, with one warning per problem on
stderr: its program is missing or its Python has no ipykernel (`kernelhub list` shows it as
stale until that is mended), or its command line lacks {connection_file} (a diagnostic).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kernelhub.errors import EnvError, NoSuchKernelError, SpecError

if TYPE_CHECKING:
    from kernelhub.envs import Environment


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``install`` command."""
    parser = sub.add_parser(
        "install",
        help="install a kernelspec",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("source", nargs="?", help="a directory holding kernel.json")
    parser.add_argument("--name", help="the kernel name (default: the directory's name)")
    parser.add_argument("--display-name", help="the name people see")
    parser.add_argument("--language", help="the kernel's language (with a command line)")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE|PATH_OR_NAME",
        help="KEY=VALUE: an environment variable for the kernel (repeatable); "
        "without '=': the Python environment to register (once)",
    )
    parser.add_argument(
        "--with-ipykernel",
        action="store_true",
        help="with --env PATH_OR_NAME: install ipykernel into the environment first",
    )
    parser.add_argument(
        "-y",
        "--yes",
        action="store_true",
        help="with --with-ipykernel: let the installer go ahead without asking (conda's -y)",
    )
    parser.add_argument(
        "--interrupt-mode", choices=("signal", "message"), help="how to interrupt the kernel"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="install for this user (default)")
    where.add_argument(
        "--sys-prefix",
        action="store_true",
        help="install into this environment (with --env: into that environment)",
    )
    where.add_argument("--prefix", metavar="P", help="install under P/share/jupyter/kernels")
    parser.add_argument("--replace", action="store_true", help="replace a spec of the same name")
    parser.set_defaults(func=run, takes_command_line=True)
    parser.epilog = "After --: the kernel's command line, with {connection_file} in it."


def parse_env(pairs: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` strings to a dict; a pair without ``=`` is an error that names it."""
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SpecError(f"--env {pair!r}: expected KEY=VALUE")
        env[key] = value
    return env


def split_env_option(values: Iterable[str]) -> tuple[list[str], str | None]:
    """``--env`` values split by the rule: with ``=`` a variable, else the environment to
    register. Naming two environments is an error that names both."""
    variables: list[str] = []
    target: str | None = None
    for value in values:
        if "=" in value:
            variables.append(value)
        elif target is not None:
            raise SpecError(
                f"--env names the Python environment to register at most once; got {target!r} "
                f"and {value!r} (a variable needs --env KEY=VALUE)"
            )
        else:
            target = value
    return variables, target


def guess_language(argv: list[str]) -> str | None:
    """``"python"`` for a command line that runs a Python interpreter or ipykernel, else None."""
    program = os.path.basename(argv[0]).lower()
    if re.fullmatch(r"python[0-9.]*(\.exe)?", program) or any("ipykernel" in a for a in argv):
        return "python"
    return None


def run(args: argparse.Namespace) -> int:
    """Install one kernelspec and say where it went."""
    from kernelhub.specs import install_spec

    variables, target = split_env_option(args.env)
    argv: list[str] = args.command_line
    if target is not None:
        if args.source or argv:
            raise SpecError(
                f"--env {target!r} has no '=', so it names a Python environment to register, "
                "which takes no directory and no command line; a variable is --env KEY=VALUE"
            )
        return _install_env(args, target, parse_env(variables))
    if args.with_ipykernel:
        raise SpecError("--with-ipykernel needs --env PATH_OR_NAME (the environment to install to)")
    if args.source and argv:
        raise SpecError("give either a directory holding kernel.json or a command line, not both")
    if not args.source and not argv:
        raise SpecError(
            "nothing to install: give a directory holding kernel.json, "
            "the kernel's command line after --, or --env PATH_OR_NAME"
        )
    language = args.language
    if argv and not language:
        language = guess_language(argv)
        if language is None:
            raise SpecError(f"--language is required: cannot tell the language of {argv[0]!r}")
    path = install_spec(
        args.source,
        name=args.name,
        argv=argv or None,
        display_name=args.display_name,
        language=language,
        env=parse_env(variables) or None,
        interrupt_mode=args.interrupt_mode,
        user=args.user,
        sys_prefix=args.sys_prefix,
        prefix=args.prefix,
        replace=args.replace,
    )
    stale = warn_about(path)
    print(
        f"installed kernelspec in {path}" + (" (stale: it cannot start as it is)" if stale else "")
    )
    return 0


def warn_about(path: str) -> bool:
    """Warn on stderr, one line each, about what `kernelhub list` will say of the spec just
    installed at ``path``; return whether it is stale (it cannot start as it stands)."""
    from kernelhub.specs import SpecRegistry

    name = os.path.basename(path).lower()
    own = SpecRegistry([os.path.dirname(path)]).entry(name, aliases=False)
    for diagnostic in own.diagnostics:
        print(f"kernelhub: warning: kernelspec {name!r}: {diagnostic}", file=sys.stderr)
    try:
        winner = SpecRegistry().entry(name, aliases=False)
    except NoSuchKernelError:
        data_dir = os.path.dirname(os.path.dirname(path))  # <prefix>/share/jupyter
        prefix = os.path.dirname(os.path.dirname(data_dir))
        print(
            f"kernelhub: warning: kernelspec {name!r} at {path} is not on the kernelspec search "
            f"path here: Jupyter running from {prefix} finds it; anything else needs "
            f"{data_dir} in JUPYTER_PATH",
            file=sys.stderr,
        )
        return own.status == "stale"
    if winner.resource_dir != own.resource_dir:
        print(
            f"kernelhub: warning: kernelspec {name!r} at {path} is hidden by "
            f"{winner.resource_dir}, which comes first on the search path",
            file=sys.stderr,
        )
    return own.status == "stale"


def find_environment(value: str) -> Environment:
    """The environment ``value`` names: an id or name from discovery, a prefix or an interpreter."""
    from kernelhub.envs import discover, inspect_environment

    discovery = discover()
    try:
        return discovery.get(value)
    except NoSuchKernelError as exc:
        path = os.path.expanduser(value)
        if not os.path.exists(path):
            raise EnvError(
                f"{exc}; --env without '=' names a Python environment (a path, or an id from "
                "`kernelhub envs`); a variable needs --env KEY=VALUE"
            ) from None
    found = inspect_environment(path)
    # The same environment found by discovery has the better name (a project's, a conda env's).
    for env in discovery.environments:
        if env.prefix == found.prefix:
            return env
    return found


def default_name(env: Environment) -> str:
    """A valid kernel name from the environment's id: ``venv/my proj`` -> ``venv-my-proj``."""
    return re.sub(r"[^a-z0-9._-]+", "-", env.id.lower()).strip("-.") or "python-env"


def kernel_json(env: Environment, display_name: str | None) -> dict[str, Any]:
    """The kernel.json that runs ipykernel in ``env`` (see the module help for each field)."""
    from kernelhub.envs import activation_env

    assert env.executable is not None
    version = ".".join((env.python_version or "3").split(".")[:2])
    variables: dict[str, str] = {}
    if env.kind != "system":
        activated = activation_env(env, {"PATH": ""})
        for key in ("VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV"):
            if key in activated:
                variables[key] = activated[key]
        variables["PATH"] = activated["PATH"] + os.pathsep + "${PATH}"
    metadata: dict[str, Any] = {
        "kernelhub": {
            "environment": {"id": env.id, "kind": env.kind, "name": env.name, "prefix": env.prefix}
        }
    }
    major = (env.ipykernel_version or "0").split(".")[0]
    if major.isdigit() and int(major) >= 6:
        metadata["debugger"] = True
    return {
        "argv": [env.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": display_name or f"Python {version} ({env.kind}: {env.name})",
        "language": "python",
        "env": variables,
        "metadata": metadata,
    }


def _logos(env: Environment, dest: str) -> None:
    """Copy ipykernel's logos from the environment, as ``ipykernel install`` does."""
    import contextlib
    import shutil

    from kernelhub.envs.packages import site_packages

    for site in site_packages(env):
        resources = os.path.join(site, "ipykernel", "resources")
        if os.path.isdir(resources):
            # Logos are decoration: an unreadable one must not stop the registration.
            with contextlib.suppress(OSError):
                for name in os.listdir(resources):
                    if name.startswith("logo-"):
                        shutil.copyfile(os.path.join(resources, name), os.path.join(dest, name))
            return


def _progress(line: str) -> None:
    sys.stderr.write("  " + line)
    sys.stderr.flush()


def _install_env(args: argparse.Namespace, target: str, variables: dict[str, str]) -> int:
    import json
    import tempfile

    from kernelhub.envs import remember
    from kernelhub.specs import install_spec

    if args.language and args.language != "python":
        raise SpecError(f"--language {args.language!r}: an environment runs a Python kernel")
    env = find_environment(target)
    if env.executable is None or env.status != "ok":
        why = "; ".join(env.diagnostics) or "no Python interpreter in it"
        raise EnvError(f"{env.id} ({env.prefix}) cannot run a kernel: {why}")
    if args.with_ipykernel and not env.has_ipykernel:
        from kernelhub.doctor.remedies import install_ipykernel, installer_asks, ipykernel_command

        command = ipykernel_command(env, yes=args.yes)
        if installer_asks(command) and not sys.stdin.isatty():
            raise EnvError(
                f"{os.path.basename(command[0])} asks before it changes {env.id} and stdin is "
                f"not a terminal; re-run with --yes to let it install ipykernel without "
                f"asking: {shlex.join(command)} -y"
            )
        sys.stderr.write(f"installing ipykernel into {env.id}: {shlex.join(command)}\n")
        env = install_ipykernel(env, on_line=_progress, yes=args.yes)
        sys.stderr.write(f"installed ipykernel {env.ipykernel_version} into {env.id}\n")
    elif not env.has_ipykernel:
        from kernelhub.doctor.remedies import conda_program
        from kernelhub.envs import install_command

        suggested = install_command(env, ["ipykernel"])
        if suggested[0] == "conda":
            suggested[0] = conda_program(env) or "conda"  # the conda kernelhub would run
        shown = shlex.join(suggested)
        raise EnvError(
            f"{env.id} ({env.prefix}) has no ipykernel, so it cannot run a kernel; add "
            f"--with-ipykernel to install it first, or run: {shown}"
        )
    data = kernel_json(env, args.display_name)
    data["env"].update(variables)
    if args.interrupt_mode:
        data["interrupt_mode"] = args.interrupt_mode
    with tempfile.TemporaryDirectory(prefix="kernelhub-env-spec-") as source:
        with open(os.path.join(source, "kernel.json"), "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, ensure_ascii=False)
        _logos(env, source)
        path = install_spec(
            source,
            name=args.name or default_name(env),
            user=args.user,
            prefix=env.prefix if args.sys_prefix else args.prefix,
            replace=args.replace,
        )
    remember(env.prefix, strict=False)  # listed by `kernelhub envs` from anywhere from now on
    stale = warn_about(path)
    print(
        f"installed kernelspec for {env.id} ({env.executable}) in {path}"
        + (" (stale: it cannot start as it is)" if stale else "")
    )
    return 0
