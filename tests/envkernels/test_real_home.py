"""Real environments: a ``python -m venv`` under HOME found from elsewhere, and import names
read from the real dist-infos of the environment the tests run in (pyzmq ships no
``top_level.txt``: its ``RECORD`` says it installs ``zmq``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kernelhub.envs import SystemRoots, discover, inspect_environment
from kernelhub.envs.imports import providers_of
from tests.conftest import JupyterDirs


@pytest.mark.timeout(300)
def test_a_real_venv_under_home_is_found_from_elsewhere(
    jupyter_dirs: JupyterDirs, tmp_path: Path
) -> None:
    venv = jupyter_dirs.home / "realproj" / ".venv"
    made = subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    result = discover(
        cwd=str(tmp_path), environ={"HOME": str(jupyter_dirs.home)}, system=SystemRoots.none()
    )
    (env,) = [e for e in result if e.prefix == os.path.realpath(venv)]
    assert (env.id, env.kind, env.status) == ("venv/realproj", "venv", "ok")
    assert env.found_by == ("search:home",)
    assert env.executable == str(venv / "bin" / "python")
    assert env.python_version == ".".join(map(str, sys.version_info[:3]))


def test_import_names_from_the_real_dist_infos() -> None:
    here = inspect_environment(sys.prefix)
    assert providers_of("zmq", [here]) == ["pyzmq"]
    assert providers_of("dateutil", [here]) == ["python-dateutil"]
    assert providers_of("jupyter_client", [here]) == ["jupyter-client"]
