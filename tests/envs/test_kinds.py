"""Every kind of environment, from faithful synthetic layouts under the temporary HOME."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from kernelhub.envs import KINDS, SystemRoots
from tests.envs.conftest import Setup
from tests.envs.layouts import (
    build_layout,
    make_conda_env,
    make_conda_root,
    make_interpreter,
    make_kernelspec,
    make_venv,
)


def test_full_layout_finds_every_kind_once(setup: Setup, tmp_path: Path) -> None:
    layout = build_layout(tmp_path / "big", n=60, home=setup.home)
    setup.environ = layout.environ
    setup.system = layout.system
    result = setup.discover(cwd=str(layout.cwd))
    got = {env.prefix: env.kind for env in result}
    assert got == layout.expected
    assert set(Counter(got.values())) == set(KINDS)
    assert len({env.id for env in result}) == len(result) == 60
    assert result.problems == ()
    assert all(env.status == "ok" for env in result), [e for e in result if e.status != "ok"]


def test_venv_from_virtual_env_and_project_dirs(setup: Setup, base_exe: Path) -> None:
    active = make_venv(setup.root / "elsewhere" / "tools", base_exe, "3.12.3")
    project = setup.root / "work" / "myproject"
    dotvenv = make_venv(project / ".venv", base_exe, "3.12.3", packages={"ipykernel": "7.4.0"})
    setup.cwd = project / "src" / "pkg"
    setup.cwd.mkdir(parents=True)
    setup.environ["VIRTUAL_ENV"] = str(active)
    result = setup.discover()
    tools = result.get("venv/tools")
    assert tools.prefix == os.path.realpath(active)
    # Found from here only, so remembered: listed from anywhere from now on.
    assert tools.found_by == ("venv:VIRTUAL_ENV", "kernelhub:registry")
    assert tools.executable == str(active / "bin" / "python")
    assert tools.base_executable == str(base_exe)
    assert tools.python_version == "3.12.3"
    assert tools.ipykernel_version is None
    mine = result.get("venv/myproject")
    assert mine.prefix == os.path.realpath(dotvenv)
    assert mine.ipykernel_version == "7.4.0"
    assert mine.found_by == ("venv:project", "kernelhub:registry")


def test_virtualenvwrapper_and_workon_home(setup: Setup, base_exe: Path) -> None:
    make_venv(setup.home / ".virtualenvs" / "wrapped", base_exe, "3.12.3", creator="virtualenv")
    assert setup.discover().get("venv/wrapped").kind == "virtualenv"
    workon = setup.root / "workon"
    make_venv(workon / "other", base_exe, "3.12.3")
    (workon / "postactivate").write_text("# a virtualenvwrapper hook, not an env\n")
    setup.environ["WORKON_HOME"] = str(workon)
    result = setup.discover()
    assert result.get("venv/other").found_by == ("venv:WORKON_HOME",)
    assert result.problems == ()


def test_conda_everywhere_it_registers(setup: Setup, tmp_path: Path) -> None:
    root = make_conda_root(setup.home / "miniconda3")
    datasci = make_conda_env(root / "envs" / "datasci", "3.11.7", packages={"ipykernel": "6.29.5"})
    make_kernelspec(datasci, "ir", ["R", "-e", "IRkernel::main()", "{connection_file}"], "R")
    by_path = make_conda_env(tmp_path / "projects" / "p1" / "env", "3.10.14")
    by_rc = make_conda_env(tmp_path / "shared-envs" / "gpu", "3.12.2")
    by_var = make_conda_env(tmp_path / "var-envs" / "nightly", "3.13.0")
    (setup.home / ".conda").mkdir()
    (setup.home / ".conda" / "environments.txt").write_text(f"{root}\n{datasci}\n{by_path}\n")
    (setup.home / ".config" / "conda").mkdir(parents=True)
    (setup.home / ".config" / "conda" / ".condarc").write_text(
        "# user config\nchannels: [conda-forge]\nenvs_dirs:\n- "
        + str(tmp_path / "shared-envs")
        + "  # comment\npkgs_dirs:\n  - /nowhere\n"
    )
    setup.environ["CONDA_ENVS_PATH"] = str(tmp_path / "var-envs")
    result = setup.discover()
    base = result.get("conda/base")
    assert base.prefix == os.path.realpath(root)
    assert base.python_version == "3.12.4"
    assert set(base.found_by) == {"conda:root", "conda:environments.txt"}
    ds = result.get("conda/datasci")
    assert (ds.python_version, ds.ipykernel_version) == ("3.11.7", "6.29.5")
    assert ds.executable == str(datasci / "bin" / "python")
    assert ds.base_executable is None
    assert ds.kernelspec_dirs == (str(datasci / "share" / "jupyter" / "kernels" / "ir"),)
    assert result.get("conda/p1").prefix == os.path.realpath(by_path)
    assert result.get("conda/gpu").found_by == ("conda:envs_dirs",)
    assert result.get("conda/gpu").prefix == os.path.realpath(by_rc)
    assert result.get("conda/nightly").prefix == os.path.realpath(by_var)


def test_conda_active_prefix_and_system_root(setup: Setup, tmp_path: Path) -> None:
    opt = make_conda_root(tmp_path / "opt" / "conda")
    make_conda_env(opt / "envs" / "ml", "3.11.9")
    setup.system = SystemRoots(conda_roots=(str(opt),))
    setup.environ["CONDA_PREFIX"] = str(opt / "envs" / "ml")
    result = setup.discover()
    assert result.get("conda/base").prefix == os.path.realpath(opt)
    assert set(result.get("conda/ml").found_by) == {"conda:CONDA_PREFIX", "conda:envs_dirs"}


def test_micromamba_root_prefix(setup: Setup, tmp_path: Path) -> None:
    mamba = tmp_path / "mamba"
    (mamba / "envs").mkdir(parents=True)  # micromamba's base is often empty
    make_conda_env(mamba / "envs" / "tools", "3.12.1")
    setup.environ["MAMBA_ROOT_PREFIX"] = str(mamba)
    result = setup.discover()
    assert [e.id for e in result if e.kind == "conda"] == ["conda/tools"]


def test_conda_env_without_python_is_listed_with_its_kernelspecs(setup: Setup) -> None:
    root = make_conda_root(setup.home / "miniforge3")
    r_env = make_conda_env(root / "envs" / "r", python=None, packages={"r-irkernel": "1.3.2"})
    make_kernelspec(r_env, "ir", ["R", "{connection_file}"], "R")
    env = setup.discover().get("conda/r")
    assert env.executable is None
    assert env.python_version is None
    assert env.status == "ok"
    assert env.kernelspec_dirs
    assert any("no Python" in d for d in env.diagnostics)


def test_pyenv_versions_and_virtualenvs(setup: Setup) -> None:
    versions = setup.home / ".pyenv" / "versions"
    make_interpreter(versions / "3.12.4", "3.12.4", packages={"ipykernel": "6.29.0"})
    make_interpreter(versions / "pypy3.10-7.3.12", "3.10")
    base = versions / "3.11.9"
    make_interpreter(base, "3.11.9")
    venv = make_venv(base / "envs" / "analysis", base / "bin" / "python3.11", "3.11.9")
    (versions / "analysis").symlink_to(venv)
    result = setup.discover()
    v = result.get("pyenv/3.12.4")
    assert (v.kind, v.python_version, v.ipykernel_version) == ("pyenv", "3.12.4", "6.29.0")
    assert result.get("pyenv/pypy3.10-7.3.12").python_version == "3.10"
    pv = result.get("pyenv/analysis")
    assert pv.kind == "pyenv-virtualenv"
    assert pv.prefix == os.path.realpath(venv)
    assert pv.base_executable == str(base / "bin" / "python3.11")
    assert len([e for e in result if e.name == "analysis"]) == 1


def test_pyenv_root_variable(setup: Setup, tmp_path: Path) -> None:
    make_interpreter(tmp_path / "pyenv" / "versions" / "3.13.0", "3.13.0")
    setup.environ["PYENV_ROOT"] = str(tmp_path / "pyenv")
    assert setup.discover().get("pyenv/3.13.0").found_by == ("pyenv:versions",)


def test_uv_managed_pythons_and_uv_venvs(setup: Setup, base_exe: Path) -> None:
    pythons = setup.home / ".local" / "share" / "uv" / "python"
    full = pythons / "cpython-3.12.4-linux-x86_64-gnu"
    make_interpreter(full, "3.12.4")
    (pythons / "cpython-3.12-linux-x86_64-gnu").symlink_to(full)
    (pythons / ".lock").write_text("")
    venv = make_venv(setup.cwd / ".venv", base_exe, "3.12.3", creator="uv")
    result = setup.discover()
    managed = [e for e in result if e.prefix == os.path.realpath(full)]
    assert len(managed) == 1
    assert managed[0].id == "uv/cpython-3.12.4-linux-x86_64-gnu"
    assert managed[0].python_version == "3.12.4"
    made = setup.by_prefix(result, venv)
    assert (made.kind, made.id) == ("uv", "uv/work")


def test_uv_python_install_dir(setup: Setup, tmp_path: Path) -> None:
    make_interpreter(tmp_path / "uvpy" / "cpython-3.11.9-linux-x86_64-gnu", "3.11.9")
    setup.environ["UV_PYTHON_INSTALL_DIR"] = str(tmp_path / "uvpy")
    assert setup.discover().get("uv/cpython-3.11.9-linux-x86_64-gnu").kind == "uv"


def test_poetry_pipenv_hatch(setup: Setup, base_exe: Path) -> None:
    poetry = setup.home / ".cache" / "pypoetry" / "virtualenvs" / "webapp-Xk3_9aQz-py3.12"
    make_venv(poetry, base_exe, "3.12.3", creator="virtualenv")
    pipenv = setup.home / ".local" / "share" / "virtualenvs" / "service-Qw3rTy_1"
    make_venv(pipenv, base_exe, "3.12.3", creator="virtualenv")
    (pipenv / ".project").write_text("/somewhere/service")
    hatch_root = setup.home / ".local" / "share" / "hatch" / "env" / "virtual" / "mylib"
    make_venv(hatch_root / "aB3dE5gH" / "mylib", base_exe, "3.12.3")
    make_venv(hatch_root / "aB3dE5gH" / "docs", base_exe, "3.12.3")
    result = setup.discover()
    assert result.get("poetry/webapp-py3.12").kind == "poetry"
    assert result.get("pipenv/service").found_by == ("pipenv:virtualenvs",)
    assert result.get("hatch/mylib").kind == "hatch"
    assert result.get("hatch/mylib-docs").kind == "hatch"


def test_tool_variables(setup: Setup, base_exe: Path, tmp_path: Path) -> None:
    make_venv(tmp_path / "pv" / "a-12345678-py3.12", base_exe, "3.12.3")
    make_venv(tmp_path / "hd" / "env" / "virtual" / "lib" / "h4sh" / "lib", base_exe, "3.12.3")
    make_venv(tmp_path / "pc" / "virtualenvs" / "b-12345678-py3.12", base_exe, "3.12.3")
    setup.environ.update(
        POETRY_VIRTUALENVS_PATH=str(tmp_path / "pv"), HATCH_DATA_DIR=str(tmp_path / "hd")
    )
    result = setup.discover()
    assert result.get("poetry/a-py3.12").kind == "poetry"
    assert result.get("hatch/lib").kind == "hatch"
    del setup.environ["POETRY_VIRTUALENVS_PATH"]
    setup.environ["POETRY_CACHE_DIR"] = str(tmp_path / "pc")
    assert setup.discover().get("poetry/b-py3.12").kind == "poetry"


def test_pipenv_in_shared_workon_home(setup: Setup, base_exe: Path, tmp_path: Path) -> None:
    workon = tmp_path / "workon"
    pip_env = make_venv(workon / "api-AbCd12_x", base_exe, "3.12.3")
    (pip_env / ".project").write_text("/src/api")
    make_venv(workon / "data-analysis", base_exe, "3.12.3")  # virtualenvwrapper's, not pipenv's
    setup.environ["WORKON_HOME"] = str(workon)
    result = setup.discover()
    assert result.get("pipenv/api").kind == "pipenv"
    assert result.get("venv/data-analysis").kind == "venv"


def test_pixi_envs_in_cwd_parents(setup: Setup) -> None:
    project = setup.root / "work" / "robot"
    (project / "pixi.toml").parent.mkdir(parents=True)
    (project / "pixi.toml").write_text('[project]\nname = "robot"\n')
    default = make_conda_env(project / ".pixi" / "envs" / "default", "3.12.5")
    make_conda_env(project / ".pixi" / "envs" / "test", "3.11.9")
    setup.cwd = project / "src"
    setup.cwd.mkdir()
    result = setup.discover()
    assert setup.by_prefix(result, default).id == "pixi/robot"
    assert result.get("pixi/robot-test").kind == "pixi"


def test_system_interpreters(setup: Setup, tmp_path: Path) -> None:
    local = tmp_path / "usr" / "local"
    make_interpreter(local, "3.13.1")
    (local / "include" / "python3.13").mkdir(parents=True)
    (local / "include" / "python3.13" / "patchlevel.h").write_text(
        '#define PY_MINOR_VERSION 13\n#define PY_VERSION "3.13.1+"\n'
    )
    shims = setup.home / ".pyenv" / "shims"
    shims.mkdir(parents=True)
    (shims / "python3").write_text("#!/bin/bash\nexec pyenv exec python3\n")
    setup.environ["PATH"] = os.pathsep.join([str(shims), str(local / "bin"), "relative/bin"])
    setup.system = SystemRoots(bin_dirs=(str(tmp_path / "usr" / "bin"),))
    result = setup.discover()
    system = sorted((e.id, e.prefix, e.executable, e.python_version) for e in result)
    assert system == [
        ("system/python3.12", str(tmp_path / "usr"), str(tmp_path / "usr/bin/python3.12"), "3.12"),
        ("system/python3.13", str(local), str(local / "bin" / "python3.13"), "3.13.1"),
    ]


def test_system_skips_interpreters_of_found_environments(setup: Setup, base_exe: Path) -> None:
    venv = make_venv(setup.cwd / ".venv", base_exe, "3.12.3")
    pyenv = make_interpreter(setup.home / ".pyenv" / "versions" / "3.11.2", "3.11.2")
    setup.environ["PATH"] = os.pathsep.join(
        [str(venv / "bin"), str(pyenv.parent), setup.environ["PATH"]]
    )
    kinds = sorted(e.kind for e in setup.discover())
    assert kinds == ["pyenv", "system", "venv"]
