"""The records the doctor produces: findings, the safe fixes attached to them, their context.

A :class:`Finding` is one problem (or one fact worth knowing) with a human message. Its
``fix`` is set only when the remedy is safe to apply unattended: it touches one file or
directory the finding names, and :meth:`Fix.apply` checks again, at the moment it acts, that
the reason for acting still holds (a spec still stale, a connection file still unused, a
kernel.json still holding the argv[0] that was shown). Anything that needs judgement is a
``hint`` instead: text the user can act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from kernelhub.envs import Discovery
from kernelhub.specs import SpecEntry

__all__ = ["SEVERITIES", "Context", "Finding", "Fix", "FixAction", "Severity"]

Severity = Literal["error", "warning", "info"]
#: Severities, most serious first: the order the CLI prints groups in.
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")

FixAction = Literal["remove-spec", "rewrite-argv0", "chmod", "remove-connection-file"]


@dataclass(frozen=True)
class Fix:
    """A safe action that removes the problem of one finding.

    ``action`` says what kind; ``path`` is the one file or directory it touches;
    ``description`` says it in words; ``before``/``after`` show the change line by line
    (diff-like, for people). The remaining fields are the action's parameters: the spec
    ``name`` to remove, the ``old``/``new`` argv[0] of a rewrite, the ``mode`` of a chmod.
    """

    action: FixAction
    path: str
    description: str
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    name: str | None = None
    old: str | None = None
    new: str | None = None
    mode: int | None = None
    min_age: float = 0.0

    def apply(self) -> str:
        """Re-check the precondition, act, and return what was done (one line).

        Raises a :class:`~kernelhub.errors.KernelhubError` naming the path when the
        precondition no longer holds or the action fails; nothing is changed then.
        """
        from kernelhub.doctor import fixes

        return fixes.apply(self)

    def to_json(self) -> dict[str, Any]:
        """The JSON form used by ``kernelhub doctor --json``."""
        return {
            "action": self.action,
            "path": self.path,
            "description": self.description,
            "before": list(self.before),
            "after": list(self.after),
        }


@dataclass(frozen=True)
class Finding:
    """One thing the doctor found.

    ``code`` is stable and machine-readable (``spec-stale``, ``connection-file-dead``);
    ``subject`` names what it is about (a kernel name, an environment id, a path);
    ``message`` explains it; ``hint`` suggests what to do when there is no safe ``fix``
    (or what else could be done).
    """

    code: str
    severity: Severity
    subject: str
    message: str
    fix: Fix | None = None
    hint: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON form used by ``kernelhub doctor --json``."""
        return {
            "code": self.code,
            "severity": self.severity,
            "subject": self.subject,
            "message": self.message,
            "hint": self.hint,
            "fix": self.fix.to_json() if self.fix is not None else None,
        }


@dataclass(frozen=True)
class Context:
    """Everything the checks look at, gathered once so that every check sees the same state.

    ``entries`` are the registry's entries with hidden ones; ``discovery`` the environments;
    ``environ`` the variables that say what the user has active (``VIRTUAL_ENV``,
    ``CONDA_PREFIX``, ``PATH``); ``interpreter``/``prefix`` the Python kernelhub runs in (what
    ``python3`` means to jupyter_client running here); ``runtime_dir`` where connection files
    live; connection files younger than ``min_age`` seconds are never called dead (a kernel
    may be about to start on them). ``home`` is where a user site-packages is looked for;
    ``user_kernel_dir`` is where ``--user`` specs go (its parent is not an environment);
    ``uv`` is uv's path when it is on PATH (install hints then use it).
    """

    entries: tuple[SpecEntry, ...]
    discovery: Discovery
    environ: Mapping[str, str]
    interpreter: str
    prefix: str
    runtime_dir: str
    home: str
    min_age: float = 5.0
    user_kernel_dir: str = ""
    uv: str | None = None
