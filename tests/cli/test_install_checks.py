"""``kernelhub install -- ARGV`` of a spec that cannot start: warned about, then listed so."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli_specs import kh
from tests.conftest import JupyterDirs
from tests.envs.layouts import make_interpreter, make_venv, write_dist

LAUNCH = ["-m", "ipykernel_launcher", "-f", "{connection_file}"]


def listed(name: str) -> dict[str, Any]:
    result = kh("list", "--json")
    assert result.returncode == 0, result.stderr
    (kernel,) = [k for k in json.loads(result.stdout) if k["id"] == f"spec/{name}"]
    return kernel  # type: ignore[no-any-return]


def warnings(stderr: str) -> list[str]:
    lines = stderr.strip().splitlines()
    assert all(line.startswith("kernelhub: warning: ") for line in lines), stderr
    return lines


def test_a_missing_program_is_installed_with_a_warning_and_listed_stale(
    jupyter_dirs: JupyterDirs,
) -> None:
    result = kh("install", "--name", "gone", "--", "/no/such/python", *LAUNCH)
    assert result.returncode == 0, result.stderr
    (line,) = warnings(result.stderr)
    assert "'gone'" in line
    assert "/no/such/python" in line
    assert "stale" in result.stdout
    assert (jupyter_dirs.user_kernels / "gone" / "kernel.json").is_file()
    kernel = listed("gone")
    assert kernel["status"] == "stale"
    assert any("/no/such/python" in d for d in kernel["diagnostics"])
    table = kh("list")
    assert "kernelhub show ID" in table.stderr  # the table says someone needs attention


def test_no_connection_file_is_a_warning_and_a_diagnostic(jupyter_dirs: JupyterDirs) -> None:
    result = kh("install", "--name", "nocf", "--", sys.executable, "-m", "ipykernel_launcher")
    assert result.returncode == 0, result.stderr
    (line,) = warnings(result.stderr)
    assert "{connection_file}" in line
    assert "stale" not in result.stdout  # it starts; it just cannot be told its ports
    kernel = listed("nocf")
    assert kernel["status"] == "ok"
    assert any("{connection_file}" in d for d in kernel["diagnostics"])
    assert "kernelhub show ID" in kh("list").stderr


def test_a_good_command_line_installs_without_a_word(jupyter_dirs: JupyterDirs) -> None:
    result = kh("install", "--name", "good", "--", sys.executable, *LAUNCH)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.strip() == f"installed kernelspec in {jupyter_dirs.user_kernels / 'good'}"
    kernel = listed("good")
    assert (kernel["status"], kernel["diagnostics"]) == ("ok", [])


def test_a_python_without_ipykernel_is_stale_until_ipykernel_is_installed(
    jupyter_dirs: JupyterDirs, tmp_path: Path
) -> None:
    base = make_interpreter(tmp_path / "base", "3.11.7")
    venv = make_venv(tmp_path / "proj" / ".venv", base, "3.11.7")
    python = str(venv / "bin" / "python")
    result = kh("install", "--name", "bare", "--", python, *LAUNCH)
    assert result.returncode == 0, result.stderr
    (line,) = warnings(result.stderr)
    assert "has no ipykernel" in line
    assert python in line
    assert "stale" in result.stdout
    kernel = listed("bare")
    assert kernel["status"] == "stale"
    assert any("has no ipykernel" in d for d in kernel["diagnostics"])
    # The program exists: --missing (programs that are gone) leaves it alone.
    assert "no stale kernelspecs" in kh("remove", "--missing", "--yes").stdout
    assert (jupyter_dirs.user_kernels / "bare").is_dir()
    # Installing ipykernel mends it at the very next listing (kernel.json did not change).
    write_dist(venv / "lib" / "python3.11" / "site-packages", "ipykernel", "7.4.0")
    kernel = listed("bare")
    assert (kernel["status"], kernel["diagnostics"]) == ("ok", [])


def test_ipykernel_is_not_claimed_missing_where_files_cannot_tell(
    jupyter_dirs: JupyterDirs, tmp_path: Path
) -> None:
    base = make_interpreter(tmp_path / "base", "3.11.7")
    shared = make_venv(tmp_path / "shared", base, "3.11.7")
    cfg = shared / "pyvenv.cfg"
    cfg.write_text(cfg.read_text().replace("site-packages = false", "site-packages = true"))
    python = str(base.parent / "python3")
    user_site = jupyter_dirs.home / ".local" / "lib" / "python3.11" / "site-packages"
    write_dist(user_site, "ipykernel", "7.4.0")  # pip install --user: the base finds it
    cases = {
        "shared": [str(shared / "bin" / "python"), *LAUNCH],
        "usersite": [python, *LAUNCH],
        "pythonpath": [python, *LAUNCH],
        "code": [python, "-c", "import ipykernel_launcher", "{connection_file}"],
    }
    for name, argv in cases.items():
        extra = ["--env", "PYTHONPATH=/somewhere"] if name == "pythonpath" else []
        result = kh("install", "--name", name, *extra, "--", *argv)
        assert result.returncode == 0, result.stderr
        assert result.stderr == "", (name, result.stderr)
        assert listed(name)["status"] == "ok", name


def test_a_pythonpath_of_the_launcher_is_inherited_so_nothing_is_claimed(
    jupyter_dirs: JupyterDirs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kernelhub.specs import SpecRegistry

    base = make_interpreter(tmp_path / "base", "3.11.7")
    venv = make_venv(tmp_path / "v", base, "3.11.7")
    spec = jupyter_dirs.user_kernels / "bare"
    spec.mkdir(parents=True)
    argv = [str(venv / "bin" / "python"), *LAUNCH]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "B", "language": "python"})
    )
    assert SpecRegistry().entry("bare").status == "stale"
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "elsewhere"))
    assert SpecRegistry().entry("bare").status == "ok"


def test_an_install_hidden_by_another_spec_says_so(jupyter_dirs: JupyterDirs) -> None:
    (jupyter_dirs.path_kernels / "twin").mkdir(parents=True)
    (jupyter_dirs.path_kernels / "twin" / "kernel.json").write_text(
        json.dumps({"argv": [sys.executable, *LAUNCH], "display_name": "T", "language": "python"})
    )
    result = kh("install", "--name", "twin", "--", sys.executable, *LAUNCH)
    assert result.returncode == 0, result.stderr
    (line,) = warnings(result.stderr)
    assert "hidden by" in line
    assert str(jupyter_dirs.path_kernels / "twin") in line


def test_an_install_off_the_search_path_says_how_to_reach_it(tmp_path: Path) -> None:
    result = kh(
        "install", "--name", "far", "--prefix", str(tmp_path / "p"), "--", sys.executable, *LAUNCH
    )
    assert result.returncode == 0, result.stderr
    (line,) = warnings(result.stderr)
    assert "not on the kernelspec search path" in line
    assert f"Jupyter running from {tmp_path / 'p'} finds it" in line
    assert f"{tmp_path / 'p' / 'share' / 'jupyter'} in JUPYTER_PATH" in line


def test_one_process_sees_ipykernel_arrive_without_the_spec_changing(
    jupyter_dirs: JupyterDirs, tmp_path: Path
) -> None:
    from kernelhub.specs import SpecRegistry

    base = make_interpreter(tmp_path / "base", "3.11.7")
    venv = make_venv(tmp_path / "v", base, "3.11.7")
    spec = jupyter_dirs.user_kernels / "bare"
    spec.mkdir(parents=True)
    argv = [str(venv / "bin" / "python"), *LAUNCH]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "B", "language": "python"})
    )
    registry = SpecRegistry()
    assert registry.entry("bare").status == "stale"
    assert registry.entry("bare").status == "stale"  # cached, and still right
    write_dist(venv / "lib" / "python3.11" / "site-packages", "ipykernel", "7.4.0")
    entry = registry.entry("bare")
    assert (entry.status, entry.diagnostics) == ("ok", ())
