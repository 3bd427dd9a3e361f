"""``kernelhub remove``: remove kernelspecs by name, or those whose program is gone."""

from __future__ import annotations

import argparse
import sys

from kernelhub.errors import SpecError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``remove`` command."""
    parser = sub.add_parser("remove", help="remove kernelspecs", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help="kernelspec names to remove")
    parser.add_argument(
        "--missing",
        action="store_true",
        help="remove the kernelspecs whose argv[0] no longer exists (stale)",
    )
    parser.add_argument("-y", "--yes", action="store_true", help="do not ask before --missing")
    parser.add_argument("--dry-run", action="store_true", help="say what would go; remove nothing")
    parser.set_defaults(func=run)


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return True
    answer = input(f"{question} [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def run(args: argparse.Namespace) -> int:
    """Remove the named kernelspecs (or the stale ones) and say what went."""
    from kernelhub.specs import SpecRegistry, remove_specs, stale_spec_names

    registry = SpecRegistry()
    if args.missing and args.names:
        raise SpecError("give names or --missing, not both")
    if args.missing:
        names = stale_spec_names(registry)
        if not names:
            print("no stale kernelspecs")
            return 0
        for name in names:
            print(f"stale: {name}  {registry.entry(name, aliases=False).resource_dir}")
        if args.dry_run or not (args.yes or _confirm(f"remove {len(names)} kernelspec(s)?")):
            return 0
    elif args.names:
        names = args.names
        if args.dry_run:
            # The same lookup remove_specs makes: the winner of each name, aliases not followed,
            # whatever its status (an invalid spec can be removed too).
            for name in names:
                entry = registry.entry(name, aliases=False)
                print(f"would remove: {entry.name}  {entry.resource_dir}")
            return 0
    else:
        raise SpecError("nothing to remove: give kernelspec names, or --missing")
    for path in remove_specs(names, registry=registry):
        print(f"removed {path}")
    return 0
