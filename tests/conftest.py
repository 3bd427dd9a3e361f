"""Shared fixtures. Every test runs isolated from the user's real Jupyter directories."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class JupyterDirs:
    """The isolated directories one test runs with."""

    home: Path
    data: Path  # JUPYTER_DATA_DIR; user kernelspecs live in data / "kernels"
    config: Path
    runtime: Path
    path: Path  # the single JUPYTER_PATH entry; its kernelspecs live in path / "kernels"
    ipython: Path

    @property
    def user_kernels(self) -> Path:
        return self.data / "kernels"

    @property
    def path_kernels(self) -> Path:
        return self.path / "kernels"


_SESSION_ROOT: str | None = None


def _isolated_values(root: Path) -> dict[str, str]:
    return {
        "HOME": str(root / "home"),
        "JUPYTER_DATA_DIR": str(root / "data"),
        "JUPYTER_CONFIG_DIR": str(root / "config"),
        "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
        "JUPYTER_PATH": str(root / "path"),
        "IPYTHONDIR": str(root / "home" / ".ipython"),
        "JUPYTER_PREFER_ENV_PATH": "0",
        "JUPYTER_PLATFORM_DIRS": "1",
        "NO_COLOR": "1",
    }


def pytest_configure(config: pytest.Config) -> None:
    """Isolate the whole session before any fixture runs.

    The per-test fixture below gives each test fresh directories, but fixtures of module or
    session scope are set up before it: without this, a server started by such a fixture
    would write into the user's real Jupyter directories.
    """
    global _SESSION_ROOT
    import tempfile

    _SESSION_ROOT = tempfile.mkdtemp(prefix="kernelhub-tests-")
    values = _isolated_values(Path(_SESSION_ROOT))
    for key in ("HOME", "JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR"):
        Path(values[key]).mkdir(parents=True, exist_ok=True)
    os.environ.update(values)


def pytest_unconfigure(config: pytest.Config) -> None:
    import shutil

    if _SESSION_ROOT is not None:
        shutil.rmtree(_SESSION_ROOT, ignore_errors=True)


@pytest.fixture(autouse=True)
def jupyter_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterDirs]:
    """Point HOME and every Jupyter directory variable at fresh temporary directories."""
    root = tmp_path_factory.mktemp("jupyter")
    dirs = JupyterDirs(
        home=root / "home",
        data=root / "data",
        config=root / "config",
        runtime=root / "runtime",
        path=root / "path",
        ipython=root / "home" / ".ipython",
    )
    for d in (dirs.home, dirs.data, dirs.config, dirs.runtime, dirs.path):
        d.mkdir(parents=True)
    values = _isolated_values(root)
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield dirs
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


@pytest.fixture
def python() -> str:
    """The interpreter the tests run on (it has ipykernel installed)."""
    return sys.executable
