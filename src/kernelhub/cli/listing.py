"""``kernelhub list``: every kernel type from every provider."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from kernelhub.cli._output import print_json, print_table, styled

if TYPE_CHECKING:
    from kernelhub.providers.base import KernelType
    from kernelhub.providers.finder import KernelFinder

_STATUS_STYLE = {"ok": "green", "stale": "yellow", "invalid": "red", "shadowed": "dim"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``list`` command."""
    parser = sub.add_parser("list", help="list every kernel type", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print a JSON array (stable schema)")
    parser.add_argument(
        "--all", action="store_true", help="include shadowed and invalid kernelspecs"
    )
    parser.set_defaults(func=run)


def runs(kernel: KernelType) -> str:
    """What really runs for a kernel type, for people."""
    if kernel.executable:
        return kernel.executable
    return kernel.argv[0] if kernel.argv else "-"


def report_problems(finder: KernelFinder) -> None:
    """Warn on stderr about providers that failed; the listing goes on without them."""
    for problem in finder.problems:
        print(
            f"kernelhub: warning: provider {problem.provider!r}: {problem.message}", file=sys.stderr
        )


def run(args: argparse.Namespace) -> int:
    """List kernel types as a table or as JSON."""
    from kernelhub.providers.finder import KernelFinder

    finder = KernelFinder.from_entrypoints()
    kernels = finder.find_kernels(include_hidden=args.all)
    report_problems(finder)
    if args.json:
        print_json([k.to_json() for k in kernels])
        return 0
    rows = []
    for k in kernels:
        status = styled(k.status, _STATUS_STYLE.get(k.status, ""))
        same = k.metadata.get("same_interpreter_as")
        where = runs(k)
        if isinstance(same, list) and same:
            # The same interpreter reached two ways (an environment and a kernelspec): say so,
            # so that they are not taken for two unrelated kernels.
            where += f"  (= {', '.join(map(str, same))})"
        rows.append((k.id, k.display_name, k.language, where, status))
    print_table(("ID", "NAME", "LANGUAGE", "RUNS", "STATUS"), rows)
    if args.all:
        for k in kernels:
            for diagnostic in k.diagnostics:
                print(f"  {k.id}: {diagnostic}")
    elif any(k.status != "ok" or k.diagnostics for k in kernels):
        print("(some kernels need attention: `kernelhub show ID` says why)", file=sys.stderr)
    return 0
