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
    values = {
        "HOME": str(dirs.home),
        "JUPYTER_DATA_DIR": str(dirs.data),
        "JUPYTER_CONFIG_DIR": str(dirs.config),
        "JUPYTER_RUNTIME_DIR": str(dirs.runtime),
        "JUPYTER_PATH": str(dirs.path),
        "IPYTHONDIR": str(dirs.ipython),
        "JUPYTER_PREFER_ENV_PATH": "0",
        "JUPYTER_PLATFORM_DIRS": "1",
        "NO_COLOR": "1",
    }
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
