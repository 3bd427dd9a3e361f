"""A tiny benchmark harness: interleaved A/B runs, medians, ratios against a target.

These machines are shared and noisy, so every comparison alternates kernelhub and the
reference run by run (ABBA order) and reports medians, never a single run.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Result", "compare", "print_results", "single"]


@dataclass(frozen=True)
class Result:
    """One benchmark case: our median, the reference's, their ratio and the target ratio.

    ``higher_is_better`` flips the meaning of the target (throughput: ours/theirs >= target).
    """

    case: str
    ours: float
    theirs: float | None
    unit: str
    runs: int
    target: float | None = None
    higher_is_better: bool = False
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.theirs in (None, 0):
            return None
        return self.ours / self.theirs  # type: ignore[operator]

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        value = self.ratio if self.theirs is not None else self.ours
        if value is None:
            return None
        return value >= self.target if self.higher_is_better else value <= self.target


def compare(
    case: str,
    ours: Callable[[], float],
    theirs: Callable[[], float],
    *,
    runs: int,
    unit: str = "ms",
    target: float | None = None,
    higher_is_better: bool = False,
    note: str = "",
) -> Result:
    """Run ``ours`` and ``theirs`` ``runs`` times each, interleaved ABBA; compare medians.

    Each callable performs one measurement and returns its value in ``unit``.
    """
    a: list[float] = []
    b: list[float] = []
    for i in range(runs):
        if i % 2 == 0:
            a.append(ours())
            b.append(theirs())
        else:
            b.append(theirs())
            a.append(ours())
    return Result(
        case,
        statistics.median(a),
        statistics.median(b),
        unit,
        runs,
        target,
        higher_is_better,
        note,
    )


def single(
    case: str,
    ours: Callable[[], float],
    *,
    runs: int,
    unit: str = "ms",
    target: float | None = None,
    note: str = "",
) -> Result:
    """A measurement with no reference to compare with (the target is absolute)."""
    values = [ours() for _ in range(runs)]
    return Result(case, statistics.median(values), None, unit, runs, target, False, note)


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"


def print_results(title: str, results: list[Result]) -> None:
    """Print one table: case, kernelhub, reference, ratio, target, met."""
    headers = ("case", "kernelhub", "reference", "unit", "ratio", "target", "met", "runs")
    rows = []
    for r in results:
        ratio = r.ratio
        if r.target is None:
            target = "-"
        else:
            target = (">=" if r.higher_is_better else "<=") + _fmt(r.target)
            if r.theirs is not None:
                target += "x"
        met = {None: "-", True: "yes", False: "NO"}[r.met]
        rows.append(
            (
                r.case,
                _fmt(r.ours),
                _fmt(r.theirs),
                r.unit,
                "-" if ratio is None else f"{ratio:.2f}x",
                target,
                met,
                str(r.runs),
            )
        )
    widths = [
        max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
        for i, h in enumerate(headers)
    ]
    print(f"\n== {title}")
    for line in (headers, *rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
    for r in results:
        if r.note:
            print(f"   {r.case}: {r.note}")
