"""Fixtures for environment discovery: a hermetic setup under the temporary HOME."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kernelhub.envs import Discovery, Environment, SystemRoots, clear_cache, discover
from tests.conftest import JupyterDirs
from tests.envs.layouts import make_interpreter


@dataclass
class Setup:
    """A hermetic discovery setup: HOME is the test's, no system-wide place is searched."""

    home: Path
    root: Path
    cwd: Path
    environ: dict[str, str] = field(default_factory=dict)
    system: SystemRoots = field(default_factory=SystemRoots.none)

    def discover(self, **kwargs: object) -> Discovery:
        """Discovery pointed at this setup only."""
        kwargs.setdefault("cwd", str(self.cwd))
        kwargs.setdefault("environ", self.environ)
        kwargs.setdefault("system", self.system)
        return discover(**kwargs)  # type: ignore[arg-type]

    def by_prefix(self, result: Discovery, prefix: Path) -> Environment:
        """The environment of ``result`` at ``prefix``."""
        real = os.path.realpath(prefix)
        found = [e for e in result if e.prefix == real]
        assert found, f"{real} not found; have {[e.prefix for e in result]}"
        return found[0]


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def setup(jupyter_dirs: JupyterDirs, tmp_path: Path) -> Setup:
    """A hermetic setup with a fake system interpreter in ``<tmp>/usr/bin`` on ``PATH``."""
    usr = tmp_path / "usr"
    make_interpreter(usr, "3.12.3")
    cwd = tmp_path / "work"
    cwd.mkdir()
    environ = {"HOME": str(jupyter_dirs.home), "PATH": str(usr / "bin")}
    return Setup(home=jupyter_dirs.home, root=tmp_path, cwd=cwd, environ=environ)


@pytest.fixture
def base_exe(tmp_path: Path) -> Path:
    """The fake system interpreter venvs are made from."""
    return tmp_path / "usr" / "bin" / "python3.12"
