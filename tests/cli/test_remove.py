"""``kernelhub remove``: asks the way doctor --fix does, and says what went from where."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.cli.test_cli_specs import write_spec
from tests.conftest import JupyterDirs

GONE = ["/no/such/program", "{connection_file}"]


def kh(*args: str, stdin: int = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kernelhub", *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=stdin,
        check=False,
    )


def on_terminal(answer: bytes, *args: str) -> subprocess.CompletedProcess[str]:
    """Run kernelhub with a terminal as stdin, ``answer`` already typed into it."""
    import pty

    primary, secondary = pty.openpty()
    try:
        os.write(primary, answer)
        return kh(*args, stdin=secondary)
    finally:
        os.close(primary)
        os.close(secondary)


def test_missing_off_a_terminal_without_yes_shows_and_refuses(jupyter_dirs: JupyterDirs) -> None:
    stale = write_spec(jupyter_dirs.user_kernels, "stale", argv=GONE)
    result = kh("remove", "--missing")
    assert result.returncode == 1
    assert f"stale: stale  {stale}" in result.stdout  # what would be removed
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("kernelhub: error: ")
    assert "--yes" in line
    assert "not a terminal" in line
    assert stale.is_dir()


def test_missing_and_doctor_fix_follow_the_same_rule(jupyter_dirs: JupyterDirs) -> None:
    stale = write_spec(jupyter_dirs.user_kernels, "stale", argv=GONE)
    for command in (("remove", "--missing"), ("doctor", "--fix")):
        refused = kh(*command)
        assert refused.returncode == 1, command
        assert "--yes" in refused.stderr.strip().splitlines()[-1], command
        assert stale.is_dir(), command
        declined = on_terminal(b"n\n", *command)
        assert declined.returncode == 1, (command, declined.stderr)
        assert "[y/N]" in declined.stdout, command
        assert stale.is_dir(), command


def test_missing_on_a_terminal_removes_after_a_yes(jupyter_dirs: JupyterDirs) -> None:
    stale = write_spec(jupyter_dirs.user_kernels, "stale", argv=GONE)
    keep = write_spec(jupyter_dirs.user_kernels, "keep")
    result = on_terminal(b"y\n", "remove", "--missing")
    assert result.returncode == 0, result.stderr
    assert "remove 1 kernelspec(s)? [y/N]" in result.stdout
    assert f"removed kernelspec 'stale' from the user's kernelspecs: {stale}" in result.stdout
    assert not stale.exists()
    assert keep.is_dir()


def test_every_removal_names_the_spec_its_place_and_what_is_left(
    jupyter_dirs: JupyterDirs,
) -> None:
    mine = write_spec(jupyter_dirs.user_kernels, "mine")
    top = write_spec(jupyter_dirs.path_kernels, "twin")
    below = write_spec(jupyter_dirs.user_kernels, "twin")
    dry = kh("remove", "--dry-run", "twin")
    assert dry.returncode == 0, dry.stderr
    assert f"would remove: twin  {top}  (from the JUPYTER_PATH kernelspecs)" in dry.stdout
    result = kh("remove", "mine", "twin")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines == [
        f"removed kernelspec 'mine' from the user's kernelspecs: {mine}",
        f"removed kernelspec 'twin' from the JUPYTER_PATH kernelspecs: {top}; "
        f"'twin' is still listed: now {below}",
    ]
    assert not mine.exists()
    assert not top.exists()
    assert below.is_dir()


def test_the_place_of_kernelhubs_own_environment_is_named() -> None:
    # Never removed for real here: that spec belongs to the interpreter running the tests.
    from kernelhub import paths
    from kernelhub.specs.install import place

    own = os.path.join(paths.env_kernel_dir(), "python3")
    assert place(own) == f"kernelhub's own environment ({sys.prefix})"
    other = os.path.join("/opt/envs/x", "share", "jupyter", "kernels", "k")
    assert place(other) == "the environment /opt/envs/x"
