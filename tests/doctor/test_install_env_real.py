"""``install --env --with-ipykernel`` for real: pip installs ipykernel from PyPI, and a kernel
started by jupyter_client from the registered spec runs in the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import JupyterDirs
from tests.doctor.test_install_env import LAUNCH, kernel_json, kh, make_venv


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_with_ipykernel_installs_it_for_real_with_pip(
    jupyter_dirs: JupyterDirs, tmp_path: Path
) -> None:
    venv = make_venv(tmp_path / "real", ipykernel=False, pip=True)
    result = kh("install", "--env", str(venv), "--with-ipykernel", cwd=tmp_path, timeout=280)
    if result.returncode != 0 and "cannot reach the package index" in result.stderr:
        pytest.skip(f"no network to PyPI: {result.stderr.strip().splitlines()[-1]}")
    assert result.returncode == 0, result.stderr
    assert f"{venv}/bin/python -m pip install ipykernel" in result.stderr
    assert "Successfully installed" in result.stderr  # pip's progress was streamed
    data = kernel_json(jupyter_dirs.user_kernels, "venv-real")
    assert (jupyter_dirs.user_kernels / "venv-real" / "logo-64x64.png").is_file()
    assert data["argv"] == [str(venv / "bin" / "python"), *LAUNCH]
    found = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import ipykernel; print(ipykernel.__file__)"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert found.stdout.startswith(str(venv))
    # jupyter_client starts it with the environment's variables and ${PATH} expanded.
    seen = subprocess.run(
        [sys.executable, "-c", _RUN_IN_KERNEL, "venv-real"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert seen.returncode == 0, seen.stderr
    prefix, virtual_env, path = json.loads(seen.stdout.strip().splitlines()[-1])
    assert prefix == virtual_env == str(venv)
    assert path.split(os.pathsep)[0] == str(venv / "bin")
    assert "${PATH}" not in path
    assert os.environ["PATH"] in path  # the launcher's PATH follows the environment's bin


_RUN_IN_KERNEL = """
import json, sys
from jupyter_client.manager import start_new_kernel
km, kc = start_new_kernel(kernel_name=sys.argv[1], startup_timeout=60)
try:
    code = "import json, os, sys; print(json.dumps([sys.prefix, os.environ['VIRTUAL_ENV'], "
    code += "os.environ['PATH']]))"
    out = []
    def hook(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
    kc.execute_interactive(code, timeout=60, output_hook=hook)
    print("".join(out).strip())
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
"""


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_with_ipykernel_uses_uv_when_it_is_on_path(
    jupyter_dirs: JupyterDirs, tmp_path: Path
) -> None:
    uv_dir = os.path.dirname(sys.executable)  # kernelhub's test extras install uv here
    if not os.path.isfile(os.path.join(uv_dir, "uv")):
        pytest.skip("uv is not installed next to the test interpreter")
    venv = make_venv(tmp_path / "viauv", ipykernel=False)  # no pip at all: uv needs none
    path = os.pathsep.join([uv_dir, "/usr/bin", "/bin"])
    result = kh(
        "install", "--env", str(venv), "--with-ipykernel", cwd=tmp_path, path=path, timeout=280
    )
    if result.returncode != 0 and "cannot reach the package index" in result.stderr:
        pytest.skip(f"no network to PyPI: {result.stderr.strip().splitlines()[-1]}")
    assert result.returncode == 0, result.stderr
    assert f"uv pip install --python {venv}/bin/python ipykernel" in result.stderr
    assert "+ ipykernel==" in result.stderr  # uv's progress was streamed
    assert kernel_json(jupyter_dirs.user_kernels, "venv-viauv")["argv"] == [
        str(venv / "bin" / "python"),
        *LAUNCH,
    ]
