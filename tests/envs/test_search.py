"""The search of HOME and the usual project roots: what it finds, where it stops, what it says."""

from __future__ import annotations

import os
from pathlib import Path

from kernelhub.envs import Settings, SystemRoots
from kernelhub.envs.search import BUDGET, DEPTH, HOME_DEPTH, ROOT_NAMES, plan
from tests.envs.conftest import Setup
from tests.envs.layouts import make_conda_env, make_venv


def _prefixes(setup: Setup) -> set[str]:
    return {e.prefix for e in setup.discover()}


def test_a_project_venv_under_home_is_found_from_anywhere(setup: Setup, base_exe: Path) -> None:
    # The issue: run from elsewhere, ~/uvproj/.venv did not appear at all.
    venv = make_venv(setup.home / "uvproj" / ".venv", base_exe, "3.12.3", creator="uv")
    assert not str(setup.cwd).startswith(str(setup.home))
    result = setup.discover()
    env = setup.by_prefix(result, venv)
    assert (env.id, env.found_by) == ("uv/uvproj", ("search:home",))
    assert result.problems == ()


def test_depths(setup: Setup, base_exe: Path) -> None:
    found = [
        make_venv(setup.home / "tool", base_exe, "3.12.3"),  # a venv right in HOME
        make_venv(setup.home / "proj" / "env", base_exe, "3.12.3"),  # any name
        make_venv(setup.home / "src" / "org" / "proj" / ".venv", base_exe, "3.12.3"),
        make_conda_env(setup.home / "code" / "analysis" / "env", "3.11.7"),
    ]
    missed = [
        make_venv(setup.home / "a" / "b" / ".venv", base_exe, "3.12.3"),  # HOME: 2 levels
        make_venv(setup.home / "src" / "a" / "b" / "c" / ".venv", base_exe, "3.12.3"),
    ]
    have = _prefixes(setup)
    assert {os.path.realpath(p) for p in found} <= have
    assert not {os.path.realpath(p) for p in missed} & have
    setup.environ["KERNELHUB_ENV_SEARCH_DEPTH"] = "4"  # the roots' depth; HOME stays at 2
    deeper = _prefixes(setup)
    assert os.path.realpath(missed[1]) in deeper
    assert os.path.realpath(missed[0]) not in deeper


def test_hidden_and_bulky_trees_are_not_entered(setup: Setup, base_exe: Path) -> None:
    skipped = [
        make_venv(setup.home / ".cache" / "x" / ".venv", base_exe, "3.12.3"),
        make_venv(setup.home / "src" / "web" / "node_modules" / "venv", base_exe, "3.12.3"),
    ]
    outer = make_venv(setup.home / "src" / "proj" / "venv", base_exe, "3.12.3")
    skipped.append(make_venv(outer / "inner", base_exe, "3.12.3"))  # inside an environment
    have = _prefixes(setup)
    assert not {os.path.realpath(p) for p in skipped} & have
    assert os.path.realpath(outer) in have


def test_symlink_loops_and_unreadable_dirs_are_harmless(setup: Setup, base_exe: Path) -> None:
    (setup.home / "src").mkdir()
    (setup.home / "src" / "again").symlink_to(setup.home)
    (setup.home / "dangling").symlink_to(setup.home / "nowhere")
    (setup.home / "locked").mkdir(mode=0)
    venv = make_venv(setup.home / "src" / "p" / ".venv", base_exe, "3.12.3")
    try:
        result = setup.discover()
    finally:
        (setup.home / "locked").chmod(0o755)
    assert [e.prefix for e in result].count(os.path.realpath(venv)) == 1
    assert result.problems == ()


def test_settings_roots_depth_off_and_bad_values(setup: Setup, base_exe: Path) -> None:
    mine = make_venv(setup.root / "elsewhere" / "p" / ".venv", base_exe, "3.12.3")
    home = make_venv(setup.home / "p" / ".venv", base_exe, "3.12.3")
    setup.environ["KERNELHUB_ENV_SEARCH_ROOTS"] = os.pathsep.join(
        [str(setup.root / "elsewhere"), "relative"]
    )
    result = setup.discover()
    have = {e.prefix for e in result}
    assert os.path.realpath(mine) in have
    assert os.path.realpath(home) not in have
    assert [(p.path, "absolute" in p.message) for p in result.problems] == [
        ("KERNELHUB_ENV_SEARCH_ROOTS", True)
    ]
    del setup.environ["KERNELHUB_ENV_SEARCH_ROOTS"]
    setup.environ["KERNELHUB_ENV_SEARCH_DEPTH"] = "0"
    off = setup.discover()
    assert os.path.realpath(home) not in {e.prefix for e in off}
    assert off.searched.roots == ()
    setup.environ["KERNELHUB_ENV_SEARCH_DEPTH"] = "deep"
    setup.environ["KERNELHUB_ENV_SEARCH_BUDGET"] = "-1"
    bad = setup.discover()
    assert os.path.realpath(home) in {e.prefix for e in bad}  # the defaults are used
    assert sorted(p.path for p in bad.problems) == [
        "KERNELHUB_ENV_SEARCH_BUDGET",
        "KERNELHUB_ENV_SEARCH_DEPTH",
    ]
    assert all("'deep'" in p.message or "'-1'" in p.message for p in bad.problems)


def test_a_spent_budget_is_said(setup: Setup, base_exe: Path) -> None:
    make_venv(setup.home / "p" / ".venv", base_exe, "3.12.3")
    setup.environ["KERNELHUB_ENV_SEARCH_BUDGET"] = "0"
    searched = setup.discover().searched
    assert searched.complete is False
    assert "stopped after 0 s" in searched.describe()


def test_searched_says_where_it_looked(setup: Setup) -> None:
    (setup.home / "src").mkdir()
    (setup.home / "projects").mkdir()
    searched = setup.discover().searched
    home = str(setup.home)
    assert searched.cwd == str(setup.cwd)
    assert searched.roots == (
        (home, HOME_DEPTH),
        (os.path.join(home, "src"), DEPTH),
        (os.path.join(home, "projects"), DEPTH),
    )
    assert searched.complete
    assert searched.listed >= 3
    text = searched.describe()
    assert f"the working directory {setup.cwd} and its parents" in text
    assert f"~ ({HOME_DEPTH} levels deep)" in text
    assert f"~/src, ~/projects ({DEPTH} levels deep)" in text
    assert "registered in" in text
    assert "PATH" in text
    assert searched.to_json()["roots"][0] == {"path": home, "depth": HOME_DEPTH}


def test_default_plan() -> None:
    s = Settings.from_environ({"HOME": "/h"}, system=SystemRoots.none())
    p = plan(s)
    assert p.roots[0] == ("/h", HOME_DEPTH)
    assert [r for r, _ in p.roots[1:]] == [os.path.join("/h", n) for n in ROOT_NAMES]
    assert (p.budget, p.problems) == (BUDGET, ())


def test_a_home_of_slash_is_not_searched_whole() -> None:
    p = plan(Settings.from_environ({"HOME": "/"}, system=SystemRoots.none()))
    assert [r for r, _ in p.roots] == [os.path.join("/", n) for n in ROOT_NAMES]
