"""``kernelhub envs``, ``which`` and ``check`` as a user runs them, in a subprocess.

The subprocess sees the world's HOME, PATH and working directory and no system-wide place
(``World.kh``); one test runs plain ``python -m kernelhub`` with the machine's system-wide
places searched too, and asserts on the world's ids only.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

from tests.envkernels.conftest import World, write_spec
from tests.envs.layouts import write_dist

LAUNCH_TAIL = ["-m", "ipykernel_launcher", "-f", "{connection_file}"]
ENV_KEYS = {
    "kind",
    "name",
    "prefix",
    "executable",
    "python_version",
    "ipykernel_version",
    "status",
    "diagnostics",
}


def real(path: Path) -> str:
    return os.path.realpath(path)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 1, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("kernelhub: error: ")
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def fields(stdout: str) -> dict[str, str]:
    """``name  value`` lines as printed by ``which``."""
    out = {}
    for line in stdout.splitlines():
        name, _, value = line.partition("  ")
        out[name.strip()] = value.strip()
    return out


def test_envs_json(world: World) -> None:
    result = world.kh("envs", "--json")
    assert result.returncode == 0, result.stderr
    envs = json.loads(result.stdout)
    assert isinstance(envs, list)
    by_id = {e["id"]: e for e in envs}
    for kid in ("conda/datasci", "conda/plain", "venv/myproject", "uv/uvproj", "pyenv/3.12.4"):
        assert set(by_id[kid]) >= ENV_KEYS, kid
    datasci = by_id["conda/datasci"]
    assert (datasci["kind"], datasci["name"], datasci["prefix"]) == (
        "conda",
        "datasci",
        real(world.datasci),
    )
    assert datasci["executable"] == os.path.join(real(world.datasci), "bin", "python")
    assert (datasci["python_version"], datasci["ipykernel_version"]) == ("3.11.7", "7.4.0")
    assert by_id["conda/plain"]["ipykernel_version"] is None
    assert by_id["uv/uvproj"]["kind"] == "uv"
    broken = by_id["venv/dangling"]
    assert broken["status"] == "broken"
    assert any("dangling symlink" in d for d in broken["diagnostics"])


def test_envs_table(world: World) -> None:
    result = world.kh("envs")
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["ID", "KIND", "PYTHON", "IPYKERNEL", "PREFIX", "STATUS"]
    row = next(r for r in rows if r.startswith("conda/datasci "))
    assert row.split() == ["conda/datasci", "conda", "3.11.7", "7.4.0", real(world.datasci), "ok"]
    plain = next(r for r in rows if r.startswith("conda/plain "))
    assert plain.split()[3] == "-"
    dangling = next(r for r in rows if r.startswith("venv/dangling "))
    assert dangling.split()[-1] == "broken"
    assert any(r.strip().startswith("venv/dangling: ") for r in rows)  # the diagnostics
    kernels = world.kh("envs", "--kernels").stdout
    assert "conda/datasci " in kernels
    assert "conda/plain " not in kernels


def test_envs_warns_about_what_discovery_skipped(world: World) -> None:
    txt = world.home / ".conda" / "environments.txt"
    txt.write_text(txt.read_text() + f"{world.root / 'deleted-env'}\n")
    result = world.kh("envs", "--json")
    assert result.returncode == 0, result.stderr
    json.loads(result.stdout)  # stdout stays pure JSON
    warnings = [line for line in result.stderr.splitlines() if "deleted-env" in line]
    assert warnings
    assert warnings[0].startswith("kernelhub: warning: skipped ")


def test_which_env_kernel(world: World) -> None:
    result = world.kh("which", "conda/datasci")
    assert result.returncode == 0, result.stderr
    got = fields(result.stdout)
    exe = os.path.join(real(world.datasci), "bin", "python")
    assert got["runs"] == exe
    assert got["real path"] == os.path.realpath(exe)
    assert got["environment"] == f"conda/datasci (conda 'datasci' at {real(world.datasci)})"
    assert (got["python"], got["ipykernel"]) == ("3.11.7", "7.4.0")
    assert "conda:environments.txt" in got["found by"]

    data = json.loads(world.kh("which", "conda/datasci", "--json").stdout)
    assert data["executable"] == exe
    assert data["realpath"] == os.path.realpath(exe)
    env = data["environment"]
    assert (env["kind"], env["name"], env["prefix"]) == ("conda", "datasci", real(world.datasci))
    assert (data["python_version"], data["ipykernel_version"]) == ("3.11.7", "7.4.0")
    assert (data["provider"], data["origin"]) == ("conda", real(world.datasci))


def test_which_spec_finds_the_environment_that_owns_its_interpreter(world: World) -> None:
    spec = write_spec(
        world.kernels, "proj", [str(world.myproject / "bin" / "python3"), *LAUNCH_TAIL]
    )
    data = json.loads(world.kh("which", "spec/proj", "--json").stdout)
    assert data["provider"] == "spec"
    assert data["origin"] == str(spec / "kernel.json")
    assert data["executable"] == str(world.myproject / "bin" / "python3")
    assert data["realpath"] == real(world.usr / "bin" / "python3.12")  # a venv's python links out
    assert data["environment"]["id"] == "venv/myproject"
    assert data["ipykernel_version"] == "7.4.0"
    assert data["same_interpreter_as"] == ["venv/myproject"]
    env_side = json.loads(world.kh("which", "venv/myproject", "--json").stdout)
    assert env_side["same_interpreter_as"] == ["spec/proj"]


def test_check_conda_env_names_the_other_env_and_the_conda_command(world: World) -> None:
    result = world.kh("check", "conda/datasci", "pandas", "numpy")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    pandas = next(line for line in lines if line.startswith("pandas "))
    assert pandas.split()[:3] == ["pandas", "installed", "2.2.2"]
    numpy = next(line for line in lines if line.startswith("numpy "))
    assert numpy.split()[:2] == ["numpy", "missing"]
    assert "pyenv/3.12.4 (2.1.0)" in numpy
    assert f"conda install -p {real(world.datasci)} numpy" in lines
    assert result.stderr == ""


def test_check_uv_venv_uses_uv(world: World) -> None:
    result = world.kh("check", "uv/uvproj", "numpy>=2")
    assert result.returncode == 1, result.stderr
    exe = os.path.join(real(world.uvproj), "bin", "python")
    assert shlex.join(["uv", "pip", "install", "--python", exe, "numpy>=2"]) in result.stdout
    assert result.stdout.splitlines()[-1] == shlex.join(
        ["uv", "pip", "install", "--python", exe, "numpy>=2"]
    )


def test_check_plain_venv_uses_its_pip(world: World) -> None:
    result = world.kh("check", "venv/myproject", "numpy", "--json")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    exe = os.path.join(real(world.myproject), "bin", "python")
    assert data["install_command"] == [exe, "-m", "pip", "install", "numpy"]
    assert data["all_installed"] is False
    (numpy,) = data["packages"]
    assert (numpy["name"], numpy["installed"], numpy["version"]) == ("numpy", False, None)
    assert {"id": "pyenv/3.12.4", "version": "2.1.0", "prefix": real(world.pyenv)} in numpy[
        "elsewhere"
    ]
    text = world.kh("check", "venv/myproject", "numpy").stdout.splitlines()
    assert text[-1] == shlex.join([exe, "-m", "pip", "install", "numpy"])


def test_check_all_present_exits_zero(world: World) -> None:
    write_dist(world.myproject / "lib" / "python3.12" / "site-packages", "Scikit_Learn", "1.5.0")
    result = world.kh("check", "venv/myproject", "ipykernel", "scikit-learn", "pip")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "to install what is missing" not in result.stdout
    data = json.loads(world.kh("check", "venv/myproject", "scikit_learn", "--json").stdout)
    assert data["packages"][0]["version"] == "1.5.0"
    assert data["install_command"] is None


def test_check_a_spec_checks_the_environment_it_runs_in(world: World) -> None:
    write_spec(world.kernels, "ds", [str(world.datasci / "bin" / "python"), *LAUNCH_TAIL])
    data = json.loads(world.kh("check", "spec/ds", "pandas", "--json").stdout)
    assert data["environment"]["id"] == "conda/datasci"
    assert data["packages"][0]["version"] == "2.2.2"


def test_unknown_ids_are_one_line_errors_with_suggestions(world: World) -> None:
    for command in (["which", "conda/datasic"], ["check", "conda/datasic", "numpy"]):
        assert_one_line_error(world.kh(*command), "conda/datasic", "did you mean", "conda/datasci")


def test_check_bad_package_and_kernel_outside_environments(world: World) -> None:
    assert_one_line_error(world.kh("check", "venv/myproject", "not a name"), "not a name")
    write_spec(world.kernels, "elsewhere", [str(world.root / "nowhere" / "python"), *LAUNCH_TAIL])
    assert_one_line_error(world.kh("check", "spec/elsewhere", "numpy"), "spec/elsewhere")


def test_broken_env_kernel_is_explained(world: World) -> None:
    result = world.kh("which", "venv/dangling")
    assert result.returncode == 0, result.stderr
    got = fields(result.stdout)
    assert got["runs"] == "(not found)"
    assert got["status"] == "stale"
    assert "dangling symlink" in result.stdout


def test_check_in_a_broken_env_says_why_there_is_no_command(world: World) -> None:
    result = world.kh("check", "venv/dangling", "numpy", "--json")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["install_command"] is None
    assert "no Python interpreter" in data["install_problem"]
    text = world.kh("check", "venv/dangling", "numpy")
    assert text.returncode == 1
    assert "cannot install into venv/dangling" in text.stdout


def test_plain_python_m_kernelhub_finds_the_world_too(world: World) -> None:
    result = world.kh("envs", "--json", system=True)
    assert result.returncode == 0, result.stderr
    prefixes = {e["prefix"]: e for e in json.loads(result.stdout)}
    assert prefixes[real(world.datasci)]["ipykernel_version"] == "7.4.0"
    assert prefixes[real(world.myproject)]["kind"] == "venv"
