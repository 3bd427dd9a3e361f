"""Checks on kernelspecs themselves: stale, invalid, shadowed, duplicate display names."""

from __future__ import annotations

from collections.abc import Iterable

from kernelhub.doctor.checks.python import env_prefix
from kernelhub.doctor.model import Context, Finding, Fix, Severity
from kernelhub.specs import SpecEntry

__all__ = [
    "duplicate_display_names",
    "invalid",
    "no_connection_file",
    "shadowed",
    "stale",
    "winners",
]


def winners(ctx: Context) -> Iterable[SpecEntry]:
    """The specs that own their name (valid ones; the native kernel included)."""
    return (e for e in ctx.entries if e.shadowed_by is None and e.spec is not None)


def stale(ctx: Context) -> list[Finding]:
    """Specs whose program is gone; the fix removes the spec directory.

    A spec that is stale although its program exists (its Python has no ipykernel) is not
    one: installing ipykernel mends it, and ``env-lost-ipykernel`` says how.
    """
    out = []
    for entry in ctx.entries:
        if entry.status != "stale" or entry.spec is None or entry.kernel_file is None:
            continue
        if entry.executable is not None:
            continue
        argv0 = entry.spec.argv[0]
        out.append(
            Finding(
                "spec-stale",
                "warning",
                entry.name,
                f"kernelspec {entry.name!r} ({entry.resource_dir}) runs {argv0!r}, "
                "which no longer exists: the kernel cannot start",
                fix=Fix(
                    "remove-spec",
                    entry.resource_dir,
                    f"remove the stale kernelspec {entry.name!r} ({entry.resource_dir})",
                    before=(f"- {entry.resource_dir}",),
                    name=entry.name,
                ),
            )
        )
    return out


def no_connection_file(ctx: Context) -> list[Finding]:
    """Specs whose argv never names {connection_file}: the kernel is never told its ports."""
    out = []
    for entry in winners(ctx):
        if entry.spec is None or entry.kernel_file is None:
            continue
        if any("{connection_file}" in arg for arg in entry.spec.argv):
            continue
        out.append(
            Finding(
                "spec-no-connection-file",
                "warning",
                entry.name,
                f"kernelspec {entry.name!r} ({entry.kernel_file}) has no {{connection_file}} in "
                "its argv: the kernel is never told which ports to use, so no client can reach it",
                hint=f"add the option that takes the connection file to argv in "
                f'{entry.kernel_file} (for ipykernel: "-f", "{{connection_file}}")',
            )
        )
    return out


def invalid(ctx: Context) -> list[Finding]:
    """kernel.json files that cannot be used, and directories that only look like specs."""
    out = []
    for entry in ctx.entries:
        if entry.spec is not None:
            continue
        hidden = entry.shadowed_by is not None
        if entry.error is None:  # a look-alike directory: no kernel.json, dangling link, ...
            out.append(
                Finding(
                    "spec-dir-invalid",
                    "warning",
                    entry.name,
                    "; ".join(entry.diagnostics),
                    hint=f"repair or delete {entry.resource_dir}",
                )
            )
            continue
        why = "; ".join(d for d in entry.diagnostics if not d.startswith("shadowed by"))
        message = f"kernelspec {entry.name!r} cannot be used: {why}"
        if hidden:
            message += f" (it is hidden anyway by {entry.shadowed_by})"
        hint = (
            f"repair or delete {entry.resource_dir}"
            if hidden
            else f"repair {entry.kernel_file}, or remove the spec: kernelhub remove {entry.name}"
        )
        severity: Severity = "info" if hidden else "error"
        out.append(Finding("spec-invalid", severity, entry.name, message, hint=hint))
    return out


def shadowed(ctx: Context) -> list[Finding]:
    """Names held by several directories: which one wins, which are hidden.

    A warning when a hidden spec would run another environment than the winner (someone
    may think they are using it); otherwise information.
    """
    groups: dict[str, list[SpecEntry]] = {}
    for entry in ctx.entries:
        if entry.spec is not None or entry.error is not None:
            groups.setdefault(entry.name, []).append(entry)
    out = []
    for name, entries in groups.items():
        winner = next((e for e in entries if e.shadowed_by is None), None)
        if winner is None:
            continue
        runs = winner.executable and env_prefix(winner.executable)
        # ipykernel's own python3 spec hiding the native kernel of the same Python is the
        # normal state of every environment with ipykernel: not worth a word.
        hidden = [
            e
            for e in entries
            if e.shadowed_by is not None
            and not (e.kernel_file is None and e.executable and env_prefix(e.executable) == runs)
        ]
        if not hidden:
            continue
        where = [_where(e) for e in hidden]
        message = (
            f"{len(hidden) + 1} kernelspecs are named {name!r}: {_where(winner)} wins; hidden: "
        )
        message += ", ".join(where)
        differ = [
            e.executable
            for e in hidden
            if e.executable and runs and env_prefix(e.executable) != runs
        ]
        if differ:
            message += f"; a hidden one runs another environment ({differ[0]})"
        out.append(
            Finding(
                "spec-shadowed",
                "warning" if differ else "info",
                name,
                message,
                hint="delete the hidden directories you no longer need; "
                f"`kernelhub remove {name}` removes the winner",
            )
        )
    return out


def _where(entry: SpecEntry) -> str:
    return entry.resource_dir if entry.kernel_file else f"the native kernel ({entry.executable})"


def duplicate_display_names(ctx: Context) -> list[Finding]:
    """Different kernels that look the same in a frontend's kernel picker."""
    groups: dict[str, list[SpecEntry]] = {}
    for entry in winners(ctx):
        if entry.spec is not None and entry.spec.display_name.strip():
            groups.setdefault(entry.spec.display_name.strip().casefold(), []).append(entry)
    out = []
    for entries in groups.values():
        if len(entries) < 2:
            continue
        shown = entries[0].spec.display_name if entries[0].spec else ""
        names = ", ".join(f"{e.name} ({_where(e)})" for e in entries)
        files = " or ".join(e.kernel_file for e in entries if e.kernel_file)
        out.append(
            Finding(
                "display-name-duplicate",
                "warning",
                shown,
                f"{len(entries)} kernels are shown as {shown!r}: {names}",
                hint=f'give each its own "display_name": edit {files}'
                if files
                else "give each its own display_name",
            )
        )
    return out
