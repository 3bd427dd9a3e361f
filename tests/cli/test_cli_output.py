"""Listing details: provider order, the same-interpreter link, literal table cells."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kernelhub.cli import _output
from kernelhub.providers.finder import KernelFinder
from tests.conftest import JupyterDirs


def test_builtin_providers_come_first_whatever_the_entry_point_order() -> None:
    ids = [p.id for p in KernelFinder.from_entrypoints().providers]
    assert ids[:3] == ["spec", "pyimport", "envs"]


def test_table_cells_are_literal_unless_styled(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_output, "_use_rich", lambda: True)
    _output.print_table(("A", "B"), [("[bold]x[/bold]", _output.styled("ok", "green"))])
    out = capsys.readouterr().out
    assert "[bold]x[/bold]" in out
    assert "[green]" not in out
    assert "ok" in out


def test_list_links_an_environment_and_a_spec_running_the_same_interpreter(
    tmp_path: Path, jupyter_dirs: JupyterDirs
) -> None:
    project = tmp_path / "proj"
    venv = project / ".venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    site = next((venv / "lib").glob("python3*/site-packages"))
    marker = site / "ipykernel-7.4.0.dist-info"
    marker.mkdir()
    (marker / "METADATA").write_text("Metadata-Version: 2.1\nName: ipykernel\nVersion: 7.4.0\n")
    spec = jupyter_dirs.path_kernels / "projspec"
    spec.mkdir(parents=True)
    argv = [str(venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Project", "language": "python"})
    )
    result = subprocess.run(
        [sys.executable, "-m", "kernelhub", "list"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    rows = [line for line in result.stdout.splitlines() if line.startswith("venv/proj ")]
    assert rows, result.stdout
    assert "(= spec/projspec)" in rows[0]
