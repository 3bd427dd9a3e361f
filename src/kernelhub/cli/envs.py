"""``kernelhub envs``: every Python environment found on this machine, read from its files.

Nothing is run to list them (no interpreter, no ``conda``). What discovery skipped is
reported as warnings on stderr; the listing itself goes to stdout. --json prints a JSON
array, one object per environment.

Besides each tool's own places, environments are looked for under the working directory's
parents, under HOME and the usual project directories (~/src, ~/code, ~/projects, ...; set
KERNELHUB_ENV_SEARCH_ROOTS, KERNELHUB_ENV_SEARCH_DEPTH and KERNELHUB_ENV_SEARCH_BUDGET to
change where, how deep and for how many seconds; depth 0 turns it off), and in kernelhub's
own list of environments (kernelhub-environments.txt in the Jupyter data directory), which
install --env and project environments found from the working directory are added to.
--forget PREFIX removes an entry from that list.
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
    parser.add_argument(
        "--forget",
        metavar="PREFIX",
        help="remove PREFIX from kernelhub's list of environments, then list",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """List environments as a table or as JSON."""
    from kernelhub.envs import discover, forget
    from kernelhub.envs.registry import registry_file

    if args.forget:
        path = registry_file()
        if not forget(args.forget, path=path):
            from kernelhub.errors import EnvError

            raise EnvError(
                f"--forget {args.forget!r}: not in {path}; expected a prefix listed there"
            )
        print(f"kernelhub: forgot {args.forget} (removed from {path})", file=sys.stderr)
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
