"""Bad input never crashes discovery: broken envs are listed as broken, the rest is reported.

Tests run as root, for whom ``chmod 000`` blocks nothing, so "unreadable" is simulated by
making ``os.scandir`` and ``os.open`` raise ``PermissionError`` for chosen paths.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kernelhub.envs import Discovery
from tests.envs.conftest import Setup
from tests.envs.layouts import make_conda_env, make_conda_root, make_interpreter, make_venv


def _problems(result: Discovery) -> dict[str, str]:
    return {p.path: p.message for p in result.problems}


def test_garbage_pyvenv_cfg_makes_broken_envs(setup: Setup, base_exe: Path) -> None:
    wrap = setup.home / ".virtualenvs"
    cases = {
        "binary": b"\x00\x01\x02\xff\xfe garbage \x00",
        "noequals": b"this is not\na config file\n",
        "empty": b"",
        "huge": b"home = /x\n" + b"#" * (300 * 1024),
    }
    for name, data in cases.items():
        make_venv(wrap / name, base_exe, "3.12.3")
        (wrap / name / "pyvenv.cfg").write_bytes(data)
    make_venv(wrap / "isdir", base_exe, "3.12.3")
    (wrap / "isdir" / "pyvenv.cfg").unlink()
    (wrap / "isdir" / "pyvenv.cfg").mkdir()
    make_venv(wrap / "fifo", base_exe, "3.12.3")
    (wrap / "fifo" / "pyvenv.cfg").unlink()
    os.mkfifo(wrap / "fifo" / "pyvenv.cfg")
    make_venv(wrap / "good", base_exe, "3.12.3")
    result = setup.discover()
    by_name = {e.name: e for e in result}
    assert by_name["good"].status == "ok"
    for name in [*cases, "isdir", "fifo"]:
        env = by_name[name]
        assert env.status == "broken", name
        assert any("pyvenv.cfg" in d and "expected" in d for d in env.diagnostics), env
        # the interpreter is still where it is, and the version shows through lib/
        assert env.executable == str(wrap / name / "bin" / "python")
        assert env.python_version == "3.12"
    problems = _problems(result)
    assert "binary or oversized" in problems[str(wrap / "binary" / "pyvenv.cfg")]
    assert "binary or oversized" in problems[str(wrap / "huge" / "pyvenv.cfg")]
    assert "a directory; expected" in problems[str(wrap / "isdir" / "pyvenv.cfg")]
    assert "not a regular file" in problems[str(wrap / "fifo" / "pyvenv.cfg")]


def test_broken_interpreters(setup: Setup, tmp_path: Path) -> None:
    gone = make_interpreter(tmp_path / "gone", "3.10.4")
    wrap = setup.home / ".virtualenvs"
    make_venv(wrap / "dangling", gone, "3.10.4")
    missing = make_venv(wrap / "missing", gone, "3.10.4")
    (missing / "bin" / "python").unlink()
    (missing / "bin" / "python3").unlink()
    (missing / "bin" / "python3.10").unlink()
    loop = make_venv(wrap / "loop", gone, "3.10.4")
    (loop / "bin" / "python").unlink()
    (loop / "bin" / "python").symlink_to(loop / "bin" / "python")
    import shutil

    shutil.rmtree(tmp_path / "gone")
    result = setup.discover()
    d = result.get("venv/dangling")
    assert d.status == "broken"
    assert d.executable is None
    assert any("dangling symlink" in x for x in d.diagnostics)
    assert any("pyvenv.cfg 'executable'" in x for x in d.diagnostics)
    m = result.get("venv/missing")
    assert m.status == "broken"
    assert any("no Python interpreter" in x for x in m.diagnostics)
    assert result.get("venv/loop").status == "broken"
    assert str(loop / "bin" / "python") in _problems(result)


def test_home_directory_gone(setup: Setup, base_exe: Path) -> None:
    venv = make_venv(setup.home / ".virtualenvs" / "old", base_exe, "3.12.3")
    (venv / "pyvenv.cfg").write_text("home = /nonexistent/bin\nversion = 3.9.1\n")
    env = setup.discover().get("venv/old")
    assert env.status == "broken"
    assert any("/nonexistent/bin" in d and "missing" in d for d in env.diagnostics)


def test_conda_oddities(setup: Setup, tmp_path: Path) -> None:
    root = make_conda_root(setup.home / "miniconda3")
    envs = root / "envs"
    make_conda_env(envs / "nopython", python=None)  # listed, no interpreter, not broken
    (envs / "metafile").mkdir()
    (envs / "metafile" / "conda-meta").write_text("a file where a directory should be")
    (envs / "empty").mkdir()  # not an environment at all
    (envs / "notes.txt").write_text("a stray file in envs/ is ignored")
    lost = make_conda_env(envs / "lost", "3.11.1")
    (lost / "bin" / "python3.11").unlink()  # python recorded, interpreter gone
    make_conda_env(envs / "bad\udcffname", "3.11.1")  # undecodable file name
    (envs / "loop").symlink_to(envs / "loop")
    (setup.home / ".conda").mkdir()
    (setup.home / ".conda" / "environments.txt").write_text(
        f"\n# comment\n{tmp_path / 'deleted-env'}\n{envs / 'notes.txt'}\n{root}\n"
    )
    (setup.home / ".condarc").write_bytes(b"envs_dirs: [\x00\x01]\n")
    result = setup.discover()
    ids = {e.id: e for e in result}
    assert ids["conda/nopython"].status == "ok"
    assert ids["conda/lost"].status == "broken"
    assert "conda/bad-name" in ids
    problems = _problems(result)
    assert "missing" in problems[str(tmp_path / "deleted-env")]
    assert "not an environment" in problems[str(envs / "empty")]
    assert (
        "not a directory; expected conda package records"
        in problems[str(envs / "metafile" / "conda-meta")]
    )
    assert "not an environment" in problems[str(envs / "metafile")]
    assert "not an environment" in problems[str(envs / "notes.txt")]
    assert "symlink loop" in problems[str(envs / "loop")]
    assert "binary" in problems[str(setup.home / ".condarc")]


def test_files_where_directories_should_be(setup: Setup, base_exe: Path) -> None:
    (setup.home / ".virtualenvs").write_text("not a directory")
    (setup.home / ".pyenv").mkdir()
    (setup.home / ".pyenv" / "versions").write_text("not a directory")
    venv = make_venv(setup.cwd / ".venv", base_exe, "3.12.3")
    site = venv / "lib" / "python3.12" / "site-packages"
    import shutil

    shutil.rmtree(site)
    site.write_text("not a directory")
    kernels = venv / "share" / "jupyter"
    kernels.mkdir(parents=True)
    (kernels / "kernels").write_text("not a directory")
    result = setup.discover()
    assert setup.by_prefix(result, venv).status == "ok"
    problems = _problems(result)
    assert "not a directory" in problems[str(setup.home / ".virtualenvs")]
    assert "not a directory" in problems[str(setup.home / ".pyenv" / "versions")]
    assert "not a directory" in problems[str(site)]
    assert "not a directory" in problems[str(kernels / "kernels")]


def test_symlink_loops_between_versions(setup: Setup) -> None:
    versions = setup.home / ".pyenv" / "versions"
    versions.mkdir(parents=True)
    (versions / "a").symlink_to(versions / "b")
    (versions / "b").symlink_to(versions / "a")
    (setup.cwd / ".venv").symlink_to(setup.cwd / ".venv")
    make_interpreter(versions / "3.12.0", "3.12.0")
    result = setup.discover()
    assert [e.id for e in result if e.kind == "pyenv"] == ["pyenv/3.12.0"]
    assert {str(versions / "a"), str(versions / "b")} <= set(_problems(result))


def test_unreadable_directories_and_files(
    setup: Setup, base_exe: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_conda_root(setup.home / "miniforge3")
    make_conda_env(root / "envs" / "fine", "3.11.2")
    make_venv(setup.home / ".virtualenvs" / "fine", base_exe, "3.12.3")
    locked_dir = str(root / "envs")
    locked_file = str(setup.home / ".condarc")
    (setup.home / ".condarc").write_text("envs_dirs: [/x]\n")
    real_scandir, real_open = os.scandir, os.open

    def scandir(path: str) -> object:
        if os.fspath(path) == locked_dir:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    def open_(path: str, flags: int, mode: int = 0o777) -> int:
        if os.fspath(path) == locked_file:
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, flags, mode)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "open", open_)
    result = setup.discover()
    monkeypatch.undo()
    assert {e.id for e in result} >= {"conda/base", "venv/fine"}
    assert "conda/fine" not in {e.id for e in result}
    problems = _problems(result)
    assert problems[locked_dir] == "permission denied; expected environment directories"
    assert problems[locked_file] == "permission denied; expected conda settings (YAML)"
