"""Each kernelspec check, with a layout that triggers it and one that does not."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from kernelhub.errors import SpecError
from tests.doctor.conftest import Lab, fake_python

LAUNCH = ["-m", "ipykernel_launcher", "-f", "{connection_file}"]


def test_stale_spec_is_found_and_its_fix_removes_only_it(lab: Lab) -> None:
    gone = lab.spec(lab.user, "gone", ["/nonexistent/bin/python", *LAUNCH])
    good = lab.spec(lab.user, "good", [sys.executable, *LAUNCH])
    (finding,) = lab.findings("spec-stale")
    assert (finding.subject, finding.severity) == ("gone", "warning")
    assert "/nonexistent/bin/python" in finding.message
    assert finding.fix is not None
    assert (finding.fix.action, finding.fix.path) == ("remove-spec", str(gone))
    assert "removed" in finding.fix.apply()
    assert not gone.exists()
    assert (good / "kernel.json").is_file()
    assert lab.findings("spec-stale") == []


def test_a_python_without_ipykernel_is_not_offered_for_removal(lab: Lab) -> None:
    from tests.envs.layouts import make_venv

    venv = make_venv(lab.root / "proj" / ".venv", lab.root / "usr" / "bin" / "python3", "3.12.3")
    lab.spec(lab.user, "bare", [str(venv / "bin" / "python"), *LAUNCH])
    entries = {e.name: e for e in lab.context().entries}
    assert entries["bare"].status == "stale"  # it cannot start...
    assert lab.findings("spec-stale") == []  # ...but removing it is not the remedy
    (lost,) = lab.findings("env-lost-ipykernel")
    assert lost.subject == "bare"
    assert "pip install ipykernel" in (lost.hint or "")


def test_an_argv_without_connection_file_is_a_warning(lab: Lab) -> None:
    lab.spec(lab.user, "nocf", [sys.executable, "-m", "ipykernel_launcher"])
    lab.spec(lab.user, "good", [sys.executable, *LAUNCH])
    lab.spec(lab.user, "inside", [sys.executable, "--connection={connection_file}"])
    (finding,) = lab.findings("spec-no-connection-file")
    assert (finding.subject, finding.severity, finding.fix) == ("nocf", "warning", None)
    assert str(lab.user / "nocf" / "kernel.json") in finding.message
    assert '"-f", "{connection_file}"' in (finding.hint or "")


def test_a_stale_fix_refuses_when_the_spec_was_repaired_meanwhile(lab: Lab) -> None:
    gone = lab.spec(lab.user, "gone", ["/nonexistent/bin/python", *LAUNCH])
    (finding,) = lab.findings("spec-stale")
    lab.spec(lab.user, "gone", [sys.executable, *LAUNCH])  # repaired after being shown
    assert finding.fix is not None
    with pytest.raises(SpecError, match="no longer the stale winner"):
        finding.fix.apply()
    assert (gone / "kernel.json").is_file()


def test_invalid_specs_say_why_and_look_alike_directories_are_reported(lab: Lab) -> None:
    broken = lab.user / "broken"
    broken.mkdir(parents=True)
    (broken / "kernel.json").write_text("{not json")
    (lab.user / "empty").mkdir()
    lab.spec(lab.user, "fine", [sys.executable, *LAUNCH])
    by_subject = {f.subject: f for f in lab.findings("spec-invalid")}
    assert set(by_subject) == {"broken"}
    assert by_subject["broken"].severity == "error"
    assert "not valid" in by_subject["broken"].message or "JSON" in by_subject["broken"].message
    assert by_subject["broken"].fix is None  # a user's file: never repaired or deleted for them
    (odd,) = lab.findings("spec-dir-invalid")
    assert odd.subject == "empty"
    assert "no kernel.json" in odd.message


def test_shadowed_names_say_which_wins_and_which_are_hidden(lab: Lab) -> None:
    other = fake_python(lab.root / "otherenv")
    winner = lab.spec(lab.first, "dup", [sys.executable, *LAUNCH])
    hidden = lab.spec(lab.user, "dup", [str(other), *LAUNCH])
    (finding,) = lab.findings("spec-shadowed")
    assert finding.severity == "warning"  # the hidden one runs another environment
    assert f"{winner} wins; hidden: {hidden}" in finding.message
    assert str(other) in finding.message


def test_shadowing_by_a_spec_of_the_same_interpreter_is_only_information(lab: Lab) -> None:
    lab.spec(lab.first, "dup", [sys.executable, *LAUNCH])
    lab.spec(lab.user, "dup", [sys.executable, *LAUNCH])
    lab.spec(lab.user, "alone", [sys.executable, *LAUNCH])
    (finding,) = lab.findings("spec-shadowed")
    assert (finding.subject, finding.severity) == ("dup", "info")


def test_the_native_kernel_hidden_by_its_own_python3_spec_is_not_reported(lab: Lab) -> None:
    lab.spec(lab.user, "python3", [sys.executable, *LAUNCH])
    assert lab.findings("spec-shadowed") == []


def test_python3_running_another_environment_is_a_warning(lab: Lab) -> None:
    other = fake_python(lab.root / "otherenv")
    lab.spec(lab.user, "python3", [str(other), *LAUNCH])
    (finding,) = lab.findings("python3-elsewhere")
    assert finding.severity == "warning"
    assert str(other) in finding.message
    assert "kernelhub runs in" in finding.message
    assert finding.hint is not None
    assert "kernelhub install --env" in finding.hint


def test_python3_is_judged_against_the_active_virtual_env(lab: Lab) -> None:
    active = lab.root / "active"
    fake_python(active)
    lab.environ["VIRTUAL_ENV"] = str(active)
    (finding,) = lab.findings("python3-elsewhere")  # the native python3 runs kernelhub's
    assert "VIRTUAL_ENV" in finding.message
    assert str(active) in finding.message
    lab.spec(lab.user, "python3", [str(active / "bin" / "python"), *LAUNCH])
    assert lab.findings("python3-elsewhere") == []


def test_python3_in_the_expected_environment_is_fine(lab: Lab) -> None:
    lab.spec(lab.user, "python3", [sys.executable, *LAUNCH])
    assert lab.findings("python3-elsewhere") == []


def test_bare_python_argv0_is_pinned_when_unambiguous(lab: Lab) -> None:
    # PATH's python and the launcher's own are the same environment: the fix is safe.
    lab.environ["PATH"] = os.path.dirname(sys.executable)
    spec = lab.spec(lab.user, "bare", ["python", *LAUNCH], custom_key={"kept": True})
    (spec / "kernel.json").chmod(0o640)
    (finding,) = lab.findings("argv0-on-path")
    assert finding.fix is not None
    assert finding.fix.before == (f'- "argv": {json.dumps(["python", *LAUNCH])}',)
    target = finding.fix.new
    assert target is not None
    assert os.path.dirname(target) == os.path.dirname(sys.executable)
    assert target in finding.fix.after[0]
    finding.fix.apply()
    data = json.loads((spec / "kernel.json").read_text())
    assert data["argv"] == [target, *LAUNCH]
    assert data["custom_key"] == {"kept": True}  # every other field is kept
    assert stat.S_IMODE((spec / "kernel.json").stat().st_mode) == 0o640
    assert not [p for p in spec.iterdir() if p.name != "kernel.json"]  # no temporary left
    assert lab.findings("argv0-on-path") == []


def test_bare_python_argv0_is_only_a_hint_when_path_and_launcher_disagree(lab: Lab) -> None:
    lab.spec(lab.user, "bare", ["python", *LAUNCH])  # PATH's python is the fake in usr/bin
    (finding,) = lab.findings("argv0-on-path")
    assert finding.fix is None
    assert finding.hint is not None
    assert str(lab.root / "usr" / "bin" / "python") in finding.message
    assert sys.executable in finding.message


def test_other_pythons_on_path_are_pinned_to_what_path_gives(lab: Lab) -> None:
    exe = fake_python(lab.root / "usr", "python3.99")
    lab.spec(lab.user, "py399", ["python3.99", *LAUNCH])
    (finding,) = lab.findings("argv0-on-path")
    assert finding.fix is not None
    assert finding.fix.new == str(exe)


def test_a_python_spec_inside_an_environment_means_that_environment(lab: Lab) -> None:
    env = lab.root / "envs" / "proj"
    fake_python(env)
    (env / "pyvenv.cfg").write_text("home = /usr/bin\n")
    kernels = env / "share" / "jupyter" / "kernels"
    lab.spec(kernels, "projkernel", ["python", *LAUNCH])
    lab.kernel_dirs = [str(kernels)]
    (finding,) = lab.findings("argv0-on-path")
    assert finding.fix is not None
    assert finding.fix.new == str(env.resolve() / "bin" / "python")


def test_ipykernels_own_python3_spec_in_kernelhubs_environment_is_fine(lab: Lab) -> None:
    kernels = Path(sys.prefix) / "share" / "jupyter" / "kernels"
    lab.kernel_dirs = [str(kernels)]
    assert lab.findings("argv0-on-path") == []


def test_an_absolute_argv0_is_not_reported(lab: Lab) -> None:
    lab.spec(lab.user, "pinned", [sys.executable, *LAUNCH])
    assert lab.findings("argv0-on-path") == []


def test_a_rewrite_refuses_when_the_file_changed_meanwhile(lab: Lab) -> None:
    lab.environ["PATH"] = os.path.dirname(sys.executable)
    spec = lab.spec(lab.user, "bare", ["python", *LAUNCH])
    (finding,) = lab.findings("argv0-on-path")
    lab.spec(lab.user, "bare", ["python3", *LAUNCH])
    assert finding.fix is not None
    with pytest.raises(SpecError, match="not 'python'; left alone"):
        finding.fix.apply()
    assert json.loads((spec / "kernel.json").read_text())["argv"][0] == "python3"


def test_duplicate_display_names_are_reported(lab: Lab) -> None:
    lab.spec(lab.user, "a", [sys.executable, *LAUNCH], display_name="Python 3 (ipykernel)")
    lab.spec(lab.user, "b", [sys.executable, *LAUNCH], display_name="python 3 (ipykernel) ")
    lab.spec(lab.user, "c", [sys.executable, *LAUNCH], display_name="Something else")
    found = lab.findings("display-name-duplicate")
    assert len(found) == 1
    # The native python3 has that display name too: three kernels look alike.
    assert "3 kernels are shown as" in found[0].message
    assert all(n in found[0].message for n in ("a (", "b (", "python3 ("))
    assert "c (" not in found[0].message


def test_distinct_display_names_are_fine(lab: Lab) -> None:
    lab.spec(lab.user, "a", [sys.executable, *LAUNCH], display_name="A")
    lab.spec(lab.user, "b", [sys.executable, *LAUNCH], display_name="B")
    assert lab.findings("display-name-duplicate") == []


def _jupyter_in(lab: Lab, env: Path) -> None:
    """A ``jupyter`` command on the lab's PATH whose ``#!`` names ``env``'s python."""
    exe = fake_python(env)
    bindir = lab.root / "jupyterbin"
    bindir.mkdir()
    script = bindir / "jupyter"
    script.write_text(f"#!{exe}\nimport sys\n")
    script.chmod(0o755)
    lab.environ["PATH"] = f"{bindir}{os.pathsep}{lab.environ['PATH']}"


def test_a_python3_spec_is_judged_against_the_environment_jupyter_runs_in(lab: Lab) -> None:
    _jupyter_in(lab, lab.root / "jupyterenv")
    lab.spec(lab.user, "python3", [sys.executable, *LAUNCH])
    (finding,) = lab.findings("python3-elsewhere")
    assert "`jupyter` runs in" in finding.message
    assert str(lab.root / "jupyterenv") in finding.message


def test_the_native_kernel_is_not_judged_against_jupyters_environment(lab: Lab) -> None:
    # jupyter has a native python3 of its own; kernelhub's is only about kernelhub.
    _jupyter_in(lab, lab.root / "jupyterenv")
    assert lab.findings("python3-elsewhere") == []
