"""``kernelhub run``, run as a user runs it: a subprocess, real kernels."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from typing import Any

import psutil
import pytest
from client_fixtures import install_test_specs, kernelhub_command


@pytest.fixture(autouse=True)
def specs(jupyter_dirs: Any) -> None:
    install_test_specs(jupyter_dirs.path_kernels)


def kernelhub(
    *args: str, stdin: str = "", cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        kernelhub_command(*args),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        check=False,
    )


def test_code_outputs_in_order() -> None:
    code = (
        "import sys\n"
        "print('one')\n"
        "sys.stderr.write('two\\n')\n"
        "from IPython.display import display\n"
        "display({'text/plain': 'shown', 'image/png': ''}, raw=True)\n"
        "display({'image/png': ''}, raw=True)\n"
        "6*7"
    )
    done = kernelhub("run", "testpy", "-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "one\nshown\n<image/png>\n42\n"
    assert done.stderr == "two\n"


def test_file_that_raises_exits_1(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text("print('before')\ndef f():\n    raise ValueError('boom')\nf()\n")
    done = kernelhub("run", "testpy", str(script))
    assert done.returncode == 1
    assert done.stdout == "before\n"
    assert "ValueError: boom" in done.stderr
    assert "\x1b[" not in done.stderr  # no colour when stderr is not a terminal
    assert "kernelhub: error" not in done.stderr


def test_input_from_stdin_and_cwd(tmp_path: Path) -> None:
    code = "import os\nname = input('name? ')\nprint('hello', name, os.getcwd())"
    done = kernelhub("run", "testpy", "--cwd", str(tmp_path), "-c", code, stdin="Ada\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"name? hello Ada {tmp_path}\n"


def test_code_from_stdin_has_no_input(tmp_path: Path) -> None:
    done = kernelhub("run", "testpy", "-", stdin="print('from stdin')\ninput()")
    assert done.returncode == 1
    assert done.stdout == "from stdin\n"
    assert "StdinNotImplementedError" in done.stderr


def test_bash_kernel_failure_exits_1() -> None:
    done = kernelhub("run", "testbash", "-c", "echo hi; false")
    assert done.returncode == 1
    assert "hi" in done.stdout


def test_errors_are_one_line() -> None:
    unknown = kernelhub("run", "tesptpy", "-c", "1")
    assert unknown.returncode == 1
    (line,) = unknown.stderr.strip().splitlines()
    assert line.startswith("kernelhub: error: no kernel named 'tesptpy'; did you mean 'testpy'")
    missing = kernelhub("run", "testpy", "/no/such/file.py")
    assert missing.returncode == 1
    assert missing.stderr.startswith("kernelhub: error: /no/such/file.py: cannot read")
    timeout = kernelhub("run", "testpy", "--timeout", "0.5", "-c", "import time; time.sleep(30)")
    assert timeout.returncode == 1
    assert timeout.stderr.startswith("kernelhub: error: execute_request")
    usage = kernelhub("run", "testpy")
    assert usage.returncode == 2


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_ctrl_c_interrupts_then_stops() -> None:
    code = (
        "import os, time\n"
        "try:\n"
        "    print(os.getpid(), flush=True)\n"
        "    time.sleep(60)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted', flush=True)\n"
        "    time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        kernelhub_command("run", "testpy", "-c", code),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        kernel_pid = int(proc.stdout.readline())  # bounded by the test timeout
        proc.send_signal(signal.SIGINT)
        assert proc.stdout.readline() == "interrupted\n"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 130
        assert proc.stderr is not None
        err = proc.stderr.read()
        assert "interrupting the kernel (Ctrl-C again to stop it)" in err
        assert "stopping the kernel" in err
        assert _gone(kernel_pid), "the kernel outlived `kernelhub run`"
    finally:
        proc.kill()
        proc.wait(10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
