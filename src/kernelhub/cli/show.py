"""``kernelhub show ID``: everything about one kernel type."""

from __future__ import annotations

import argparse
import json

from kernelhub.cli._output import print_json


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``show`` command."""
    parser = sub.add_parser("show", help="show one kernel type", description=__doc__)
    parser.add_argument("id", metavar="ID", help="a kernel id (spec/python3) or a bare name")
    parser.add_argument("--json", action="store_true", help="print the JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Show one kernel type."""
    from kernelhub.cli.listing import report_problems
    from kernelhub.providers.finder import KernelFinder

    finder = KernelFinder.from_entrypoints()
    kernel = finder.get(args.id)
    report_problems(finder)
    if args.json:
        print_json(kernel.to_json())
        return 0
    fields: list[tuple[str, str]] = [
        ("id", kernel.id),
        ("display name", kernel.display_name),
        ("language", kernel.language),
        ("status", kernel.status),
        ("argv", " ".join(kernel.argv)),
        ("runs", kernel.executable or "(not found)"),
        ("interpreter", kernel.interpreter or "-"),
        ("interrupt mode", kernel.interrupt_mode),
        ("resource dir", kernel.resource_dir or "-"),
        ("resources", ", ".join(kernel.resources) or "-"),
        ("origin", kernel.origin or "-"),
    ]
    if kernel.env:
        fields.append(("env", ", ".join(f"{k}={v}" for k, v in kernel.env.items())))
    if kernel.metadata:
        fields.append(("metadata", json.dumps(dict(kernel.metadata), sort_keys=True)))
    if kernel.kernel_protocol_version:
        fields.append(("protocol", kernel.kernel_protocol_version))
    width = max(len(name) for name, _ in fields)
    for name, value in fields:
        print(f"{name.ljust(width)}  {value}")
    for diagnostic in kernel.diagnostics:
        print(f"{'problem'.ljust(width)}  {diagnostic}")
    return 0
