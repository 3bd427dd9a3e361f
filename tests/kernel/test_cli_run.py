"""``kernelhub run``, run as a user runs it: a subprocess, real kernels."""

from __future__ import annotations

import contextlib
import queue
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pexpect
import psutil
import pytest
from client_fixtures import install_test_specs, kernelhub_command, sigint_default
from pexpect.popen_spawn import PopenSpawn

from kernelhub.cli.run import CtrlC, Printer, wait_interruptibly


@pytest.fixture(autouse=True)
def ctrl_c_enabled() -> Iterator[None]:
    """Ctrl-C raises here and reaches the processes these tests start, even when the test run
    ignores SIGINT (nohup, a background job, CI)."""
    with sigint_default():
        yield


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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kernels_start_with_no_signal_blocked() -> None:
    # Kernels are forked from a thread that the client's loop thread may have started, with
    # its signal mask: a kernel with SIGINT blocked could never be interrupted.
    code = "import os\nstatus = open(f'/proc/{os.getpid()}/status').read()\n"
    code += "print(status.split('SigBlk:')[1].split()[0])"
    done = kernelhub("run", "testpy", "-c", code)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout, 16) == 0


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


@contextlib.contextmanager
def spawn_run(code: str) -> Iterator[PopenSpawn]:
    """``kernelhub run testpy -c CODE`` on pipes (stderr into stdout), stdin kept open.

    Every expect on it is bounded by its timeout; signals go to the kernelhub process only
    (kernels have their own session), as a terminal's Ctrl-C would.
    """
    run = PopenSpawn(kernelhub_command("run", "testpy", "-c", code), encoding="utf-8", timeout=60)
    try:
        yield run
    finally:
        run.proc.kill()
        run.proc.wait(10)
        for stream in (run.proc.stdin, run.proc.stdout):
            if stream is not None:
                stream.close()


def finish(run: PopenSpawn) -> int:
    run.expect(pexpect.EOF)
    status: int = run.proc.wait(60)
    return status


# Each code prints a marker once it runs; Ctrl-C is sent only after it, so that it finds the
# kernel executing (an idle ipykernel ignores SIGINT).
SILENT = "import time\nprint('ready', flush=True)\nwhile True:\n    time.sleep(0.01)\n"
CHATTY = "import time\nprint('ready', flush=True)\nwhile True:\n    print('x' * 50)\n"
STUBBORN = (
    "import os, time\n"
    "print('pid', os.getpid(), flush=True)\n"
    "while True:\n"
    "    try:\n"
    "        time.sleep(0.01)\n"
    "    except KeyboardInterrupt:\n"
    "        print('caught', flush=True)\n"
)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("code", [SILENT, CHATTY], ids=["silent", "chatty"])
def test_ctrl_c_interrupts_running_code(code: str) -> None:
    with spawn_run(code) as run:
        run.expect_exact("ready")
        run.kill(signal.SIGINT)
        run.expect_exact("kernelhub: interrupting the kernel (Ctrl-C again to stop it)")
        run.expect_exact("KeyboardInterrupt")  # the kernel's traceback
        assert finish(run) == 1  # the code raised


@pytest.mark.timeout(180)
def test_ctrl_c_during_the_interrupt_stops() -> None:
    with spawn_run(STUBBORN) as run:
        run.expect(r"pid (\d+)\r?\n")
        kernel_pid = int(run.match.group(1))
        run.kill(signal.SIGINT)
        # The message is written just before the kernel is interrupted: the second Ctrl-C
        # lands during the interrupt or after it, and must stop the kernel either way.
        run.expect_exact("interrupting the kernel")
        run.kill(signal.SIGINT)
        run.expect_exact("kernelhub: stopping the kernel")
        assert finish(run) == 130
        assert "kernelhub: interrupted" not in str(run.before)
        assert _gone(kernel_pid), "the kernel outlived `kernelhub run`"


@pytest.mark.timeout(180)
def test_ctrl_c_at_an_input_prompt_interrupts() -> None:
    with spawn_run("print('got', repr(input('name? ')))") as run:
        run.expect_exact("name? ")  # our input() reads the answer from our stdin
        run.kill(signal.SIGINT)
        run.expect_exact("kernelhub: interrupting the kernel")
        run.expect_exact("KeyboardInterrupt")  # raised by input() in the kernel
        assert finish(run) == 1
        assert "got '" not in str(run.before)


class _FakeExecution:
    """Iterates until ``end()``; ``interrupt_wait`` as BlockingExecution's."""

    def __init__(self) -> None:
        self.events: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.closed = False
        self.result = "the result"

    def interrupt_wait(self) -> None:
        self.events.put("interrupt")

    def end(self) -> None:
        self.events.put("end")

    def __iter__(self) -> _FakeExecution:
        return self

    def __next__(self) -> None:
        if self.events.get(timeout=30) == "interrupt":
            raise KeyboardInterrupt
        raise StopIteration

    def close(self) -> None:
        self.closed = True


class _FakeKernel:
    """Each interrupt is hit by another Ctrl-C (``ctrl_c_during`` times) while it runs."""

    def __init__(self, execution: _FakeExecution, ctrl_c_during: int) -> None:
        self.execution = execution
        self.ctrl_c_during = ctrl_c_during
        self.interrupts = 0
        self.stopped = False

    def interrupt(self) -> None:
        self.interrupts += 1
        if self.ctrl_c_during:
            self.ctrl_c_during -= 1
            signal.raise_signal(signal.SIGINT)
        else:
            self.execution.end()

    def shutdown(self, now: bool = False) -> None:
        self.stopped = now


@pytest.mark.parametrize("stop_on_second", [True, False])
def test_a_ctrl_c_during_the_interrupt_is_the_next_one(stop_on_second: bool) -> None:
    execution = _FakeExecution()
    kernel = _FakeKernel(execution, ctrl_c_during=1)
    with CtrlC() as ctrl_c:
        signal.raise_signal(signal.SIGINT)  # before the wait: not lost either
        result = wait_interruptibly(
            kernel, execution, ctrl_c, Printer(), stop_on_second=stop_on_second
        )
    if stop_on_second:  # `kernelhub run`: the second Ctrl-C stops the kernel
        assert result is None
        assert kernel.interrupts == 1
        assert kernel.stopped
        assert execution.closed
    else:  # `kernelhub console`: each Ctrl-C interrupts
        assert result == "the result"
        assert kernel.interrupts == 2
        assert not kernel.stopped
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
