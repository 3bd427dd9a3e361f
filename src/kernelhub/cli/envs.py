"""``kernelhub envs``: every Python environment found on this machine, read from its files.

Nothing is run to list them (no interpreter, no ``conda``). What discovery skipped is
reported as warnings on stderr; the listing itself goes to stdout. ``--json`` prints a JSON
array, one object per environment (see :meth:`kernelhub.envs.Environment.to_json`).
"""

from __future__ import annotations

import argparse
import sys

from kernelhub.cli._output import print_json, print_table, styled

_STATUS_STYLE = {"ok": "green", "broken": "red"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``envs`` command."""
    parser = sub.add_parser("envs", help="list every Python environment", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print a JSON array (stable schema)")
    parser.add_argument(
        "--kernels", action="store_true", help="only environments with ipykernel installed"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """List environments as a table or as JSON."""
    from kernelhub.envs import discover

    result = discover()
    for problem in result.problems:
        print(f"kernelhub: warning: skipped {problem}", file=sys.stderr)
    envs = [e for e in result if e.has_ipykernel or not args.kernels]
    if args.json:
        print_json([env.to_json() for env in envs])
        return 0
    rows = [
        (
            env.id,
            env.kind,
            env.python_version or "?",
            env.ipykernel_version or "-",
            env.prefix,
            styled(env.status, _STATUS_STYLE.get(env.status, "")),
        )
        for env in envs
    ]
    print_table(("ID", "KIND", "PYTHON", "IPYKERNEL", "PREFIX", "STATUS"), rows)
    for env in envs:
        for diagnostic in env.diagnostics:
            print(f"  {env.id}: {diagnostic}")
    return 0
