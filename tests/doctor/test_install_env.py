"""``kernelhub install --env``: registering a real Python environment from outside it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kernelhub.doctor.remedies import failure_reason
from tests.conftest import JupyterDirs
from tests.envs.layouts import write_dist

XY = f"{sys.version_info.major}.{sys.version_info.minor}"
BIN = os.path.dirname(sys.executable)
# No uv here (it lives in kernelhub's own bin directory, left out on purpose).
SYSTEM_PATH = os.pathsep.join(["/usr/bin", "/bin"])
LAUNCH = ["-m", "ipykernel_launcher", "-f", "{connection_file}"]


def kh(
    *args: str,
    cwd: Path,
    path: str = SYSTEM_PATH,
    timeout: float = 60,
    stdin: int = subprocess.DEVNULL,
) -> subprocess.CompletedProcess[str]:
    """``python -m kernelhub ARGS`` in the isolated setup, with no environment active."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX")}
    env["PATH"] = path
    return subprocess.run(
        [sys.executable, "-m", "kernelhub", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=stdin,
        cwd=cwd,
        env=env,
        check=False,
    )


def make_venv(path: Path, *, ipykernel: bool = True, pip: bool = False) -> Path:
    """A real ``python -m venv``; a dist-info is enough for it to count as having ipykernel."""
    args = [sys.executable, "-m", "venv", str(path)]
    if not pip:
        args.insert(3, "--without-pip")
    subprocess.run(args, check=True, capture_output=True, timeout=240)
    if ipykernel:
        write_dist(path / "lib" / f"python{XY}" / "site-packages", "ipykernel", "7.4.0")
    return path


def kernel_json(where: Path, name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((where / name / "kernel.json").read_text())
    return data


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert result.returncode == 1, result
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("kernelhub: error: "), result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[-1], (needle, lines[-1])
    return lines[-1]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """``<tmp>/myproj/.venv`` with ipykernel: discovered as ``venv/myproj`` from myproj."""
    make_venv(tmp_path / "myproj" / ".venv")
    return tmp_path / "myproj"


def test_install_by_path_writes_the_documented_spec(
    jupyter_dirs: JupyterDirs, project: Path, tmp_path: Path
) -> None:
    venv = project / ".venv"
    resources = venv / "lib" / f"python{XY}" / "site-packages" / "ipykernel" / "resources"
    resources.mkdir(parents=True)
    (resources / "logo-32x32.png").write_bytes(b"\x89PNG fake")
    result = kh("install", "--env", str(venv), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert str(jupyter_dirs.user_kernels / "venv-myproj") in result.stdout
    logo = jupyter_dirs.user_kernels / "venv-myproj" / "logo-32x32.png"
    assert logo.read_bytes() == b"\x89PNG fake"  # ipykernel's logos come along
    data = kernel_json(jupyter_dirs.user_kernels, "venv-myproj")
    assert data["argv"] == [str(venv / "bin" / "python"), *LAUNCH]
    assert data["display_name"] == f"Python {XY} (venv: myproj)"
    assert data["language"] == "python"
    assert data["env"] == {
        "VIRTUAL_ENV": str(venv),
        "PATH": f"{venv / 'bin'}{os.pathsep}${{PATH}}",
    }
    meta = data["metadata"]
    assert isinstance(meta, dict)
    assert meta["kernelhub"] == {
        "environment": {"id": "venv/myproj", "kind": "venv", "name": "myproj", "prefix": str(venv)}
    }
    assert meta["debugger"] is True


def test_install_by_interpreter_path(
    jupyter_dirs: JupyterDirs, project: Path, tmp_path: Path
) -> None:
    exe = project / ".venv" / "bin" / "python3"
    result = kh("install", "--env", str(exe), "--name", "byexe", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    argv = kernel_json(jupyter_dirs.user_kernels, "byexe")["argv"]
    assert argv == [str(project / ".venv" / "bin" / "python"), *LAUNCH]


def test_install_by_discovered_id_and_name(jupyter_dirs: JupyterDirs, project: Path) -> None:
    result = kh(
        "install",
        "--env",
        "venv/myproj",
        "--name",
        "Mine",
        "--display-name",
        "My project",
        cwd=project,
    )
    assert result.returncode == 0, result.stderr
    data = kernel_json(jupyter_dirs.user_kernels, "mine")  # names are lower-cased
    assert data["display_name"] == "My project"
    assert data["argv"] == [str(project / ".venv" / "bin" / "python"), *LAUNCH]
    result = kh("install", "--env", "myproj", "--replace", cwd=project)
    assert result.returncode == 0, result.stderr
    assert (jupyter_dirs.user_kernels / "venv-myproj" / "kernel.json").is_file()


def test_env_values_with_equals_are_variables_and_one_environment_at_most(
    jupyter_dirs: JupyterDirs, project: Path
) -> None:
    result = kh(
        "install", "--env", "FOO=bar", "--env", "venv/myproj", "--env", "A=b=c", cwd=project
    )
    assert result.returncode == 0, result.stderr
    env = kernel_json(jupyter_dirs.user_kernels, "venv-myproj")["env"]
    assert isinstance(env, dict)
    assert (env["FOO"], env["A"], env["VIRTUAL_ENV"]) == ("bar", "b=c", str(project / ".venv"))
    result = kh("install", "--env", "venv/myproj", "--env", "other", cwd=project)
    assert_one_line_error(result, "at most once", "'venv/myproj'", "'other'")
    # Variables alone keep their old meaning: a command-line install with KEY=VALUE.
    result = kh(
        "install", "--name", "cmd", "--env", "X=1", "--", sys.executable, *LAUNCH, cwd=project
    )
    assert result.returncode == 0, result.stderr
    assert kernel_json(jupyter_dirs.user_kernels, "cmd")["env"] == {"X": "1"}


def test_an_unknown_environment_names_the_rule(project: Path) -> None:
    result = kh("install", "--env", "FOO", cwd=project)
    assert_one_line_error(result, "no environment named 'FOO'", "--env KEY=VALUE")


def test_an_environment_without_ipykernel_asks_for_with_ipykernel(tmp_path: Path) -> None:
    venv = make_venv(tmp_path / "bare", ipykernel=False)
    result = kh("install", "--env", str(venv), cwd=tmp_path)
    assert_one_line_error(
        result,
        "has no ipykernel",
        "--with-ipykernel",
        f"{venv}/bin/python -m pip install ipykernel",
    )


def test_sys_prefix_installs_into_the_environment_itself(project: Path, tmp_path: Path) -> None:
    venv = project / ".venv"
    result = kh("install", "--env", str(venv), "--sys-prefix", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (venv / "share" / "jupyter" / "kernels" / "venv-myproj" / "kernel.json").is_file()


def test_jupyter_lists_the_registered_spec(jupyter_dirs: JupyterDirs, project: Path) -> None:
    result = kh("install", "--env", "venv/myproj", cwd=project)
    assert result.returncode == 0, result.stderr
    listed = subprocess.run(
        [os.path.join(BIN, "jupyter-kernelspec"), "list", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    spec = json.loads(listed.stdout)["kernelspecs"]["venv-myproj"]
    assert spec["resource_dir"] == str(jupyter_dirs.user_kernels / "venv-myproj")
    assert spec["spec"]["argv"][0] == str(project / ".venv" / "bin" / "python")
    assert spec["spec"]["display_name"] == f"Python {XY} (venv: myproj)"


def test_with_ipykernel_fails_clearly_without_pip_or_uv(tmp_path: Path) -> None:
    venv = make_venv(tmp_path / "nopip", ipykernel=False)
    result = kh("install", "--env", str(venv), "--with-ipykernel", cwd=tmp_path)
    line = assert_one_line_error(result, "failed", "no pip", "-m pip install ipykernel")
    assert "nopip" in line
    assert "No module named pip" in result.stderr  # the installer's own words were shown


def test_with_ipykernel_on_an_environment_that_has_it_installs_nothing(
    jupyter_dirs: JupyterDirs, project: Path
) -> None:
    result = kh("install", "--env", "venv/myproj", "--with-ipykernel", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "installing" not in result.stderr


def test_failure_reasons_from_installer_output() -> None:
    pip_offline = (
        "WARNING: Retrying ... NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection"
        " object>: Failed to establish a new connection: [Errno 101] Network is unreachable')\n"
        "ERROR: No matching distribution found for ipykernel\n"
    )
    assert "cannot reach the package index" in failure_reason(pip_offline, 1)
    read_only = (
        "ERROR: Could not install packages due to an OSError: [Errno 30] Read-only file system"
    )
    assert "read-only" in failure_reason(read_only, 1)
    assert "no permission" in failure_reason(
        "error: failed to open: Permission denied (os error 13)", 2
    )
    assert failure_reason("something odd\nlast words\n\n", 3) == (
        "the installer exited with status 3: last words"
    )


def test_a_conda_environment_gets_condas_variables(
    jupyter_dirs: JupyterDirs, tmp_path: Path
) -> None:
    from tests.envs.layouts import make_conda_env, make_conda_root

    root = make_conda_root(tmp_path / "miniforge3")
    prefix = make_conda_env(root / "envs" / "datasci", "3.11.7", packages={"ipykernel": "6.29.5"})
    result = kh("install", "--env", str(prefix), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = kernel_json(jupyter_dirs.user_kernels, "conda-datasci")
    assert data["display_name"] == "Python 3.11 (conda: datasci)"
    assert data["argv"] == [str(prefix / "bin" / "python"), *LAUNCH]
    env = data["env"]
    assert isinstance(env, dict)
    assert env["CONDA_PREFIX"] == str(prefix)
    assert env["CONDA_DEFAULT_ENV"] == "datasci"
    assert "VIRTUAL_ENV" not in env
    assert env["PATH"].startswith(f"{prefix / 'bin'}")
    assert env["PATH"].endswith("${PATH}")


def test_with_ipykernel_for_conda_needs_conda_on_path(tmp_path: Path) -> None:
    from tests.envs.layouts import make_conda_env

    prefix = make_conda_env(tmp_path / "envs" / "bare", "3.11.7")
    result = kh("install", "--env", str(prefix), "--with-ipykernel", cwd=tmp_path)
    assert_one_line_error(result, "'conda' is not on PATH", f"conda install -p {prefix} ipykernel")


def fake_conda(program: Path) -> Path:
    """A conda that records its arguments (and whether stdin is a terminal) next to itself and
    "installs" ipykernel into the ``-p`` prefix by writing its dist-info."""
    program.parent.mkdir(parents=True, exist_ok=True)
    record = program.parent / "record"
    program.write_text(
        "#!/bin/sh\n"
        f'echo "$*" > "{record}"\n'
        f'if [ -t 0 ]; then echo terminal >> "{record}"; fi\n'
        'prev=""; for a in "$@"; do [ "$prev" = "-p" ] && prefix="$a"; prev="$a"; done\n'
        'dist="$prefix/lib/python3.11/site-packages/ipykernel-6.29.5.dist-info"\n'
        'mkdir -p "$dist"\n'
        'printf "Metadata-Version: 2.1\\nName: ipykernel\\nVersion: 6.29.5\\n\\n" '
        '> "$dist/METADATA"\n'
    )
    program.chmod(0o755)
    return record


def test_with_ipykernel_uses_the_conda_of_the_environments_installation(
    jupyter_dirs: JupyterDirs, tmp_path: Path
) -> None:
    from tests.envs.layouts import make_conda_env, make_conda_root

    root = make_conda_root(tmp_path / "miniconda3")
    record = fake_conda(root / "condabin" / "conda")
    prefix = make_conda_env(root / "envs" / "bare", "3.11.7", root=root)
    without = kh("install", "--env", str(prefix), cwd=tmp_path)
    assert_one_line_error(
        without, "--with-ipykernel", f"{root / 'condabin' / 'conda'} install -p {prefix} ipykernel"
    )
    result = kh("install", "--env", str(prefix), "--with-ipykernel", "--yes", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"{root / 'condabin' / 'conda'} install -p {prefix} ipykernel -y" in result.stderr
    assert record.read_text().splitlines() == [f"install -p {prefix} ipykernel -y"]
    assert kernel_json(jupyter_dirs.user_kernels, "conda-bare")["argv"] == [
        str(prefix / "bin" / "python"),
        *LAUNCH,
    ]


def test_conda_is_asked_only_where_someone_can_answer(tmp_path: Path) -> None:
    import pty

    from tests.envs.layouts import make_conda_env, make_conda_root

    root = make_conda_root(tmp_path / "miniconda3")
    record = fake_conda(root / "condabin" / "conda")
    prefix = make_conda_env(root / "envs" / "bare", "3.11.7", root=root)
    refused = kh("install", "--env", str(prefix), "--with-ipykernel", cwd=tmp_path)
    assert_one_line_error(refused, "not a terminal", "--yes", f"install -p {prefix} ipykernel -y")
    assert not record.exists()  # conda never ran
    primary, secondary = pty.openpty()
    try:
        result = kh(
            "install", "--env", str(prefix), "--with-ipykernel", cwd=tmp_path, stdin=secondary
        )
    finally:
        os.close(primary)
        os.close(secondary)
    assert result.returncode == 0, result.stderr
    # No -y: conda asks on the terminal itself.
    assert record.read_text().splitlines() == [f"install -p {prefix} ipykernel", "terminal"]


def test_with_ipykernel_finds_conda_from_history_or_discovery(
    jupyter_dirs: JupyterDirs, tmp_path: Path
) -> None:
    from tests.envs.layouts import make_conda_env, make_conda_root

    # Made with `conda create -p` outside any installation: its history names the conda.
    elsewhere = make_conda_root(tmp_path / "forge")
    record = fake_conda(elsewhere / "bin" / "conda")
    lone = make_conda_env(tmp_path / "lone", "3.11.7", root=elsewhere)
    result = kh("install", "--env", str(lone), "--with-ipykernel", "-y", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert record.read_text().splitlines() == [f"install -p {lone} ipykernel -y"]
    # Nothing names it: the installation discovery finds in the home directory is used.
    home_root = make_conda_root(jupyter_dirs.home / "miniconda3")
    record = fake_conda(home_root / "condabin" / "conda")
    orphan = make_conda_env(tmp_path / "orphan", "3.11.7")
    result = kh("install", "--env", str(orphan), "--with-ipykernel", "-y", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert record.read_text().splitlines() == [f"install -p {orphan} ipykernel -y"]
