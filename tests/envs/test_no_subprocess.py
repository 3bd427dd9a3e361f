"""Discovery, package listing and activation run nothing: no interpreter, no conda, no shell.

An audit hook (PEP 578) sees every process creation CPython can do: ``subprocess.Popen``,
``os.system``, ``os.exec*``, ``os.posix_spawn*``, ``os.spawn*``, ``os.fork*``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kernelhub.envs import activation_env, find_package, install_command, installed_packages
from tests.envs.conftest import Setup
from tests.envs.layouts import build_layout, make_venv

_PROCESS_EVENTS = (
    "subprocess.Popen",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.forkpty",
    "os.startfile",
    "pty.spawn",
)
_seen: list[str] | None = None


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if _seen is not None and event.startswith(_PROCESS_EVENTS):
        _seen.append(f"{event}{args!r}")


sys.addaudithook(_hook)  # hooks cannot be removed; this one only records while armed


@pytest.fixture
def process_events() -> Iterator[list[str]]:
    """Process creations seen while the test runs."""
    global _seen
    _seen = []
    try:
        yield _seen
    finally:
        _seen = None


def test_the_hook_sees_process_creation(process_events: list[str]) -> None:
    import subprocess

    subprocess.run([sys.executable, "-c", "pass"], check=True)
    assert any(e.startswith("subprocess.Popen") for e in process_events)


def test_discovery_runs_nothing(
    setup: Setup, tmp_path: Path, base_exe: Path, process_events: list[str]
) -> None:
    layout = build_layout(tmp_path / "big", n=80, home=setup.home)
    broken = make_venv(setup.home / ".virtualenvs" / "broken", base_exe, "3.12.3")
    (broken / "pyvenv.cfg").write_bytes(b"\x00garbage")
    process_events.clear()
    result = setup.discover(cwd=str(layout.cwd), environ=layout.environ, system=layout.system)
    for env in result:
        installed_packages(env)
        find_package(env, "IPyKernel")
        activation_env(env, dict(os.environ))
        if env.executable or env.kind in ("conda", "pixi"):
            install_command(env, ["ipykernel"])
    assert len(result) == 81
    assert process_events == []
