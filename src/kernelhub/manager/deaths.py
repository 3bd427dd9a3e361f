"""Why a kernel died, in words a person can act on.

A kernel's death is known from three things: its exit status (a code or a signal), what it
wrote last (the tail of its output log), and what we had asked of it (a shutdown, a kill).
:func:`explain` turns them into a :class:`Death` record whose ``reason`` reads like
``"exited with code 1: ModuleNotFoundError: No module named 'ipykernel'"`` or
``"killed by signal 9 (SIGKILL), possibly out of memory"``.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass
from typing import Literal

__all__ = ["Cause", "Death", "explain", "explain_after", "last_lines", "signal_name"]

#: What ended the kernel, from our point of view.
Cause = Literal["requested", "killed", "unexpected"]

# Why each signal usually arrives, for the signals whose number alone means little to people.
_SIGNAL_HINTS: dict[int, str] = {
    signal.SIGKILL: "possibly out of memory",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGABRT: "aborted",
    signal.SIGBUS: "bus error",
    signal.SIGFPE: "floating-point exception",
    signal.SIGILL: "illegal instruction",
    signal.SIGTERM: "terminated",
    signal.SIGINT: "interrupted",
    signal.SIGHUP: "hang-up",
    signal.SIGPIPE: "broken pipe",
}

# How many lines of the kernel's own output a reason quotes, and how long it may get.
_QUOTED_LINES = 3
_QUOTED_CHARS = 600


@dataclass(frozen=True)
class Death:
    """How a kernel process ended.

    ``exit_code`` is the process status as asyncio/subprocess report it (negative: killed by
    that signal). ``cause`` says whether we asked for it (``"requested"``), forced it
    (``"killed"``: after a shutdown timed out, or because the heartbeat stopped) or neither
    (``"unexpected"``). ``output`` is the tail of what the kernel wrote.
    """

    exit_code: int | None
    reason: str
    cause: Cause
    output: str = ""

    @property
    def signal(self) -> int | None:
        """The signal that killed the kernel, if one did."""
        return -self.exit_code if self.exit_code is not None and self.exit_code < 0 else None

    @property
    def expected(self) -> bool:
        """Whether the death was our doing (a shutdown or a kill), not the kernel's."""
        return self.cause != "unexpected"


def signal_name(signum: int) -> str:
    """``SIGKILL`` for 9; ``signal 99`` for numbers Python does not name."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def last_lines(output: str, n: int = _QUOTED_LINES) -> str:
    """The last ``n`` non-blank lines of ``output`` joined by `` | ``, at most a few hundred chars.

    Tracebacks end with the line that matters (``ValueError: ...``), so the tail is quoted.
    """
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    text = " | ".join(lines[-n:])
    if len(text) > _QUOTED_CHARS:
        text = "..." + text[-_QUOTED_CHARS:]
    return text


def _status_words(exit_code: int | None) -> str:
    if exit_code is None:
        # Only a process that is not our child (re-attached by a later server) ends unreaped.
        return "exited while not our child (exit status unknown)"
    if exit_code < 0:
        signum = -exit_code
        words = f"killed by signal {signum} ({signal_name(signum)})"
        hint = _SIGNAL_HINTS.get(signum)
        return f"{words}, {hint}" if hint else words
    words = f"exited with code {exit_code}"
    # Kernels started through a shell or wrapper script report a child's death as 128 + signal.
    if 128 < exit_code < 128 + 65:
        words += f" (a child was probably killed by {signal_name(exit_code - 128)})"
    return words


def explain(
    exit_code: int | None,
    output: str = "",
    *,
    cause: Cause = "unexpected",
    detail: str | None = None,
) -> Death:
    """Describe a kernel's death.

    ``detail`` replaces the standard wording for deaths we caused (for example
    ``"killed after it ignored SIGTERM for 2.0 s"``).
    """
    if cause == "requested":
        reason = detail or "shut down on request"
    elif cause == "killed":
        reason = detail or f"killed by kernelhub ({_status_words(exit_code)})"
    else:
        reason = _status_words(exit_code)
        tail = last_lines(output)
        if tail:
            reason += f": {tail}"
        if detail:
            reason += f" ({detail})"
    return Death(exit_code=exit_code, reason=reason, cause=cause, output=output)


def explain_after(
    exit_code: int | None, output: str, ready_output: str = "", *, killed: str | None = None
) -> Death:
    """Describe the death of a kernel that had been ready, quoting only what it wrote since.

    ``ready_output`` is the output at the moment the kernel became ready: start-up chatter
    (ipykernel's warning about unencrypted TCP) explains no later death. ``killed`` is the
    reason we killed it, if we did (a missed heartbeat).
    """
    if ready_output and output.startswith(ready_output):
        output = output[len(ready_output) :]
    if killed:
        return explain(exit_code, output, cause="killed", detail=killed)
    return explain(exit_code, output)
