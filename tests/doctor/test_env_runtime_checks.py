"""The environment checks and the runtime directory checks, each triggered and not."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kernelhub.errors import ConnectionFileError
from tests.doctor.conftest import Lab, age, hold, write_connection_file
from tests.envs.layouts import make_venv, write_dist

LAUNCH = ["-m", "ipykernel_launcher", "-f", "{connection_file}"]


def _project(lab: Lab, name: str, packages: dict[str, str] | None = None) -> Path:
    """A project venv at ``work/<name>/.venv`` that discovery finds from the lab's cwd."""
    project = lab.cwd / name
    venv = make_venv(
        project / ".venv", lab.root / "usr" / "bin" / "python3.12", "3.12.3", packages=packages
    )
    lab.cwd = project
    return venv


def test_an_environment_with_ipykernel_and_no_spec_is_reported(lab: Lab) -> None:
    _project(lab, "proj", {"ipykernel": "7.4.0"})
    (finding,) = lab.findings("env-unregistered")
    assert (finding.subject, finding.severity) == ("venv/proj", "info")
    assert finding.hint == "register it for other tools: kernelhub install --env venv/proj"


def test_an_environment_a_spec_runs_is_not_reported(lab: Lab) -> None:
    venv = _project(lab, "proj", {"ipykernel": "7.4.0"})
    lab.spec(lab.user, "proj", [str(venv / "bin" / "python"), *LAUNCH])
    assert lab.findings("env-unregistered") == []


def test_an_r_kernel_next_to_a_python_does_not_run_that_python(lab: Lab) -> None:
    usr = lab.root / "usr"
    write_dist(usr / "lib" / "python3.12" / "site-packages", "ipykernel", "7.4.0")
    r = usr / "bin" / "R"
    r.write_text("#!/bin/sh\nexit 97\n")
    r.chmod(0o755)
    lab.spec(lab.user, "ir", [str(r), "--slave", "-e", "IRkernel::main()", "{connection_file}"])
    (finding,) = lab.findings("env-unregistered")
    assert finding.subject == "system/python3.12"


def test_an_environment_without_ipykernel_is_not_called_unregistered(lab: Lab) -> None:
    _project(lab, "proj")
    assert lab.findings("env-unregistered") == []


def test_a_spec_whose_environment_lost_ipykernel_is_an_error(lab: Lab) -> None:
    venv = _project(lab, "proj")
    lab.spec(lab.user, "proj", [str(venv / "bin" / "python"), *LAUNCH])
    (finding,) = lab.findings("env-lost-ipykernel")
    assert (finding.subject, finding.severity) == ("proj", "error")
    assert "venv/proj" in finding.message
    assert finding.hint == f"install it again: {venv}/bin/python -m pip install ipykernel"


def test_a_spec_whose_environment_has_ipykernel_is_fine(lab: Lab) -> None:
    venv = _project(lab, "proj", {"ipykernel": "7.4.0"})
    lab.spec(lab.user, "proj", [str(venv / "bin" / "python"), *LAUNCH])
    assert lab.findings("env-lost-ipykernel") == []


def test_a_spec_that_runs_something_else_than_ipykernel_is_not_checked(lab: Lab) -> None:
    venv = _project(lab, "proj")
    lab.spec(lab.user, "other", [str(venv / "bin" / "python"), "-m", "xeus_python"])
    assert lab.findings("env-lost-ipykernel") == []


def test_runtime_directory_open_to_others_is_fixed_keeping_the_sticky_bit(lab: Lab) -> None:
    lab.runtime.chmod(0o1755)
    (finding,) = lab.findings("runtime-dir-permissions")
    assert "1755" in finding.message
    assert finding.fix is not None
    assert finding.fix.mode == 0o1700
    finding.fix.apply()
    assert stat.S_IMODE(lab.runtime.stat().st_mode) == 0o1700
    assert lab.findings("runtime-dir-permissions") == []


def test_a_private_runtime_directory_is_fine(lab: Lab) -> None:
    assert lab.findings("runtime-dir-permissions") == []


def test_a_readable_connection_file_of_a_live_kernel_is_chmodded(
    lab: Lab, holder: list[subprocess.Popen[bytes]]
) -> None:
    path = write_connection_file(lab.runtime / "kernel-open.json", mode=0o644)
    age(path)
    hold(holder, path)
    (finding,) = lab.findings("connection-file-permissions")
    assert finding.fix is not None
    finding.fix.apply()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert lab.findings("connection-file-permissions") == []
    assert lab.findings("connection-file-dead") == []


def test_dead_connection_files_are_found_live_and_young_ones_are_not(
    lab: Lab, holder: list[subprocess.Popen[bytes]]
) -> None:
    dead = write_connection_file(lab.runtime / "kernel-dead.json")
    live = write_connection_file(lab.runtime / "kernel-live.json")
    young = write_connection_file(lab.runtime / "kernel-young.json")
    (lab.runtime / "jpserver-1.json").write_text("{}")  # not a kernel's: never looked at
    age(dead)
    age(live)
    hold(holder, live)
    found = lab.findings("connection-file-dead", min_age=600)  # young: minutes, not ticks
    assert [f.subject for f in found] == [str(dead)]
    assert found[0].fix is not None
    assert found[0].fix.apply() == f"removed {dead}"
    assert not dead.exists()
    assert live.exists()
    assert young.exists()


def test_a_dead_file_is_kept_if_a_kernel_started_on_it_after_it_was_shown(
    lab: Lab, holder: list[subprocess.Popen[bytes]]
) -> None:
    path = write_connection_file(lab.runtime / "kernel-late.json")
    age(path)
    (finding,) = lab.findings("connection-file-dead")
    hold(holder, path)
    assert finding.fix is not None
    with pytest.raises(ConnectionFileError, match="used by a running process; kept"):
        finding.fix.apply()
    assert path.exists()


def test_a_dead_file_that_is_not_a_connection_file_is_reported_but_never_removed(
    lab: Lab,
) -> None:
    path = lab.runtime / "kernel-garbage.json"
    path.write_text("not json")
    path.chmod(0o600)
    age(path)
    (finding,) = lab.findings("connection-file-dead")
    assert finding.fix is None
    assert finding.hint is not None


def test_a_real_kernels_connection_file_is_in_use(lab: Lab) -> None:
    from kernelhub.doctor.processes import in_use

    path = write_connection_file(lab.runtime / "kernel-real.json", port=0)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ipykernel_launcher", "-f", str(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert in_use(str(path))
        # min_age 0: the file counts however fresh it is; only the live kernel protects it.
        assert lab.findings("connection-file-dead", min_age=0) == []
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert not in_use(str(path))
    assert [f.subject for f in lab.findings("connection-file-dead", min_age=0)] == [str(path)]


def test_a_missing_runtime_directory_is_not_a_problem(lab: Lab) -> None:
    lab.runtime.rmdir()
    found = lab.findings()
    assert not [f for f in found if f.code.startswith(("runtime-", "connection-"))]
