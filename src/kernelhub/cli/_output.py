"""Terminal output for the CLI: rich tables on a terminal, plain text when piped.

rich is imported only when stdout is a terminal, so that piped and ``--json`` output stays
fast. ``NO_COLOR`` is honoured (rich reads it itself; the plain path has no colour at all).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["Styled", "confirm", "print_json", "print_table", "styled"]


def _use_rich() -> bool:
    return sys.stdout.isatty()


def confirm(question: str, *, refusal: str) -> bool:
    """Ask ``question`` on a terminal and return whether the answer was yes.

    The one rule of every command that changes things after showing them (``remove
    --missing``, ``doctor --fix``): ask on a terminal; off a terminal nobody can answer, so
    refuse with :class:`~kernelhub.errors.KernelhubError` (``refusal``, which should say to pass
    ``--yes``) rather than take silence for consent.
    """
    from kernelhub.errors import KernelhubError

    if not sys.stdin.isatty():
        raise KernelhubError(refusal)
    sys.stdout.write(f"{question} [y/N] ")
    sys.stdout.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


def print_json(value: Any) -> None:
    """Print ``value`` as indented JSON."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


class Styled(str):
    """A table cell that already holds rich markup (made by :func:`styled`)."""


def styled(text: str, style: str) -> str:
    """``text`` marked up for rich when rich is used, unchanged otherwise."""
    if not _use_rich() or not style:
        return text
    from rich.markup import escape

    return Styled(f"[{style}]{escape(text)}[/{style}]")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, title: str = "") -> None:
    """Print rows under headers: a rich table on a terminal, aligned columns otherwise.

    Cells may carry rich markup made with :func:`styled`; other text is shown literally.
    """
    if _use_rich():
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title or None, header_style="bold", box=None, pad_edge=False)
        for header in headers:
            table.add_column(header, overflow="fold")
        from rich.markup import escape

        for row in rows:
            # Plain cells are shown literally: "[x]" in a name is text, not markup.
            table.add_row(*(c if isinstance(c, Styled) else escape(c) for c in row))
        Console().print(table)
        return
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = [headers, *rows]
    out = sys.stdout
    if title:
        out.write(title + "\n")
    for line in lines:
        cells = [cell.ljust(w) for cell, w in zip(line, widths, strict=True)]
        out.write("  ".join(cells).rstrip() + "\n")
