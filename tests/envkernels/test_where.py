"""Environments a new user has, and commands that say where they looked (in a subprocess).

Project venvs under HOME found from anywhere; ``check`` naming the places it searched and
understanding import names; the interpreter of a kernelspec that names a venv's Python; an R
kernel belonging to no Python.
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

from tests.envkernels.conftest import R_ARGV, World, write_spec
from tests.envkernels.test_cli import LAUNCH_TAIL, assert_one_line_error, fields, real
from tests.envs.layouts import make_venv, write_dist

IPYKERNEL = {"ipykernel": "7.4.0"}


def _home_project(world: World) -> Path:
    """A uv project under HOME, with ipykernel and scikit-learn (import name sklearn)."""
    venv = make_venv(
        world.home / "mlproj" / ".venv",
        world.usr / "bin" / "python3.12",
        "3.12.3",
        creator="uv",
        packages=IPYKERNEL,
    )
    dist = write_dist(venv / "lib" / "python3.12" / "site-packages", "scikit-learn", "1.5.0")
    (dist / "top_level.txt").write_text("sklearn\n")
    return venv


def test_a_project_venv_under_home_is_listed_and_checked_from_elsewhere(world: World) -> None:
    venv = _home_project(world)
    assert not str(world.cwd).startswith(str(world.home))
    listed = {e["id"]: e for e in json.loads(world.kh("envs", "--json").stdout)}
    assert listed["uv/mlproj"]["prefix"] == real(venv)
    assert listed["uv/mlproj"]["found_by"] == ["search:home"]
    data = json.loads(world.kh("check", "venv/myproject", "scikit-learn", "--json").stdout)
    assert data["packages"][0]["elsewhere"] == [
        {"id": "uv/mlproj", "version": "1.5.0", "prefix": real(venv)}
    ]


def test_check_understands_import_names(world: World) -> None:
    _home_project(world)
    result = world.kh("check", "venv/myproject", "sklearn>=1.4", "yaml", "--json")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    sklearn, yaml = data["packages"]
    assert (sklearn["name"], sklearn["import_name"], sklearn["requested"]) == (
        "scikit-learn",
        "sklearn",
        "sklearn>=1.4",
    )
    assert [o["id"] for o in sklearn["elsewhere"]] == ["uv/mlproj"]
    assert (yaml["name"], yaml["import_name"], yaml["elsewhere"]) == ("pyyaml", "yaml", [])
    exe = os.path.join(real(world.myproject), "bin", "python")
    assert data["install_command"] == [exe, "-m", "pip", "install", "scikit-learn>=1.4", "pyyaml"]
    text = world.kh("check", "venv/myproject", "sklearn").stdout
    row = next(line for line in text.splitlines() if line.startswith("scikit-learn"))
    assert "(import sklearn)" in row
    assert "uv/mlproj (1.5.0)" in row
    assert text.splitlines()[-1] == shlex.join([exe, "-m", "pip", "install", "scikit-learn"])


def test_check_installed_under_its_import_name(world: World) -> None:
    site = world.myproject / "lib" / "python3.12" / "site-packages"
    (write_dist(site, "PyYAML", "6.0.2") / "top_level.txt").write_text("_yaml\nyaml\n")
    result = world.kh("check", "venv/myproject", "yaml", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    (pkg,) = json.loads(result.stdout)["packages"]
    assert (pkg["name"], pkg["installed"], pkg["version"]) == ("pyyaml", True, "6.0.2")


def test_nowhere_else_says_where_it_looked(world: World) -> None:
    (world.home / "src").mkdir()
    result = world.kh("check", "venv/myproject", "polars")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    row = next(line for line in lines if line.startswith("polars"))
    others = len(json.loads(world.kh("envs", "--json").stdout)) - 1
    assert f"in none of {others} other environments" in row
    looked = next(line for line in lines if line.startswith("environments were looked for in:"))
    assert f"the working directory {world.cwd} and its parents" in looked
    assert "under ~ (2 levels deep) and ~/src (3 levels deep)" in looked
    assert "registered in" in looked
    assert "conda" in looked
    data = json.loads(world.kh("check", "venv/myproject", "polars", "--json").stdout)
    assert data["environments_searched"] == others
    assert data["searched"]["roots"] == [
        {"path": str(world.home), "depth": 2},
        {"path": str(world.home / "src"), "depth": 3},
    ]


def test_install_env_registers_it_and_envs_forget_removes_it(world: World) -> None:
    far = make_venv(
        world.root / "far" / "tool", world.usr / "bin" / "python3.12", "3.12.3", packages=IPYKERNEL
    )
    assert "venv/tool" not in {e["id"] for e in json.loads(world.kh("envs", "--json").stdout)}
    installed = world.kh("install", "--env", str(far))
    assert installed.returncode == 0, installed.stderr
    listed = {e["id"]: e for e in json.loads(world.kh("envs", "--json").stdout)}
    assert listed["venv/tool"]["found_by"] == ["kernelhub:registry"]
    forgot = world.kh("envs", "--forget", str(far), "--json")
    assert forgot.returncode == 0, forgot.stderr
    assert "forgot" in forgot.stderr
    assert "venv/tool" not in {e["id"] for e in json.loads(forgot.stdout)}
    assert_one_line_error(world.kh("envs", "--forget", str(far)), str(far), "not in")


def test_a_spec_running_a_venv_python_has_that_interpreter(world: World) -> None:
    exe = str(world.myproject / "bin" / "python")
    write_spec(world.kernels, "proj", [exe, *LAUNCH_TAIL])
    by_id = {k["id"]: k for k in json.loads(world.kh("list", "--json").stdout)}
    assert by_id["spec/proj"]["interpreter"] == exe
    assert by_id["spec/proj"]["executable"] == exe


def test_an_r_kernel_belongs_to_no_python(world: World) -> None:
    r = world.usr / "bin" / "R"
    r.write_text("#!/bin/sh\nexit 97\n")
    r.chmod(0o755)
    write_spec(world.kernels, "ir", [str(r), *R_ARGV[1:]], language="R")
    write_spec(world.kernels, "bare-r", R_ARGV, language="R")
    env = {"PATH": f"{world.usr / 'bin'}"}
    world.environ.update(env)
    by_id = {k["id"]: k for k in json.loads(world.kh("list", "--json").stdout)}
    for kid in ("spec/ir", "spec/bare-r", "conda/datasci-ir"):
        assert by_id[kid]["interpreter"] is None, kid
    assert by_id["spec/ir"]["executable"] == str(r)  # the program is kept
    assert by_id["spec/bare-r"]["executable"] == str(r)
    which = json.loads(world.kh("which", "spec/ir", "--json").stdout)
    assert (which["environment"], which["python"], which["executable"]) == (None, False, str(r))
    assert fields(world.kh("which", "spec/bare-r").stdout)["environment"] == (
        "none: it runs no Python interpreter"
    )
    assert_one_line_error(world.kh("check", "spec/ir", "pandas"), "spec/ir", "not a Python")


def test_which_outside_every_environment_says_where_it_looked(world: World) -> None:
    stray = world.root / "stray" / "bin" / "python3.12"
    stray.parent.mkdir(parents=True)
    stray.write_text("#!/bin/sh\nexit 97\n")
    stray.chmod(0o755)
    write_spec(world.kernels, "stray", [str(stray), *LAUNCH_TAIL])
    got = fields(world.kh("which", "spec/stray").stdout)
    count = len(json.loads(world.kh("envs", "--json").stdout))
    assert got["environment"] == f"none of the {count} environments kernelhub found"
    assert got["looked in"].startswith(f"the working directory {world.cwd} and its parents")
