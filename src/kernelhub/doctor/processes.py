"""Which connection files live processes name: the one fact both a check and a fix need.

A connection file is *in use* when some live process has its name in its command line
(``ipykernel_launcher -f .../kernel-<id>.json``, ``jupyter console --existing kernel-<id>``):
the name is a fresh UUID, so a match on the file name alone is safe and errs towards keeping
files.
"""

from __future__ import annotations

import os

__all__ = ["command_lines", "in_use"]


def command_lines() -> list[str]:
    """The command lines of every process we can see, each joined with NUL bytes."""
    import psutil

    out = []
    for proc in psutil.process_iter(["cmdline"]):
        # process_iter puts None where access is denied or the process is gone.
        cmdline = proc.info.get("cmdline")
        if cmdline:
            out.append("\0".join(cmdline))
    return out


def in_use(path: str, lines: list[str] | None = None) -> bool:
    """Whether a live process names the connection file ``path`` in its command line."""
    name = os.path.basename(path)
    return any(name in line for line in (command_lines() if lines is None else lines))
