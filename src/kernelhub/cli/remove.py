"""``kernelhub remove``: remove kernelspecs by name, or those whose program is gone.

Every removal says which kernelspec went, from where (the user's kernelspecs, an
environment's, the system's) and its directory. --missing shows the stale kernelspecs and
asks before removing them; off a terminal nobody can answer, so it removes nothing and exits
with status 1 unless --yes is given (the same rule as doctor --fix).
"""

from __future__ import annotations

import argparse

from kernelhub.errors import NoSuchKernelError, SpecError
from kernelhub.specs.install import place


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``remove`` command."""
    parser = sub.add_parser(
        "remove",
        help="remove kernelspecs",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help="kernelspec names to remove")
    parser.add_argument(
        "--missing",
        action="store_true",
        help="remove the kernelspecs whose argv[0] no longer exists (stale)",
    )
    parser.add_argument(
        "-y",
        "--yes",
        action="store_true",
        help="with --missing: remove without asking (needed when stdin is not a terminal)",
    )
    parser.add_argument("--dry-run", action="store_true", help="say what would go; remove nothing")
    parser.set_defaults(func=run)


def _after(name: str) -> str:
    """What ``name`` means once its winner is gone: another spec, the native kernel, nothing."""
    from kernelhub.specs import SpecRegistry

    try:
        entry = SpecRegistry().entry(name, aliases=False)
    except NoSuchKernelError:
        return ""
    if entry.kernel_file is None:
        return f"; {name!r} is still listed: the native kernel of {entry.executable}"
    return f"; {name!r} is still listed: now {entry.resource_dir}"


def run(args: argparse.Namespace) -> int:
    """Remove the named kernelspecs (or the stale ones) and say what went, and from where."""
    from kernelhub.cli._output import confirm
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
        if args.dry_run:
            return 0
        if not args.yes and not confirm(
            f"remove {len(names)} kernelspec(s)?",
            refusal="remove --missing asks before removing and stdin is not a terminal; "
            f"re-run with --missing --yes to remove the {len(names)} kernelspec(s) shown",
        ):
            print("nothing removed")
            return 1
    elif args.names:
        names = args.names
    else:
        raise SpecError("nothing to remove: give kernelspec names, or --missing")
    # The same lookup remove_specs makes: the winner of each name, aliases not followed,
    # whatever its status (an invalid spec can be removed too).
    entries = {}
    for name in names:
        entry = registry.entry(name, aliases=False)
        if entry.kernel_file is None:
            remove_specs([name], registry=registry)  # refuses the native kernel, in its words
        entries[entry.resource_dir] = entry
    if args.dry_run:
        for entry in entries.values():
            where = place(entry.resource_dir)
            print(f"would remove: {entry.name}  {entry.resource_dir}  (from {where})")
        return 0
    for path in remove_specs(names, registry=registry):
        entry = entries[path]
        print(f"removed kernelspec {entry.name!r} from {place(path)}: {path}{_after(entry.name)}")
    return 0
