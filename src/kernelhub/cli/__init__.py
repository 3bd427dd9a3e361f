"""The ``kernelhub`` command: the user's front door.

Each subcommand lives in its own module with a ``register(subparsers)`` function that adds its
parser and sets ``func``; its module docstring is usually its description, and its reST markup
is turned into plain text here (:func:`plain`) so that ``--help`` reads as text. Only the
module of the command being run is imported, so that ``kernelhub list`` never pays for the
client, ZeroMQ or rich. Every error is rendered here, in
one place: a :class:`~kernelhub.errors.KernelhubError` becomes one line on stderr and exit
status 1, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Sequence

__all__ = ["COMMANDS", "main", "plain"]

# name -> (module, one-line help). The order is the order of `kernelhub --help`.
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("kernelhub.server.cli", "serve every kernel to Jupyter frontends (REST + WebSocket)"),
    "list": ("kernelhub.cli.listing", "list every kernel type"),
    "show": ("kernelhub.cli.show", "show everything about one kernel type"),
    "install": ("kernelhub.cli.install", "install a kernelspec"),
    "remove": ("kernelhub.cli.remove", "remove kernelspecs"),
    "envs": ("kernelhub.cli.envs", "list every Python environment"),
    "which": ("kernelhub.cli.which", "say which interpreter and environment a kernel runs"),
    "check": ("kernelhub.cli.check", "check that packages are installed where a kernel runs"),
    "doctor": ("kernelhub.cli.doctor", "find problems with kernels and environments, and fix them"),
    "run": ("kernelhub.cli.run", "run code in a kernel and print its output"),
    "console": ("kernelhub.cli.console", "an interactive console on a kernel"),
}


_ROLE = re.compile(r":[a-zA-Z]+(?::[a-zA-Z]+)*:`([^`]+)`")
_LINK = re.compile(r"`([^`]+?)`__?")
_TITLED = re.compile(r"^(.*?)\s*<([^>]+)>$", re.DOTALL)


def _role(match: re.Match[str]) -> str:
    text = match.group(1)
    titled = _TITLED.match(text)
    if titled:
        return titled.group(1)
    return text.rsplit(".", 1)[-1] if text.startswith("~") else text


def _link(match: re.Match[str]) -> str:
    titled = _TITLED.match(match.group(1))
    return f"{titled.group(1)} ({titled.group(2)})" if titled else match.group(1)


def plain(text: str) -> str:
    """``text`` (a docstring) with its reST markup turned into plain text, for ``--help``.

    ``code`` loses its double backquotes, roles (:func:`x`, :class:`~a.B`) become the name, a
    link becomes its title and address, and a literal block's ``::`` becomes ``:``.
    """
    text = _ROLE.sub(_role, text)
    text = re.sub(r"``(.+?)``", r"\1", text)
    text = _LINK.sub(_link, text)
    text = re.sub(r"(?m)^[ \t]*::[ \t]*\n", "", text)
    return re.sub(r"(?m)(\S)[ \t]?::[ \t]*$", r"\1:", text)


def _plain_help(parser: argparse.ArgumentParser) -> None:
    """Make every text of ``parser`` (and of its subcommands) plain: see :func:`plain`."""
    for attr in ("description", "epilog"):
        value = getattr(parser, attr)
        if value:
            setattr(parser, attr, plain(value))
    for action in parser._actions:
        if isinstance(action.help, str):
            action.help = plain(action.help)
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _plain_help(child)


def _chosen_command(argv: Sequence[str]) -> str | None:
    for arg in argv:
        if not arg.startswith("-"):
            return arg
    return None


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The argument parser, with the full parser of the chosen command only."""
    from kernelhub._version import __version__

    parser = argparse.ArgumentParser(
        prog="kernelhub",
        description="Find, register, launch and keep alive Jupyter kernels.",
    )
    parser.add_argument("--version", action="version", version=f"kernelhub {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = _chosen_command(argv)
    for name, (module, help_text) in COMMANDS.items():
        if name == chosen:
            importlib.import_module(module).register(sub)
        else:
            sub.add_parser(name, help=help_text)
    _plain_help(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    from kernelhub.errors import KernelhubError

    args_list = list(sys.argv[1:] if argv is None else argv)
    # Everything after the first "--" is a command line (`install -- python -m ...`), never
    # options or positionals of ours: split it off before argparse sees it.
    command_line: list[str] | None = None
    if "--" in args_list:
        cut = args_list.index("--")
        args_list, command_line = args_list[:cut], args_list[cut + 1 :]
    parser = build_parser(args_list)
    args = parser.parse_args(args_list)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0 if args.command is None else 2
    if command_line is not None and not getattr(args, "takes_command_line", False):
        parser.error(f"{args.command} takes no command line after --")
    args.command_line = command_line or []
    try:
        status = func(args)
        sys.stdout.flush()
    except KernelhubError as exc:
        print(f"kernelhub: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("kernelhub: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`kernelhub list | head`): not an error worth a traceback.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return int(status or 0)
