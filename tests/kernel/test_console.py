"""``kernelhub console``, driven through a pseudo-terminal as a user drives it."""

from __future__ import annotations

import os
from typing import Any

import pexpect
import pytest
from client_fixtures import install_test_specs, kernelhub_command, sigint_default


@pytest.fixture(autouse=True)
def specs(jupyter_dirs: Any) -> None:
    install_test_specs(jupyter_dirs.path_kernels)


def spawn(*args: str) -> pexpect.spawn:
    command, *argv = kernelhub_command(*args)
    # Ctrl-C must reach the console even when the test run ignores SIGINT (nohup, CI).
    # Every expect below is bounded by this timeout.
    with sigint_default():
        return pexpect.spawn(
            command, argv, encoding="utf-8", timeout=60, dimensions=(24, 200), env=dict(os.environ)
        )


@pytest.mark.timeout(300)
def test_console_session(jupyter_dirs: Any) -> None:
    console = spawn("console", "testpy")
    try:
        console.expect("IPython")  # the kernel's banner
        console.expect_exact("In [1]: ")
        console.sendline("1+1")
        console.expect_exact("Out[1]: 2")

        # A block: the kernel says it is incomplete, the console indents and continues.
        console.expect_exact("In [2]: ")
        console.sendline("for i in range(2):")
        console.expect_exact("...: ")
        console.sendline("print(i * 10)")
        console.expect_exact("...: ")
        console.sendline("")
        console.expect_exact("0\r\n10\r\n")

        # input() in the code reads from the console.
        console.expect_exact("In [3]: ")
        console.sendline("input('who? ')")
        console.expect_exact("who? ")
        console.sendline("me")
        console.expect_exact("Out[3]: 'me'")

        # Ctrl-C interrupts the running cell; the console goes on.
        console.expect_exact("In [4]: ")
        console.sendline("import time; print('go', flush=True); time.sleep(60)")
        console.expect_exact("\r\ngo\r\n")  # the output, not the echo of the line
        console.sendintr()
        console.expect_exact("interrupting the kernel")
        console.expect("KeyboardInterrupt")
        console.expect_exact("In [5]: ")

        # Ctrl-C at the prompt discards the line.
        console.send("half a line")
        # As a person would: Ctrl-C after the line is on screen. (Sent together, the Ctrl-C
        # can land while readline blocks SIGINT to redraw, and go to another thread.)
        console.expect_exact("half a line")
        console.sendintr()
        console.expect_exact("\r\nKeyboardInterrupt\r\nIn [5]: ")

        # Errors show their traceback and the console goes on.
        console.sendline("1/0")
        console.expect("ZeroDivisionError")
        console.expect_exact("In [6]: ")

        console.sendeof()  # Ctrl-D: exit, shutting the kernel down
        console.expect(pexpect.EOF)
    finally:
        console.close(force=True)
    assert console.exitstatus == 0
    history = (jupyter_dirs.data / "kernelhub" / "console_history").read_text()
    assert history.splitlines() == [
        "1+1",
        "for i in range(2):",
        "    print(i * 10)",
        "input('who? ')",
        "import time; print('go', flush=True); time.sleep(60)",
        "1/0",
    ]


# Typed as one line: the loop catches each interrupt and ends after two. It says "ready N"
# from inside the try, and the test sends each Ctrl-C only once it has read that: then the
# interrupt can only land inside the try. (It used to say "ready" before the loop and be
# interrupted once "caught 1" was out: ipykernel's print(flush=True) waits for its IO thread
# after the text has left, so a Ctrl-C could land in that wait, outside the try, and end the
# cell with a KeyboardInterrupt instead, about one run in twenty.)
STUBBORN = (
    "exec(\"import time\\nn = 0\\nwhile n < 2:\\n try:\\n  print('ready', n, flush=True)\\n"
    "  while True: time.sleep(0.01)\\n"
    " except KeyboardInterrupt:\\n  n += 1\\n  print('caught', n, flush=True)\")"
)


@pytest.mark.timeout(300)
def test_console_ctrl_c_while_busy_and_at_input() -> None:
    console = spawn("console", "testpy")
    try:
        console.expect_exact("In [1]: ")
        # Each Ctrl-C while a cell runs interrupts it again; the console never stops.
        console.sendline(STUBBORN)
        console.expect_exact("ready 0\r\n")  # the echo of the line does not show "ready 0"
        console.sendintr()
        console.expect_exact("caught 1\r\n")
        console.expect_exact("ready 1\r\n")
        console.sendintr()
        console.expect_exact("caught 2\r\n")
        console.expect_exact("In [2]: ")

        # Ctrl-C while the code waits in input(): interrupts it, and nothing is left waiting.
        console.sendline("print('got', repr(input('who' + '? ')))")
        console.expect_exact("who? ")  # the prompt, which the echo of the line does not show
        console.sendintr()
        console.expect_exact("interrupting the kernel")
        console.expect("KeyboardInterrupt")
        console.expect_exact("In [3]: ")
        console.sendline("6*7")
        console.expect_exact("Out[3]: 42")
        console.expect_exact("In [4]: ")
        console.sendeof()
        console.expect(pexpect.EOF)
    finally:
        console.close(force=True)
    assert console.exitstatus == 0
    assert "got '" not in str(console.before)


@pytest.mark.timeout(300)
def test_console_history_is_loaded(jupyter_dirs: Any) -> None:
    history = jupyter_dirs.data / "kernelhub" / "console_history"
    history.parent.mkdir(parents=True)
    history.write_text("'from history'\n")
    console = spawn("console", "testbash")
    try:
        console.expect_exact("In [1]: ")
        console.sendline("echo $((6*7))")
        console.expect_exact("42")
        console.expect_exact("In [2]: ")
        console.send("\x1b[A")  # arrow up: the previous line
        console.send("\x1b[A")  # and the one before, from the file
        console.sendline("")
        console.expect_exact("from history: command not found")
        console.expect_exact("In [3]: ")  # Ctrl-D at a prompt, never while it is busy
        console.sendeof()
        console.expect(pexpect.EOF)
    finally:
        console.close(force=True)
    assert console.exitstatus == 0


def test_console_unknown_kernel() -> None:
    console = spawn("console", "nope")
    try:
        console.expect_exact("kernelhub: error: no kernel named 'nope'")
        console.expect(pexpect.EOF)
    finally:
        console.close(force=True)
    assert console.exitstatus == 1
