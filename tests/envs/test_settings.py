"""The one reader of environment variables for discovery, and the package surface."""

from __future__ import annotations

import os
from pathlib import Path

import kernelhub.envs
from kernelhub.envs import Settings, SystemRoots, discover
from kernelhub.envs.conda import parse_envs_dirs
from kernelhub.envs.settings import VARIABLES


def test_all_is_complete_and_resolves() -> None:
    public = {n for n in vars(kernelhub.envs) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(kernelhub.envs, n)).__name__ == "module"}
    assert set(kernelhub.envs.__all__) == public - modules - {"annotations"}
    for name in set(kernelhub.envs.__all__) - {"KINDS", "EnvStatus"}:  # data, not code
        assert getattr(kernelhub.envs, name).__doc__, name


def test_every_variable_is_read_from_the_mapping_given() -> None:
    environ = {name: f"/v/{name}" for name in VARIABLES}
    environ["PATH"] = os.pathsep.join(["/a", "", "/b"])
    environ["CONDA_ENVS_PATH"] = os.pathsep.join(["/e1", "/e2"])
    s = Settings.from_environ(environ, system=SystemRoots.none())
    assert s.home == "/v/HOME"
    assert s.path == ("/a", "/b")
    assert s.conda_envs_path == ("/e1", "/e2", "/v/CONDA_ENVS_DIRS")
    assert s.data_home == "/v/XDG_DATA_HOME"
    assert s.cache_home == "/v/XDG_CACHE_HOME"
    assert s.config_home == "/v/XDG_CONFIG_HOME"
    assert s.registry == os.path.join("/v/JUPYTER_DATA_DIR", "kernelhub-environments.txt")
    values = {getattr(s, f) for f in s.__dataclass_fields__} - {
        s.system,
        s.path,
        s.conda_envs_path,
        s.registry,
    }
    read = {v for v in values if isinstance(v, str)}
    assert read == {f"/v/{n}" for n in VARIABLES} - {
        "/v/PATH",
        "/v/CONDA_ENVS_PATH",
        "/v/CONDA_ENVS_DIRS",
        "/v/JUPYTER_DATA_DIR",
    }


def test_defaults_and_tilde() -> None:
    s = Settings.from_environ({"HOME": "/h", "XDG_DATA_HOME": ""}, system=SystemRoots.none())
    assert s.virtual_env is None  # empty and unset are the same
    assert s.data_home == os.path.join("/h", ".local", "share")
    assert s.expand("~/x") == os.path.join("/h", "x")
    assert s.expand("/a/~b") == "/a/~b"
    assert SystemRoots.default().bin_dirs or os.name == "nt"


def test_empty_environment_finds_nothing(tmp_path: Path) -> None:
    result = discover(cwd=str(tmp_path), environ={"HOME": str(tmp_path)}, system=SystemRoots())
    assert (result.environments, result.problems) == ((), ())


def test_condarc_envs_dirs_forms() -> None:
    text = """
channels:
  - defaults
envs_dirs:
  - ~/envs   # mine
  - "/quoted path/envs"
- '/single'
pkgs_dirs:
  - /pkgs
envs_path: [/flow/a, "/flow/b"]
  envs_dirs: [/indented/is/not/top/level]
"""
    assert parse_envs_dirs(text) == ["~/envs", "/quoted path/envs", "/single", "/flow/a", "/flow/b"]
