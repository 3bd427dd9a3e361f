"""``kernelhub run ID -c CODE`` / ``kernelhub run ID FILE``: run code in a new kernel.

Outputs are printed as they arrive: streams to stdout/stderr, the ``text/plain`` of results
and displays to stdout, tracebacks to stderr. The exit status is 1 when the code raised. The
first Ctrl-C interrupts the kernel; a second one stops it (exit status 130).
"""

from __future__ import annotations

import argparse
import getpass
import re
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from kernelhub.client.results import (
    DisplayOutput,
    ErrorOutput,
    InputRequest,
    Output,
    ResultOutput,
    StreamOutput,
)
from kernelhub.errors import KernelhubError

if TYPE_CHECKING:
    from kernelhub.client.blocking import BlockingExecution
    from kernelhub.client.results import ExecuteResult
    from kernelhub.kernel import BlockingKernel

__all__ = ["CtrlC", "Printer", "ask", "register", "run", "wait_interruptibly"]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

R = TypeVar("R")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``run`` command."""
    parser = sub.add_parser(
        "run",
        help="run code in a kernel and print its output",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("id", metavar="ID", help="a kernel id (spec/python3) or a bare name")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", metavar="FILE", help="a file of code ('-': stdin)")
    source.add_argument("-c", "--code", help="the code to run")
    parser.add_argument("--cwd", help="the kernel's working directory")
    parser.add_argument(
        "--timeout", type=float, help="stop waiting for the code after this many seconds"
    )
    parser.set_defaults(func=run)


class Printer:
    """Prints outputs as a terminal user expects them (ANSI colours kept only on a tty)."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        from kernelhub import environ

        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.color = self.err.isatty() and not environ.no_color()

    def _plain(self, text: str) -> str:
        return text if self.color else _ANSI.sub("", text)

    def __call__(self, output: Output) -> None:
        """Print one output."""
        if isinstance(output, StreamOutput):
            stream = self.err if output.name == "stderr" else self.out
            stream.write(output.text)
            stream.flush()
        elif isinstance(output, (ResultOutput, DisplayOutput)):
            text = output.text or "<" + ", ".join(output.data) + ">"
            self.out.write(self._plain(text) + "\n")
            self.out.flush()
        elif isinstance(output, ErrorOutput):
            self.error(output)

    def error(self, error: ErrorOutput) -> None:
        """Print an error's traceback (or its name and value when there is none)."""
        self.out.flush()
        lines = error.traceback or (f"{error.ename}: {error.evalue}",)
        self.err.write(self._plain("\n".join(lines)) + "\n")
        self.err.flush()


def ask(request: InputRequest) -> str:
    """Answer the kernel's ``input()`` from our stdin (``getpass`` for passwords on a tty)."""
    sys.stdout.flush()
    try:
        if request.password and sys.stdin.isatty():
            return getpass.getpass(request.prompt)
        return input(request.prompt)
    except EOFError:
        return ""


class CtrlC:
    """Ctrl-C counted instead of raised, while a kernel runs code (``with CtrlC() as ctrl_c``).

    A ``KeyboardInterrupt`` raised wherever the main thread happens to be could lose an output
    taken from the queue but not yet returned, or escape from the very call that interrupts the
    kernel. So the handler only counts, and wakes the execution's iterator (:meth:`attach`),
    whose wait then raises ``KeyboardInterrupt`` at a point where nothing is lost; the caller
    then acts once per Ctrl-C (:meth:`take`), those pressed meanwhile included. Only inside
    :meth:`raising` (answering the code's ``input()``) does Ctrl-C raise where it lands, to get
    out of ``input()``. The handler is installed in the main thread only (Python runs signal
    handlers there; the client's loop thread blocks SIGINT).
    """

    def __init__(self) -> None:
        self._count = 0  # written by the handler only
        self._seen = 0  # written by take() only, so that no Ctrl-C is lost between the two
        self._raise = False
        self._wake: Callable[[], None] | None = None
        self._old: Any = None
        self._installed = False

    def __enter__(self) -> CtrlC:
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._installed:
            self._installed = False
            old = self._old if self._old is not None else signal.default_int_handler
            signal.signal(signal.SIGINT, old)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self._count += 1
        if self._raise:
            raise KeyboardInterrupt
        wake = self._wake
        if wake is not None:
            wake()

    def attach(self, wake: Callable[[], None]) -> None:
        """Call ``wake`` at each Ctrl-C from now on (and now, if one is not taken yet)."""
        self._wake = wake
        if self._count > self._seen:
            wake()

    def take(self) -> int:
        """How many Ctrl-Cs came since the last call."""
        new = self._count - self._seen
        self._seen += new
        return new

    def raising(self, fn: Callable[..., R]) -> Callable[..., R]:
        """``fn``, during which Ctrl-C raises ``KeyboardInterrupt`` (still counted)."""

        def call(*args: Any) -> R:
            self._raise = True
            try:
                return fn(*args)
            finally:
                self._raise = False

        return call


def wait_interruptibly(
    kernel: BlockingKernel,
    execution: BlockingExecution,
    ctrl_c: CtrlC,
    printer: Printer,
    *,
    stop_on_second: bool,
) -> ExecuteResult | None:
    """Print ``execution``'s outputs until it ends. Each Ctrl-C that ``ctrl_c`` (installed
    before the execution started) counts interrupts the kernel; with ``stop_on_second`` a
    second Ctrl-C stops the kernel instead and ``None`` is returned."""
    interrupts = 0
    ctrl_c.attach(execution.interrupt_wait)
    while True:
        try:
            for output in execution:
                printer(output)
            return execution.result
        except KeyboardInterrupt:
            pass  # a Ctrl-C, or the wake-up of one already taken below
        while new := ctrl_c.take():  # those pressed while the kernel was interrupted, too
            interrupts += new
            if stop_on_second and interrupts > 1:
                sys.stderr.write("kernelhub: stopping the kernel\n")
                execution.close()
                kernel.shutdown(now=True)
                return None
            hint = " (Ctrl-C again to stop it)" if stop_on_second else ""
            sys.stderr.write(f"kernelhub: interrupting the kernel{hint}\n")
            sys.stderr.flush()
            kernel.interrupt()


def _read_code(args: argparse.Namespace) -> str:
    if args.code is not None:
        return str(args.code)
    if args.file == "-":
        return sys.stdin.read()
    try:
        with open(args.file, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise KernelhubError(f"{args.file}: cannot read: {reason}") from None


def run(args: argparse.Namespace) -> int:
    """Start the kernel, run the code, print what it prints; 1 if it raised, 130 if stopped."""
    from kernelhub.kernel import start_kernel_blocking

    code = _read_code(args)
    # Our stdin is for the code's input(), so a FILE of '-' leaves none: say so to the kernel.
    stdin_free = args.file != "-"
    with start_kernel_blocking(args.id, cwd=args.cwd) as kernel, CtrlC() as ctrl_c:
        on_input = ctrl_c.raising(ask) if stdin_free else None
        with kernel.stream(code, timeout=args.timeout, on_input=on_input) as execution:
            result = wait_interruptibly(kernel, execution, ctrl_c, Printer(), stop_on_second=True)
    if result is None:
        return 130
    if result.status == "aborted":
        sys.stderr.write("kernelhub: the kernel aborted the code\n")
    return 0 if result.ok else 1
