"""``kernelhub install``: install a kernelspec from a directory or from a command line.

kernelhub install ./my-kernel --user
kernelhub install --name py311 -- /usr/bin/python3.11 -m ipykernel_launcher -f {connection_file}
"""

from __future__ import annotations

import argparse

from kernelhub.errors import SpecError


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
        metavar="KEY=VALUE",
        help="an environment variable for the kernel (repeatable)",
    )
    parser.add_argument(
        "--interrupt-mode", choices=("signal", "message"), help="how to interrupt the kernel"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="install for this user (default)")
    where.add_argument("--sys-prefix", action="store_true", help="install into this environment")
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


def guess_language(argv: list[str]) -> str | None:
    """``"python"`` for a command line that runs a Python interpreter or ipykernel, else None."""
    import os
    import re

    program = os.path.basename(argv[0]).lower()
    if re.fullmatch(r"python[0-9.]*(\.exe)?", program) or any("ipykernel" in a for a in argv):
        return "python"
    return None


def run(args: argparse.Namespace) -> int:
    """Install one kernelspec and say where it went."""
    from kernelhub.specs import install_spec

    argv: list[str] = args.command_line
    if args.source and argv:
        raise SpecError("give either a directory holding kernel.json or a command line, not both")
    if not args.source and not argv:
        raise SpecError(
            "nothing to install: give a directory holding kernel.json, "
            "or the kernel's command line after --"
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
        env=parse_env(args.env) or None,
        interrupt_mode=args.interrupt_mode,
        user=args.user,
        sys_prefix=args.sys_prefix,
        prefix=args.prefix,
        replace=args.replace,
    )
    print(f"installed kernelspec in {path}")
    return 0
