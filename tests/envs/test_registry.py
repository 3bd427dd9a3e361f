"""kernelhub's own list of environments: what adds to it, what reads it, and that it is safe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kernelhub.envs import forget, remember
from kernelhub.envs.registry import FILE_NAME, read_entries, registry_file
from kernelhub.errors import EnvError
from tests.conftest import JupyterDirs
from tests.envs.conftest import Setup
from tests.envs.layouts import make_venv


def test_the_file_is_in_the_jupyter_data_dir(jupyter_dirs: JupyterDirs) -> None:
    assert registry_file() == str(jupyter_dirs.data / FILE_NAME)
    assert registry_file("/d") == os.path.join("/d", FILE_NAME)


def test_remember_adds_real_paths_once(tmp_path: Path) -> None:
    path = str(tmp_path / "reg" / FILE_NAME)
    (tmp_path / "a").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "a")
    assert remember(str(tmp_path / "link"), path=path) == [os.path.realpath(tmp_path / "a")]
    assert remember(str(tmp_path / "a"), path=path) == []
    assert read_entries(path) == [os.path.realpath(tmp_path / "a")]
    text = Path(path).read_text()
    assert text.startswith("#")
    assert text.count(os.path.realpath(tmp_path / "a")) == 1
    assert not [n for n in os.listdir(tmp_path / "reg") if n.endswith(".tmp")]


def test_forget_removes_only_that_entry(tmp_path: Path) -> None:
    path = str(tmp_path / FILE_NAME)
    remember("/x/one", "/x/two", path=path)
    assert forget("/x/one", path=path) is True
    assert forget("/x/one", path=path) is False
    assert read_entries(path) == ["/x/two"]


def test_unwritable_registry_is_an_error_only_when_strict(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the data directory should be\n")
    path = str(blocker / FILE_NAME)
    with pytest.raises(EnvError, match="cannot update") as info:
        remember("/x/one", path=path)
    assert path in str(info.value)
    assert "\n" not in str(info.value)
    assert remember("/x/one", path=path, strict=False) == []


def test_processes_adding_at_once_all_land(tmp_path: Path) -> None:
    path = str(tmp_path / FILE_NAME)
    code = (
        "import sys; from kernelhub.envs import remember\n"
        "for i in range(20): remember(f'/p/{sys.argv[2]}-{i}', path=sys.argv[1])\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, path, str(n)], stderr=subprocess.PIPE)
        for n in range(6)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    entries = read_entries(path)
    assert sorted(entries) == sorted(f"/p/{n}-{i}" for n in range(6) for i in range(20))


def test_a_registered_env_is_found_from_anywhere(setup: Setup, base_exe: Path) -> None:
    env = make_venv(setup.root / "far" / "away" / "tool", base_exe, "3.12.3")
    remember(str(env))
    found = setup.by_prefix(setup.discover(), env)
    assert found.found_by == ("kernelhub:registry",)
    assert found.id == "venv/tool"
    assert setup.discover().searched.registered == 1


def test_a_project_venv_found_from_its_project_is_found_later_from_elsewhere(
    setup: Setup, base_exe: Path
) -> None:
    project = setup.root / "deep" / "down" / "proj"
    venv = make_venv(project / ".venv", base_exe, "3.12.3")
    elsewhere = setup.cwd
    setup.cwd = project
    first = setup.discover()
    assert "venv:project" in setup.by_prefix(first, venv).found_by
    assert read_entries() == [os.path.realpath(venv)]
    setup.cwd = elsewhere
    later = setup.discover()
    assert setup.by_prefix(later, venv).found_by == ("kernelhub:registry",)


def test_a_missing_entry_is_reported_and_kept(setup: Setup, base_exe: Path) -> None:
    env = make_venv(setup.root / "gone" / "soon", base_exe, "3.12.3")
    remember(str(env))
    real = os.path.realpath(env)
    for path in sorted(env.rglob("*"), reverse=True):
        path.unlink() if not path.is_dir() or path.is_symlink() else path.rmdir()
    env.rmdir()
    result = setup.discover()
    assert real not in {e.prefix for e in result}
    (problem,) = [p for p in result.problems if p.path == real]
    assert registry_file() in problem.message
    assert "--forget" in problem.message
    assert read_entries() == [real]  # never dropped behind the user's back


def test_garbage_lines_are_problems_not_crashes(setup: Setup) -> None:
    Path(registry_file()).write_text("# comment\n\nrelative/path\n   \n")
    result = setup.discover()
    assert [p.path for p in result.problems] == ["relative/path"]


def test_discovery_works_when_the_registry_cannot_be_written(
    setup: Setup, base_exe: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    setup.environ["JUPYTER_DATA_DIR"] = str(blocker)
    venv = make_venv(setup.cwd / ".venv", base_exe, "3.12.3")
    result = setup.discover()
    assert setup.by_prefix(result, venv).found_by == ("venv:project",)
    # Reading it says what is wrong there; nothing else is.
    assert [p.path for p in result.problems] == [str(blocker / FILE_NAME)]


def test_a_cached_discovery_survives_the_registry_write(setup: Setup, base_exe: Path) -> None:
    make_venv(setup.cwd / ".venv", base_exe, "3.12.3")
    then = 1_000_000_000
    for top in (setup.root, setup.home):
        for path in [top, *top.rglob("*")]:
            os.utime(path, (then, then), follow_symlinks=False)
    first = setup.discover()  # remembers the project venv: the registry is written
    assert setup.discover() is first
