"""Interop both ways with the reference tools, run as separate processes in the isolated env."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kernelhub.specs import SpecRegistry, install_spec, remove_specs

pytestmark = pytest.mark.timeout(120)


def run(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=100, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def jupyter_list() -> dict[str, Any]:
    specs: dict[str, Any] = json.loads(run("-m", "jupyter", "kernelspec", "list", "--json"))[
        "kernelspecs"
    ]
    return specs


def test_kernelhub_install_is_listed_by_jupyter(tmp_path: Path, jupyter_dirs: Any) -> None:
    path = install_spec(
        name="Hub-Made",
        argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        display_name="Made by kernelhub",
        language="python",
        env={"HUB": "1"},
        interrupt_mode="message",
    )
    (Path(path) / "logo-64x64.png").write_bytes(b"\x89PNG")
    listed = jupyter_list()["hub-made"]
    assert listed["resource_dir"] == path == str(jupyter_dirs.user_kernels / "hub-made")
    spec = listed["spec"]
    assert spec["display_name"] == "Made by kernelhub"
    assert spec["env"] == {"HUB": "1"}
    assert spec["interrupt_mode"] == "message"
    assert spec["argv"][0] == sys.executable


def test_ipykernel_install_is_listed_by_kernelhub(jupyter_dirs: Any) -> None:
    run("-m", "ipykernel", "install", "--user", "--name", "FromIPy", "--display-name", "IPy")
    entry = SpecRegistry().entry("fromipy")
    assert entry.status == "ok"
    assert entry.resource_dir == str(jupyter_dirs.user_kernels / "fromipy")
    assert entry.spec is not None
    assert entry.spec.display_name == "IPy"
    assert entry.executable == sys.executable
    assert {"logo-32x32.png", "logo-64x64.png"} <= set(SpecRegistry().resources("fromipy"))


def test_kernelhub_removal_is_seen_by_jupyter(jupyter_dirs: Any) -> None:
    run("-m", "ipykernel", "install", "--user", "--name", "short-lived")
    assert "short-lived" in jupyter_list()
    remove_specs(["short-lived"])
    assert "short-lived" not in jupyter_list()
