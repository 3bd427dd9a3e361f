"""``kernelhub doctor``: find problems with kernels and environments, and fix the safe ones.

kernelhub doctor              findings grouped by severity, each with its fix or a hint
kernelhub doctor --json       the same as JSON
kernelhub doctor --fix        show the safe fixes, ask, apply them, report each
kernelhub doctor --fix --yes  apply without asking (needed when stdin is not a terminal)

Safe fixes: remove a stale kernelspec, pin a bare `python` argv[0] to the interpreter it
means now, chmod the runtime directory (0700) and connection files (0600), remove connection
files no running process uses. Nothing else is changed; every other finding gets a hint.

--json prints {"findings": [...], "counts": {"error": N, "warning": N, "info": N}}; each
finding is {"code", "severity", "subject", "message", "hint", "fix"}, and fix is null or
{"action", "path", "description", "before", "after"}. With --fix --yes it adds "fixes"
([{"code", "subject", "ok", "message"}]) and "remaining" (the findings after fixing).

Exit status: 0 when nothing worse than information was found (with --fix: nothing is left
after fixing); 1 when errors or warnings were found or remain, a fix failed, or the fixes
were not confirmed; 2 for a usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kernelhub.errors import KernelhubError

if TYPE_CHECKING:
    from kernelhub.doctor import Finding

_TITLES = {"error": "errors", "warning": "warnings", "info": "information"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``doctor`` command."""
    parser = sub.add_parser(
        "doctor",
        help="find problems with kernels and environments, and fix them",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--fix", action="store_true", help="apply the safe fixes, after asking")
    parser.add_argument("-y", "--yes", action="store_true", help="with --fix: apply without asking")
    parser.add_argument("--json", action="store_true", help="print JSON (see the description)")
    parser.set_defaults(func=run)


def _serious(findings: Sequence[Finding]) -> int:
    return sum(1 for f in findings if f.severity in ("error", "warning"))


def _print_findings(findings: Sequence[Finding]) -> None:
    from kernelhub.doctor import SEVERITIES

    out = sys.stdout
    if not findings:
        out.write("no problems found\n")
        return
    for severity in SEVERITIES:
        group = [f for f in findings if f.severity == severity]
        if not group:
            continue
        out.write(f"{_TITLES[severity]} ({len(group)})\n")
        for f in group:
            out.write(f"  [{f.code}] {f.subject}\n      {f.message}\n")
            if f.fix is not None:
                out.write(f"      fix: {f.fix.description}\n")
            if f.hint:
                out.write(f"      hint: {f.hint}\n")
        out.write("\n")
    counts = ", ".join(
        f"{n} {_TITLES[s] if n != 1 or s == 'info' else s}"
        for s in SEVERITIES
        if (n := sum(1 for f in findings if f.severity == s))
    )
    fixable = sum(1 for f in findings if f.fix is not None)
    tail = f"; {fixable} can be fixed with `kernelhub doctor --fix`" if fixable else ""
    out.write(f"{counts}{tail}\n")


def _print_fix_plan(findings: Sequence[Finding]) -> None:
    out = sys.stdout
    out.write(f"kernelhub doctor will apply {len(findings)} fix(es):\n")
    for i, f in enumerate(findings, 1):
        assert f.fix is not None
        out.write(f"  {i}. {f.fix.description}\n")
        for line in (*f.fix.before, *f.fix.after):
            out.write(f"       {line}\n")


def _confirm(count: int) -> bool:
    from kernelhub.cli._output import confirm

    return confirm(
        f"apply these {count} fix(es)?",
        refusal="doctor --fix asks before changing anything and stdin is not a terminal; "
        "re-run with --fix --yes to apply the fixes shown",
    )


def _apply(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    results = []
    for f in findings:
        assert f.fix is not None
        try:
            message, ok = f.fix.apply(), True
        except KernelhubError as exc:
            message, ok = str(exc), False
        results.append({"code": f.code, "subject": f.subject, "ok": ok, "message": message})
    return results


def run(args: argparse.Namespace) -> int:
    """Run the checks; with ``--fix``, apply the safe fixes; return the documented status."""
    from kernelhub.doctor import run_checks
    from kernelhub.envs import clear_cache

    findings = run_checks()
    if not args.fix:
        if args.json:
            _print_json(findings)
        else:
            _print_findings(findings)
        return 1 if _serious(findings) else 0
    if args.yes is False and args.json:
        raise KernelhubError("doctor --fix --json cannot ask for confirmation; add --yes")
    fixable = [f for f in findings if f.fix is not None]
    if not fixable:
        if args.json:
            _print_json(findings, fixes=[], remaining=findings)
        else:
            _print_findings(findings)
            sys.stdout.write("nothing kernelhub doctor can fix safely\n")
        return 1 if _serious(findings) else 0
    if not args.json:
        _print_fix_plan(fixable)
    if not args.yes and not _confirm(len(fixable)):
        sys.stdout.write("nothing changed\n")
        return 1
    results = _apply(fixable)
    clear_cache()  # environments may have changed under the cached discovery
    remaining = run_checks()
    if args.json:
        _print_json(findings, fixes=results, remaining=remaining)
    else:
        for r in results:
            sys.stdout.write(f"{'fixed' if r['ok'] else 'FAILED'}: {r['message']}\n")
        left = _serious(remaining)
        sys.stdout.write(
            f"{left} error(s) or warning(s) remain; run `kernelhub doctor` for details\n"
            if left
            else "no errors or warnings remain\n"
        )
    failed = any(not r["ok"] for r in results)
    return 1 if failed or _serious(remaining) else 0


def _print_json(
    findings: Sequence[Finding],
    *,
    fixes: list[dict[str, Any]] | None = None,
    remaining: Sequence[Finding] | None = None,
) -> None:
    from kernelhub.cli._output import print_json
    from kernelhub.doctor import SEVERITIES

    doc: dict[str, Any] = {
        "findings": [f.to_json() for f in findings],
        "counts": {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES},
    }
    if fixes is not None:
        doc["fixes"] = fixes
        doc["remaining"] = [f.to_json() for f in remaining or ()]
    print_json(doc)
