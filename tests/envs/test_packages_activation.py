"""Installed packages from metadata files; activation variables; install commands."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kernelhub.envs import (
    Environment,
    activation_env,
    find_package,
    inspect_environment,
    install_command,
    installed_packages,
    normalize,
)
from kernelhub.errors import EnvError
from tests.envs.conftest import Setup
from tests.envs.layouts import (
    make_conda_env,
    make_conda_root,
    make_interpreter,
    make_venv,
    write_dist,
)


def test_normalize() -> None:
    assert normalize("Foo.Bar__baz-QUX") == "foo-bar-baz-qux"


def test_packages_from_dist_info_and_egg_info(base_exe: Path, tmp_path: Path) -> None:
    venv = make_venv(tmp_path / "v", base_exe, "3.12.3", packages={"ipykernel": "7.4.0"})
    site = venv / "lib" / "python3.12" / "site-packages"
    write_dist(site, "Typing.Extensions", "4.12.2")
    egg = site / "legacy_pkg-1.0-py3.12.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_text("Metadata-Version: 1.0\nName: Legacy-Pkg\nVersion: 1.0\n")
    (site / "flat-2.1-py3.12.egg-info").write_text("Name: flat\nVersion: 2.1\n")
    broken = site / "nometa-0.3.dist-info"
    broken.mkdir()  # no METADATA: the directory name still tells
    env = inspect_environment(str(venv))
    assert installed_packages(env) == {
        "pip": "24.2",
        "ipykernel": "7.4.0",
        "typing-extensions": "4.12.2",
        "legacy-pkg": "1.0",
        "flat": "2.1",
        "nometa": "0.3",
    }
    assert find_package(env, "typing_extensions") == "4.12.2"
    assert find_package(env, "IPYKERNEL") == "7.4.0"
    assert find_package(env, "legacy.pkg") == "1.0"
    assert find_package(env, "pandas") is None


def test_conda_packages_include_conda_meta(tmp_path: Path) -> None:
    env_dir = make_conda_env(tmp_path / "c", "3.11.7", packages={"numpy": "1.26.4"})
    env = inspect_environment(str(env_dir))
    pkgs = installed_packages(env)
    assert pkgs["numpy"] == "1.26.4"
    assert pkgs["python"] == "3.11.7"
    assert pkgs["openssl"] == "3.3.0"  # a conda package that is not a Python one
    assert find_package(env, "OpenSSL") == "3.3.0"


def _env(setup: Setup, key: str) -> Environment:
    return setup.discover().get(key)


def test_venv_activation(setup: Setup, base_exe: Path) -> None:
    venv = make_venv(setup.home / ".virtualenvs" / "tools", base_exe, "3.12.3")
    old = make_venv(setup.root / "old", base_exe, "3.12.3")
    base = {
        "PATH": os.pathsep.join([str(old / "bin"), "/usr/bin", str(venv / "bin")]),
        "VIRTUAL_ENV": str(old),
        "PYTHONHOME": "/broken",
        "KEEP": "me",
    }
    out = activation_env(_env(setup, "venv/tools"), base)
    assert out["PATH"].split(os.pathsep) == [os.path.realpath(venv / "bin"), "/usr/bin"]
    assert out["VIRTUAL_ENV"] == os.path.realpath(venv)
    assert out["VIRTUAL_ENV_PROMPT"] == "tools"
    assert "PYTHONHOME" not in out
    assert out["KEEP"] == "me"
    assert base["VIRTUAL_ENV"] == str(old)  # the base mapping is not touched


def test_conda_activation(setup: Setup) -> None:
    root = make_conda_root(setup.home / "miniforge3")
    ds = make_conda_env(root / "envs" / "ds", "3.11.7")
    (ds / "conda-meta" / "state").write_text(json.dumps({"env_vars": {"DATA_DIR": "/data"}}))
    base = {
        "PATH": f"{root / 'bin'}{os.pathsep}/usr/bin",
        "CONDA_PREFIX": str(root),
        "CONDA_SHLVL": "1",
        "VIRTUAL_ENV": "/some/venv",
    }
    out = activation_env(_env(setup, "conda/ds"), base)
    assert out["PATH"].split(os.pathsep) == [os.path.realpath(ds / "bin"), "/usr/bin"]
    assert out["CONDA_PREFIX"] == os.path.realpath(ds)
    assert out["CONDA_DEFAULT_ENV"] == "ds"
    assert out["CONDA_SHLVL"] == "2"
    assert out["CONDA_PREFIX_1"] == str(root)
    assert out["CONDA_PYTHON_EXE"] == os.path.join(os.path.realpath(root), "bin", "python")
    assert out["DATA_DIR"] == "/data"
    assert "VIRTUAL_ENV" not in out
    fresh = activation_env(_env(setup, "conda/base"), {"PATH": "/usr/bin"})
    assert (fresh["CONDA_DEFAULT_ENV"], fresh["CONDA_SHLVL"]) == ("base", "1")


def test_plain_interpreter_activation_drops_a_stale_venv(setup: Setup) -> None:
    make_interpreter(setup.home / ".pyenv" / "versions" / "3.12.4", "3.12.4")
    out = activation_env(_env(setup, "pyenv/3.12.4"), {"PATH": "/usr/bin", "VIRTUAL_ENV": "/v"})
    assert "VIRTUAL_ENV" not in out
    assert "CONDA_PREFIX" not in out
    assert out["PATH"].startswith(os.path.realpath(setup.home / ".pyenv" / "versions" / "3.12.4"))


def test_install_commands(setup: Setup, base_exe: Path) -> None:
    make_venv(setup.home / ".virtualenvs" / "pipvenv", base_exe, "3.12.3")
    make_venv(setup.home / ".virtualenvs" / "uvvenv", base_exe, "3.12.3", creator="uv")
    root = make_conda_root(setup.home / "miniforge3")
    make_conda_env(root / "envs" / "ds", "3.11.7")
    project = setup.cwd / "robot"
    make_conda_env(project / ".pixi" / "envs" / "default", "3.12.1")
    (project / "pixi.toml").write_text("[project]\n")
    setup.cwd = project
    result = setup.discover()
    pipvenv, uvvenv, ds = (
        result.get("venv/pipvenv"),
        result.get("uv/uvvenv"),
        result.get("conda/ds"),
    )
    assert install_command(pipvenv, ["ipykernel"]) == [
        str(pipvenv.executable),
        "-m",
        "pip",
        "install",
        "ipykernel",
    ]
    assert install_command(pipvenv, ["x"], uv="/opt/uv") == [
        "/opt/uv",
        "pip",
        "install",
        "--python",
        str(pipvenv.executable),
        "x",
    ]
    assert install_command(uvvenv, ["ipykernel", "numpy"]) == [
        "uv",
        "pip",
        "install",
        "--python",
        str(uvvenv.executable),
        "ipykernel",
        "numpy",
    ]
    assert install_command(ds, ["ipykernel"]) == ["conda", "install", "-p", ds.prefix, "ipykernel"]
    assert install_command(result.get("pixi/robot"), ["numpy"]) == [
        "pixi",
        "add",
        "--manifest-path",
        os.path.realpath(project / "pixi.toml"),
        "numpy",
    ]


def test_install_command_needs_an_interpreter(setup: Setup) -> None:
    (setup.home / ".virtualenvs" / "empty" / "bin").mkdir(parents=True)
    (setup.home / ".virtualenvs" / "empty" / "pyvenv.cfg").write_text("home = /nowhere\n")
    env = _env(setup, "venv/empty")
    with pytest.raises(EnvError, match=r"venv/empty.*no Python interpreter"):
        install_command(env, ["ipykernel"])


def test_conda_env_made_with_a_prefix_is_named_by_its_prefix(setup: Setup) -> None:
    from kernelhub.envs import inspect_environment

    standalone = make_conda_env(setup.home / "projects" / "p1" / "env", "3.11.7")
    env = inspect_environment(str(standalone))
    out = activation_env(env, {"PATH": "/usr/bin"})
    assert out["CONDA_PREFIX"] == os.path.realpath(standalone)
    assert out["CONDA_DEFAULT_ENV"] == os.path.realpath(standalone)
