"""Repeated discovery is served from the cache until a file it looked at changes.

File times are set back explicitly (``os.utime``) so that the cache may trust them: a result
read from files changed within the last clock tick is never trusted (see ``RACY_WINDOW_NS``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kernelhub.envs import finder
from tests.envs.conftest import Setup
from tests.envs.layouts import (
    make_conda_env,
    make_conda_root,
    make_kernelspec,
    make_venv,
    write_dist,
)

_LONG_AGO = 1_000_000_000 * 1_600_000_000  # September 2020, in ns


def _backdate(*roots: Path) -> None:
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                os.utime(
                    os.path.join(dirpath, name), ns=(_LONG_AGO, _LONG_AGO), follow_symlinks=False
                )
        os.utime(root, ns=(_LONG_AGO, _LONG_AGO))


@pytest.fixture
def world(setup: Setup, base_exe: Path) -> Setup:
    """A conda root with one env, a virtualenvwrapper venv and a project venv, all old."""
    root = make_conda_root(setup.home / "miniforge3")
    make_conda_env(root / "envs" / "ds", "3.11.7")
    make_venv(setup.home / ".virtualenvs" / "tools", base_exe, "3.12.3")
    _backdate(setup.home, setup.cwd, setup.root / "usr")
    return setup


def test_unchanged_files_give_the_cached_result(world: Setup) -> None:
    first = world.discover()
    assert world.discover() is first
    assert world.discover(refresh=True) is not first
    assert world.discover(refresh=True) == first


def test_cache_is_per_setup(world: Setup, tmp_path: Path) -> None:
    first = world.discover()
    other = world.discover(cwd=str(tmp_path))
    assert other is not first
    assert world.discover() is first


def test_new_ipykernel_is_seen(world: Setup) -> None:
    assert world.discover().get("venv/tools").ipykernel_version is None
    site = world.home / ".virtualenvs" / "tools" / "lib" / "python3.12" / "site-packages"
    write_dist(site, "ipykernel", "7.4.0")
    assert world.discover().get("venv/tools").ipykernel_version == "7.4.0"


def test_removed_interpreter_is_seen(world: Setup) -> None:
    assert world.discover().get("conda/ds").status == "ok"
    exe = world.home / "miniforge3" / "envs" / "ds" / "bin" / "python3.11"
    exe.unlink()
    assert world.discover().get("conda/ds").status == "broken"


def test_new_and_removed_environments_are_seen(world: Setup) -> None:
    envs = world.home / "miniforge3" / "envs"
    assert "conda/new" not in {e.id for e in world.discover()}
    make_conda_env(envs / "new", "3.12.1")
    assert "conda/new" in {e.id for e in world.discover()}
    shutil.rmtree(envs / "ds")
    assert "conda/ds" not in {e.id for e in world.discover()}


def test_new_project_venv_in_a_parent_is_seen(world: Setup, base_exe: Path) -> None:
    world.discover()
    make_venv(world.cwd.parent / ".venv", base_exe, "3.12.3")
    assert world.cwd.parent.name in {e.name for e in world.discover()}


def test_edited_config_files_are_seen(world: Setup, tmp_path: Path) -> None:
    world.discover()
    extra = make_conda_env(tmp_path / "elsewhere" / "listed", "3.10.1")
    (world.home / ".conda").mkdir()
    (world.home / ".conda" / "environments.txt").write_text(f"{extra}\n")
    assert "conda/listed" in {e.id for e in world.discover()}
    make_conda_env(tmp_path / "rc-envs" / "viarc", "3.10.1")
    (world.home / ".condarc").write_text(f"envs_dirs:\n  - {tmp_path / 'rc-envs'}\n")
    assert "conda/viarc" in {e.id for e in world.discover()}


def test_new_kernelspec_is_seen(world: Setup) -> None:
    world.discover()
    make_kernelspec(world.home / "miniforge3" / "envs" / "ds", "ir", ["R", "{connection_file}"])
    assert len(world.discover().get("conda/ds").kernelspec_dirs) == 1


def test_freshly_changed_files_are_not_trusted(
    setup: Setup, base_exe: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Everything was just written, so within any window this wide the result is "racy".
    monkeypatch.setattr(finder, "RACY_WINDOW_NS", 3600 * 1_000_000_000)
    make_venv(setup.home / ".virtualenvs" / "tools", base_exe, "3.12.3")
    first = setup.discover()
    again = setup.discover()
    assert again is not first
    assert again == first
