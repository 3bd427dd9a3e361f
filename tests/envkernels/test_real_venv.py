"""End to end: a real ``python -m venv`` listed as ``venv/<name>`` and run as a kernel.

The venv gets a real pip (ensurepip) and reaches this test interpreter's ipykernel through a
``.pth`` file: ``--system-site-packages`` would not do, because the venv's base interpreter
is not the one ipykernel is installed in (the tests run in a venv themselves). An
``ipykernel-<version>.dist-info`` marker makes discovery see ipykernel as installed in it.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import importlib.util
import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

from kernelhub.client.results import ExecuteResult
from kernelhub.envs import SystemRoots
from kernelhub.manager import KernelManager
from kernelhub.providers.base import KernelType
from kernelhub.providers.envs import EnvProvider
from kernelhub.specs import SpecRegistry
from tests.conftest import JupyterDirs
from tests.envs.layouts import write_dist

WAIT = 60.0


def _make_venv(path: Path) -> Path:
    made = subprocess.run(
        [sys.executable, "-m", "venv", str(path)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    xy = f"python{sys.version_info.major}.{sys.version_info.minor}"
    own_site = path / "lib" / xy / "site-packages"
    ours = [p for p in site.getsitepackages() if os.path.isdir(p)]
    (own_site / "kernelhub-test-ipykernel.pth").write_text("\n".join(ours) + "\n")
    write_dist(own_site, "ipykernel", importlib.metadata.version("ipykernel"))
    return path


async def _run_in(kernel: KernelType) -> tuple[list[str], ExecuteResult]:
    """Start ``kernel``, run the probe code and ``!pip --version``, shut it down."""
    code = (
        "import os, shutil, sys\n"
        "print(sys.prefix)\n"
        "print(shutil.which('pip'))\n"
        "print(os.environ['VIRTUAL_ENV'])\n"
    )
    async with KernelManager(kernel) as km:
        await km.start(timeout=WAIT)
        async with km.client() as kc:
            result = await kc.execute(code, timeout=WAIT)
            assert result.status == "ok", result
            shell = await kc.execute("!pip --version", timeout=WAIT)
        await km.shutdown()
    return result.text.splitlines(), shell


@pytest.fixture(scope="module")
def workon(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenvwrapper ``WORKON_HOME`` holding one real venv, ``realkernel``."""
    root = tmp_path_factory.mktemp("workon")
    _make_venv(root / "realkernel")
    return root


@pytest.mark.timeout(300)
def test_real_venv_kernel_runs_in_the_venv_and_pip_is_the_venvs(
    jupyter_dirs: JupyterDirs, tmp_path: Path, workon: Path
) -> None:
    venv = workon / "realkernel"
    provider = EnvProvider(
        environ={"HOME": str(jupyter_dirs.home), "WORKON_HOME": str(workon)},
        cwd=str(tmp_path),
        system=SystemRoots.none(),
        registry=SpecRegistry([]),
    )
    kernel = next(k for k in provider.find() if k.id == "venv/realkernel")
    assert kernel.status == "ok", kernel.diagnostics
    assert kernel.argv[0] == str(venv / "bin" / "python")
    (prefix, pip, virtual_env), shell = asyncio.run(_run_in(kernel))
    real = os.path.realpath(venv)
    assert os.path.realpath(prefix) == real
    assert pip == str(venv / "bin" / "pip")
    assert os.path.realpath(virtual_env) == real
    assert shell.status == "ok", shell
    # "pip 24.0 from <venv>/lib/python3.X/site-packages/pip (python 3.X)"
    assert f"from {venv}" in shell.text or f"from {real}" in shell.text, shell.text


@pytest.mark.timeout(300)
@pytest.mark.skipif(
    importlib.util.find_spec("kernelhub.cli.run") is None,
    reason="`kernelhub run` (src/kernelhub/cli/run.py) is not in the tree yet",
)
def test_kernelhub_run_in_a_real_venv(tmp_path: Path, workon: Path) -> None:
    venv = workon / "realkernel"
    env = {**os.environ, "WORKON_HOME": str(workon)}
    env.pop("VIRTUAL_ENV", None)
    code = "import shutil, sys; print(sys.prefix); print(shutil.which('pip'))"
    done = subprocess.run(
        [sys.executable, "-m", "kernelhub", "run", "venv/realkernel", "-c", code],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    prefix, pip = done.stdout.strip().splitlines()[-2:]
    assert os.path.realpath(prefix) == os.path.realpath(venv)
    assert pip == str(venv / "bin" / "pip")
