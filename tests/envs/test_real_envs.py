"""Environments made by the real tools: ``python -m venv`` and ``uv``, read back by discovery."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys

import pytest

from kernelhub.envs import find_package, install_command, installed_packages
from tests.envs.conftest import Setup
from tests.envs.layouts import write_dist

_UV = shutil.which("uv") or shutil.which("uv", path=os.path.dirname(sys.executable))


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def test_python_m_venv_with_and_without_ipykernel(setup: Setup) -> None:
    project = setup.root / "work" / "realproj"
    project.mkdir(parents=True)
    done = _run(sys.executable, "-m", "venv", "--without-pip", str(project / ".venv"))
    assert done.returncode == 0, done.stderr
    setup.cwd = project
    env = setup.discover().get("venv/realproj")
    assert env.kind == "venv"
    assert env.status == "ok", env.diagnostics
    assert env.python_version == platform.python_version()
    assert env.executable == str(project / ".venv" / "bin" / "python")
    assert env.base_executable is not None
    assert os.path.exists(env.base_executable)
    assert env.ipykernel_version is None
    assert install_command(env, ["ipykernel"])[1:] == ["-m", "pip", "install", "ipykernel"]
    xy = f"python{sys.version_info.major}.{sys.version_info.minor}"
    write_dist(project / ".venv" / "lib" / xy / "site-packages", "ipykernel", "7.4.0")
    env = setup.discover().get("venv/realproj")
    assert env.ipykernel_version == "7.4.0"


@pytest.mark.skipif(_UV is None, reason="uv is not installed")
def test_uv_venv_with_a_real_ipykernel_install(setup: Setup) -> None:
    assert _UV is not None
    project = setup.root / "work" / "uvproj"
    project.mkdir(parents=True)
    venv = project / ".venv"
    made = _run(_UV, "venv", "--python", sys.executable, str(venv))
    assert made.returncode == 0, made.stderr
    setup.cwd = project
    env = setup.discover().get("uv/uvproj")
    assert (env.kind, env.ipykernel_version) == ("uv", None)
    assert env.python_version == platform.python_version()
    command = install_command(env, ["--no-deps", "ipykernel"], uv=_UV)
    installed = _run(*command)
    if installed.returncode != 0 and "network" in installed.stderr.lower():
        pytest.skip(f"no network to install ipykernel: {installed.stderr.strip()[:200]}")
    assert installed.returncode == 0, installed.stderr
    env = setup.discover().get("uv/uvproj")
    assert env.ipykernel_version is not None
    assert find_package(env, "ipykernel") == env.ipykernel_version
    assert "ipykernel" in installed_packages(env)
    assert command[:5] == [_UV, "pip", "install", "--python", str(venv / "bin" / "python")]
