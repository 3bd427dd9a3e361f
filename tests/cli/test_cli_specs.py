"""The kernelspec commands as a user runs them: list, show, install, remove."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import JupyterDirs


def kh(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m kernelhub ARGS`` with the test's isolated environment."""
    return subprocess.run(
        [sys.executable, "-m", "kernelhub", *args],
        capture_output=True,
        text=True,
        timeout=60,
        input=input,
        check=False,
    )


def write_spec(root: Path, name: str, argv: list[str] | None = None, **extra: object) -> Path:
    d = root / name
    d.mkdir(parents=True)
    spec = {
        "argv": argv or [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Kernel {name}",
        "language": "python",
        **extra,
    }
    (d / "kernel.json").write_text(json.dumps(spec))
    return d


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 1, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("kernelhub: error: ")
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def test_list_shows_the_native_kernel_out_of_the_box() -> None:
    result = kh("list")
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["ID", "NAME", "LANGUAGE", "RUNS", "STATUS"]
    native = [r for r in rows if r.startswith("spec/python3 ")]
    assert native, result.stdout
    assert sys.executable in native[0]
    assert native[0].rstrip().endswith("ok")
    assert "\x1b[" not in result.stdout  # plain when piped


def test_list_json_has_the_documented_schema(jupyter_dirs: JupyterDirs) -> None:
    write_spec(jupyter_dirs.path_kernels, "mykernel", env={"A": "1"})
    result = kh("list", "--json")
    assert result.returncode == 0, result.stderr
    kernels = json.loads(result.stdout)
    assert isinstance(kernels, list)
    by_id = {k["id"]: k for k in kernels}
    mine = by_id["spec/mykernel"]
    required = {
        "id",
        "provider",
        "name",
        "display_name",
        "language",
        "argv",
        "resource_dir",
        "status",
        "diagnostics",
    }
    assert required <= set(mine)
    assert mine["provider"] == "spec"
    assert mine["name"] == "mykernel"
    assert mine["display_name"] == "Kernel mykernel"
    assert mine["resource_dir"] == str(jupyter_dirs.path_kernels / "mykernel")
    assert mine["status"] == "ok"
    assert mine["diagnostics"] == []
    assert mine["env"] == {"A": "1"}
    assert "pyimport/kernel" in by_id
    assert by_id["pyimport/kernel"]["resource_dir"] is None or isinstance(
        by_id["pyimport/kernel"]["resource_dir"], str
    )


def test_list_all_shows_shadowed_and_invalid(jupyter_dirs: JupyterDirs) -> None:
    write_spec(jupyter_dirs.path_kernels, "twin")
    write_spec(jupyter_dirs.user_kernels, "twin")
    broken = jupyter_dirs.path_kernels / "broken"
    broken.mkdir()
    (broken / "kernel.json").write_text("{not json")
    plain = json.loads(kh("list", "--json").stdout)
    assert [k["id"] for k in plain].count("spec/twin") == 1
    assert "spec/broken" not in [k["id"] for k in plain]
    everything = json.loads(kh("list", "--json", "--all").stdout)
    statuses = {(k["id"], k["status"], k["resource_dir"]) for k in everything}
    assert ("spec/twin", "ok", str(jupyter_dirs.path_kernels / "twin")) in statuses
    assert ("spec/twin", "shadowed", str(jupyter_dirs.user_kernels / "twin")) in statuses
    invalid = [k for k in everything if k["id"] == "spec/broken"]
    assert invalid
    assert invalid[0]["status"] == "invalid"
    assert any("kernel.json" in d for d in invalid[0]["diagnostics"])
    table = kh("list", "--all")
    assert table.returncode == 0
    assert "shadowed" in table.stdout
    assert "invalid" in table.stdout


def test_show_names_everything_and_suggests_on_typos(jupyter_dirs: JupyterDirs) -> None:
    write_spec(jupyter_dirs.path_kernels, "mykernel")
    shown = kh("show", "mykernel")
    assert shown.returncode == 0, shown.stderr
    assert "spec/mykernel" in shown.stdout
    assert str(jupyter_dirs.path_kernels / "mykernel") in shown.stdout
    as_json = json.loads(kh("show", "spec/mykernel", "--json").stdout)
    assert as_json["id"] == "spec/mykernel"
    assert_one_line_error(kh("show", "mykernenl"), "mykernenl", "did you mean", "mykernel")


def test_install_from_arguments_then_jupyter_sees_it(jupyter_dirs: JupyterDirs) -> None:
    result = kh(
        "install",
        "--name",
        "py-args",
        "--display-name",
        "Py Args",
        "--env",
        "X=1",
        "--",
        sys.executable,
        "-m",
        "ipykernel_launcher",
        "-f",
        "{connection_file}",
    )
    assert result.returncode == 0, result.stderr
    target = jupyter_dirs.user_kernels / "py-args"
    assert str(target) in result.stdout
    spec = json.loads((target / "kernel.json").read_text())
    assert spec["display_name"] == "Py Args"
    assert spec["env"] == {"X": "1"}
    assert spec["argv"][0] == sys.executable
    jupyter = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter"), "kernelspec", "list", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "py-args" in json.loads(jupyter.stdout)["kernelspecs"]


def test_install_from_a_directory_keeps_resources(
    tmp_path: Path, jupyter_dirs: JupyterDirs
) -> None:
    src = write_spec(tmp_path, "fromdir", codemirror_mode="python", extra_key=[1, 2])
    (src / "logo-64x64.png").write_bytes(b"\x89PNG fake")
    result = kh("install", str(src), "--prefix", str(tmp_path / "prefix"))
    assert result.returncode == 0, result.stderr
    target = tmp_path / "prefix" / "share" / "jupyter" / "kernels" / "fromdir"
    assert (target / "logo-64x64.png").read_bytes() == b"\x89PNG fake"
    spec = json.loads((target / "kernel.json").read_text())
    assert spec["codemirror_mode"] == "python"
    assert spec["extra_key"] == [1, 2]


def test_install_refuses_to_replace_and_bad_names(jupyter_dirs: JupyterDirs) -> None:
    args = ("--", sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}")
    assert kh("install", "--name", "dup", *args).returncode == 0
    assert_one_line_error(kh("install", "--name", "dup", *args), "dup")
    assert kh("install", "--name", "dup", "--replace", *args).returncode == 0
    assert_one_line_error(kh("install", "--name", "bad name!", *args), "bad name!")
    assert_one_line_error(kh("install", "--name", "x", "--env", "NOEQUALS", *args), "KEY=VALUE")
    assert_one_line_error(kh("install"), "nothing to install")
    assert not (jupyter_dirs.user_kernels / "bad name!").exists()


def test_remove_named_and_missing(jupyter_dirs: JupyterDirs) -> None:
    keep = write_spec(jupyter_dirs.user_kernels, "keep")
    gone = write_spec(jupyter_dirs.user_kernels, "gone")
    stale = write_spec(
        jupyter_dirs.user_kernels, "stale", argv=["/no/such/program", "{connection_file}"]
    )
    result = kh("remove", "gone")
    assert result.returncode == 0, result.stderr
    assert not gone.exists()
    assert keep.exists()
    assert_one_line_error(kh("remove", "gonne"), "gonne")
    dry = kh("remove", "--missing", "--dry-run")
    assert dry.returncode == 0
    assert "stale" in dry.stdout
    assert stale.exists()
    result = kh("remove", "--missing", "--yes")
    assert result.returncode == 0, result.stderr
    assert not stale.exists()
    assert keep.exists()
    assert "no stale" in kh("remove", "--missing", "--yes").stdout


def test_help_version_and_unknown_commands() -> None:
    assert kh().returncode == 0
    assert "list" in kh("--help").stdout
    assert kh("--version").stdout.startswith("kernelhub ")
    assert kh("frobnicate").returncode == 2


def test_listing_as_json_imports_nothing_heavy() -> None:
    code = (
        "import sys, io, contextlib\n"
        "from kernelhub.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['list', '--json'])\n"
        "print(','.join(m for m in ('zmq', 'rich', 'jupyter_client', 'ipykernel', 'psutil')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == ""


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX only")
def test_no_color_and_pipes_give_plain_text() -> None:
    result = kh("list", "--all")
    assert "\x1b[" not in result.stdout + result.stderr


def test_install_asks_for_the_language_it_cannot_guess(jupyter_dirs: JupyterDirs) -> None:
    assert_one_line_error(
        kh("install", "--name", "r", "--", "/usr/bin/R", "--slave", "-f", "{connection_file}"),
        "--language",
    )
    assert not (jupyter_dirs.user_kernels / "r").exists()
    ok = kh("install", "--name", "r", "--language", "R", "--", "R", "-f", "{connection_file}")
    assert ok.returncode == 0, ok.stderr
    assert (
        json.loads((jupyter_dirs.user_kernels / "r" / "kernel.json").read_text())["language"] == "R"
    )


def test_dashes_only_go_to_commands_that_take_a_command_line() -> None:
    result = kh("list", "--", "extra")
    assert result.returncode == 2
    assert "takes no command line" in result.stderr


def test_remove_dry_run_names_invalid_specs_and_ignores_aliases(jupyter_dirs: JupyterDirs) -> None:
    broken = jupyter_dirs.user_kernels / "broken"
    broken.mkdir(parents=True)
    (broken / "kernel.json").write_text("{oops")
    dry = kh("remove", "--dry-run", "broken")
    assert dry.returncode == 0, dry.stderr
    assert str(broken) in dry.stdout
    assert broken.exists()
    # `python` is an alias of the native kernel for listing, never for removal.
    assert_one_line_error(kh("remove", "--dry-run", "python"), "python")
