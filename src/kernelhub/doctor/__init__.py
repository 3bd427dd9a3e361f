"""``kernelhub doctor``'s checks: every problem with kernels and environments, and safe fixes.

::

    from kernelhub.doctor import run_checks

    for finding in run_checks():
        print(finding.severity, finding.code, finding.message)
        if finding.fix is not None:
            print(finding.fix.apply())       # re-checks, then acts; raises if it cannot

The checks are pure: they read the kernelspec directories, the environments (from their
files, as :mod:`kernelhub.envs` does), the runtime directory and the process table, and
return frozen :class:`Finding` records. Nothing changes on disk until a :class:`Fix` is
applied. Imports go one way: :mod:`.checks` (kernelspecs, environments, the runtime
directory) make the :mod:`.model` records, whose fixes :mod:`.fixes` carries out; fixes and
checks share :mod:`.processes` (which connection files live processes name).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Mapping

from kernelhub.doctor.model import SEVERITIES, Context, Finding, Fix, FixAction, Severity
from kernelhub.envs import Discovery

__all__ = [
    "SEVERITIES",
    "Context",
    "Finding",
    "Fix",
    "FixAction",
    "Severity",
    "gather",
    "run_checks",
]


def gather(
    *,
    discovery: Discovery | None = None,
    environ: Mapping[str, str] | None = None,
    kernel_dirs: list[str] | None = None,
    runtime_dir: str | None = None,
    min_age: float = 5.0,
) -> Context:
    """Read the state every check looks at, once.

    Defaults: the live environment (through :mod:`kernelhub.environ`), the registry's
    directories, :func:`kernelhub.envs.discover`, the Jupyter runtime directory.
    """
    from kernelhub import environ as kh_environ
    from kernelhub import paths
    from kernelhub.envs import discover
    from kernelhub.specs import SpecRegistry

    variables = kh_environ.variables() if environ is None else environ
    entries = SpecRegistry(kernel_dirs).entries(include_hidden=True)
    if discovery is None:
        discovery = discover(environ=variables)
    path = variables.get("PATH", os.defpath)
    return Context(
        entries=tuple(entries),
        discovery=discovery,
        environ=dict(variables),
        interpreter=sys.executable,
        prefix=sys.prefix,
        runtime_dir=runtime_dir if runtime_dir is not None else paths.runtime_dir(),
        home=variables.get("HOME") or kh_environ.home(),
        min_age=min_age,
        user_kernel_dir=paths.user_kernel_dir(),
        uv=shutil.which("uv", path=path),
    )


def _checks() -> tuple[Callable[[Context], list[Finding]], ...]:
    from kernelhub.doctor.checks import envs, python, runtime, specs

    return (
        specs.stale,
        specs.no_connection_file,
        specs.invalid,
        specs.shadowed,
        python.python3_elsewhere,
        python.argv0_on_path,
        specs.duplicate_display_names,
        envs.lost_ipykernel,
        envs.unregistered,
        runtime.runtime_dir,
        runtime.connection_files,
    )


def run_checks(context: Context | None = None) -> list[Finding]:
    """Run every check; findings sorted by severity (errors first), then in check order.

    A check that trips over the file system (a directory vanishing mid-way) does not stop
    the others: it becomes an ``info`` finding ``doctor-check-failed`` naming the check.
    """
    ctx = context if context is not None else gather()
    found: list[Finding] = []
    for check in _checks():
        try:
            found.extend(check(ctx))
        except OSError as exc:
            name = check.__name__.replace("_", "-")
            found.append(
                Finding(
                    "doctor-check-failed",
                    "info",
                    name,
                    f"the {name} check stopped: {exc}",
                )
            )
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(found, key=lambda f: rank[f.severity])
