"""The README's two set-up lines are the ones CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _setup_lines() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```(?:sh|bash|console)?\n(.*?)```", text, re.S)
    assert block, "README must start with a code block holding the two set-up lines"
    return [line for line in block.group(1).splitlines() if line.strip() and line[0] != "#"]


def test_readme_has_two_setup_lines() -> None:
    lines = _setup_lines()
    assert len(lines) == 2, lines
    assert "kernelhub" in lines[0]
    assert "pytest" in lines[1]


def test_ci_runs_the_readme_test_line_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    test_line = _setup_lines()[1]
    assert test_line in ci, f"{test_line!r} is not a line of .ci/run"
