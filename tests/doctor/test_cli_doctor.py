"""``kernelhub doctor`` as a user runs it: output, exit status, --json, --fix, --yes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import JupyterDirs
from tests.doctor.conftest import age, hold, write_connection_file

LAUNCH = ["-m", "ipykernel_launcher", "-f", "{connection_file}"]


def kh(
    *args: str, cwd: Path, stdin: int | None = subprocess.DEVNULL
) -> subprocess.CompletedProcess[str]:
    """``python -m kernelhub ARGS`` in the isolated setup, with no environment active.

    PATH holds kernelhub's own bin directory (its jupyter) and the system's, so that the
    native python3 is what the user expects and nothing else is active.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX")}
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), "/usr/bin", "/bin"])
    return subprocess.run(
        [sys.executable, "-m", "kernelhub", *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=stdin,
        cwd=cwd,
        env=env,
        check=False,
    )


def spec(root: Path, name: str, argv: list[str]) -> Path:
    d = root / name
    d.mkdir(parents=True)
    (d / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": f"Kernel {name}", "language": "python"})
    )
    return d


def test_a_clean_setup_has_no_problems_and_exits_0(
    jupyter_dirs: JupyterDirs, tmp_path: Path
) -> None:
    result = kh("doctor", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "errors" not in result.stdout
    assert "warnings" not in result.stdout


def test_findings_are_grouped_by_severity_with_their_fix_and_exit_1(
    jupyter_dirs: JupyterDirs, tmp_path: Path
) -> None:
    spec(jupyter_dirs.user_kernels, "gone", ["/nonexistent/python", *LAUNCH])
    broken = jupyter_dirs.user_kernels / "broken"
    broken.mkdir()
    (broken / "kernel.json").write_text("[]")
    result = kh("doctor", cwd=tmp_path)
    assert result.returncode == 1
    out = result.stdout
    assert out.index("errors (1)") < out.index("[spec-invalid] broken") < out.index("warnings (")
    assert out.index("warnings (") < out.index("[spec-stale] gone")
    assert "fix: remove the stale kernelspec 'gone'" in out
    assert "hint: repair" in out
    assert "can be fixed with `kernelhub doctor --fix`" in out
    assert result.stderr == ""


def test_json_schema(jupyter_dirs: JupyterDirs, tmp_path: Path) -> None:
    spec(jupyter_dirs.user_kernels, "gone", ["/nonexistent/python", *LAUNCH])
    result = kh("doctor", "--json", cwd=tmp_path)
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert set(doc) == {"findings", "counts"}
    assert set(doc["counts"]) == {"error", "warning", "info"}
    assert sum(doc["counts"].values()) == len(doc["findings"])
    for finding in doc["findings"]:
        assert set(finding) == {"code", "severity", "subject", "message", "hint", "fix"}
        assert finding["severity"] in ("error", "warning", "info")
    (stale,) = [f for f in doc["findings"] if f["code"] == "spec-stale"]
    assert stale["subject"] == "gone"
    assert stale["fix"] == {
        "action": "remove-spec",
        "path": str(jupyter_dirs.user_kernels / "gone"),
        "description": f"remove the stale kernelspec 'gone' ({jupyter_dirs.user_kernels / 'gone'})",
        "before": [f"- {jupyter_dirs.user_kernels / 'gone'}"],
        "after": [],
    }


def test_fix_yes_applies_exactly_the_fixes_shown(
    jupyter_dirs: JupyterDirs, tmp_path: Path, holder: list[subprocess.Popen[bytes]]
) -> None:
    gone = spec(jupyter_dirs.user_kernels, "gone", ["/nonexistent/python", *LAUNCH])
    good = spec(jupyter_dirs.user_kernels, "good", [sys.executable, *LAUNCH])
    dead = write_connection_file(jupyter_dirs.runtime / "kernel-dead.json")
    live = write_connection_file(jupyter_dirs.runtime / "kernel-live.json")
    age(dead)
    age(live)
    hold(holder, live)
    result = kh("doctor", "--fix", "--yes", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "kernelhub doctor will apply 2 fix(es):"
    shown = [ln.strip() for ln in lines if ln.strip()[:3] in ("1. ", "2. ")]
    assert shown == [
        f"1. remove the stale kernelspec 'gone' ({gone})",
        f"2. remove {dead}",
    ]
    fixed = [ln for ln in lines if ln.startswith("fixed: ")]
    assert fixed == [
        f"fixed: removed stale kernelspec 'gone' from the user's kernelspecs: {gone}",
        f"fixed: removed {dead}",
    ]
    assert "no errors or warnings remain" in result.stdout
    assert not gone.exists()
    assert (good / "kernel.json").is_file()
    assert not dead.exists()
    assert live.exists()


def test_fix_without_a_terminal_and_without_yes_refuses_and_changes_nothing(
    jupyter_dirs: JupyterDirs, tmp_path: Path
) -> None:
    gone = spec(jupyter_dirs.user_kernels, "gone", ["/nonexistent/python", *LAUNCH])
    result = kh("doctor", "--fix", cwd=tmp_path)
    assert result.returncode == 1
    assert "will apply 1 fix(es)" in result.stdout  # shown, then refused
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("kernelhub: error: ")
    assert "--fix --yes" in line
    assert gone.exists()


def test_fix_asks_on_a_terminal_and_a_no_changes_nothing(
    jupyter_dirs: JupyterDirs, tmp_path: Path
) -> None:
    import pty

    gone = spec(jupyter_dirs.user_kernels, "gone", ["/nonexistent/python", *LAUNCH])
    primary, secondary = pty.openpty()
    try:
        os.write(primary, b"n\n")
        result = kh("doctor", "--fix", cwd=tmp_path, stdin=secondary)
    finally:
        os.close(primary)
        os.close(secondary)
    assert result.returncode == 1
    assert "apply these 1 fix(es)? [y/N]" in result.stdout
    assert "nothing changed" in result.stdout
    assert gone.exists()


def test_fix_json_needs_yes(jupyter_dirs: JupyterDirs, tmp_path: Path) -> None:
    spec(jupyter_dirs.user_kernels, "gone", ["/nonexistent/python", *LAUNCH])
    result = kh("doctor", "--fix", "--json", cwd=tmp_path)
    assert result.returncode == 1
    assert "--yes" in result.stderr
    result = kh("doctor", "--fix", "--json", "--yes", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    doc = json.loads(result.stdout)
    assert [f["ok"] for f in doc["fixes"]] == [True]
    assert [f["code"] for f in doc["remaining"] if f["severity"] != "info"] == []


def test_help_documents_the_exit_status_and_the_json_schema(tmp_path: Path) -> None:
    result = kh("doctor", "--help", cwd=tmp_path)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "Exit status: 0 when nothing worse than information was found" in text
    assert '"findings"' in text
    assert '"counts"' in text
