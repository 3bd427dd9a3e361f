"""One environment found several ways is listed once; ids are unique, URL-safe and stable."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from kernelhub.envs import inspect_environment
from kernelhub.errors import EnvError, NoSuchKernelError
from tests.envs.conftest import Setup
from tests.envs.layouts import make_conda_env, make_conda_root, make_interpreter, make_venv


def test_symlinked_env_is_listed_once_with_every_source(setup: Setup, base_exe: Path) -> None:
    real = make_venv(setup.root / "real" / "proj-AbCd1234-py3.12", base_exe, "3.12.3")
    cache = setup.home / ".cache" / "pypoetry" / "virtualenvs"
    cache.mkdir(parents=True)
    (cache / "proj-AbCd1234-py3.12").symlink_to(real)
    (setup.cwd / ".venv").symlink_to(real)
    setup.environ["VIRTUAL_ENV"] = str(setup.cwd / ".venv")
    result = setup.discover()
    assert len(result) == 2  # it, and the system interpreter
    env = setup.by_prefix(result, real)
    assert env.kind == "poetry"  # the most specific kind wins
    assert env.id == "poetry/proj-py3.12"
    assert set(env.found_by) == {
        "venv:VIRTUAL_ENV",
        "venv:project",
        "poetry:virtualenvs",
        "kernelhub:registry",
    }


def test_conda_env_registered_and_in_envs_dir_is_listed_once(setup: Setup) -> None:
    root = make_conda_root(setup.home / "anaconda3")
    env = make_conda_env(root / "envs" / "x", "3.11.7")
    (setup.home / ".conda").mkdir()
    (setup.home / ".conda" / "environments.txt").write_text(f"{env}\n{env}/\n{root}\n")
    result = setup.discover()
    assert sorted(e.id for e in result if e.kind == "conda") == ["conda/base", "conda/x"]


def test_uv_made_venv_in_a_tool_dir_is_that_tool(setup: Setup, base_exe: Path) -> None:
    hatch = setup.home / ".local" / "share" / "hatch" / "env" / "virtual" / "p" / "h4sh" / "p"
    make_venv(hatch, base_exe, "3.12.3", creator="uv")
    assert setup.discover().get("hatch/p").kind == "hatch"


def test_same_names_get_stable_suffixes(setup: Setup, base_exe: Path) -> None:
    a = make_venv(setup.home / ".virtualenvs" / "app", base_exe, "3.12.3")
    b = make_venv(setup.root / "b" / "app" / ".venv", base_exe, "3.12.3")
    setup.environ["VIRTUAL_ENV"] = str(b)
    first = setup.discover()
    ids = {e.prefix: e.id for e in first if e.kind == "venv"}
    # The prefix that sorts first keeps the plain name.
    plain, other = sorted([os.path.realpath(a), os.path.realpath(b)])
    assert ids[plain] == "venv/app"
    assert re.fullmatch(r"venv/app-[0-9a-f]{4}", ids[other])
    # A third "app" whose prefix sorts last renames neither (one sorting first would take
    # the plain name: the documented limit of this rule).
    c = make_venv(setup.root / "zz" / "app" / ".venv", base_exe, "3.12.3")
    assert str(c) > max(ids)
    second = setup.discover(cwd=str(c.parent))
    assert {e.prefix: e.id for e in second if e.prefix in ids} == ids
    assert len({e.id for e in second}) == len(second) == 4


def test_ids_are_url_safe(setup: Setup, base_exe: Path) -> None:
    make_venv(setup.home / ".virtualenvs" / "my env (old)", base_exe, "3.12.3")
    make_conda_env(setup.home / ".conda" / "envs" / "ünï cödé", "3.11.7")
    for env in setup.discover():
        assert re.fullmatch(r"[a-z]+/[A-Za-z0-9._-]+", env.id), env.id
    assert setup.discover().get("venv/my-env-old").kind == "venv"


def test_get_by_id_name_prefix_and_suggestions(setup: Setup, base_exe: Path) -> None:
    venv = make_venv(setup.home / ".virtualenvs" / "datasci", base_exe, "3.12.3")
    result = setup.discover()
    env = result.get("venv/datasci")
    assert result.get("datasci") is env
    assert result.get(str(venv)) is env
    assert result.get(str(venv / "bin" / "python")) is env
    with pytest.raises(NoSuchKernelError, match="did you mean 'venv/datasci'"):
        result.get("venv/datasic")


def test_inspect_environment_outside_any_locator(tmp_path: Path) -> None:
    base = make_interpreter(tmp_path / "py", "3.12.3")
    venv = make_venv(tmp_path / "odd" / "place", base, "3.12.3", creator="uv")
    env = inspect_environment(str(venv))
    assert (env.kind, env.name, env.found_by) == ("uv", "place", ("path",))
    assert inspect_environment(str(venv / "bin" / "python")).prefix == env.prefix
    assert inspect_environment(str(tmp_path / "py")).kind == "system"
    with pytest.raises(EnvError, match="not an environment"):
        inspect_environment(str(tmp_path))
