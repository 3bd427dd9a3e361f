"""``kernelhub console ID``: an interactive console on a new kernel.

Lines are sent when the kernel says the code is complete (``is_complete``), so blocks span
several lines; an empty line ends a block. ``input()`` in the code reads from the console.
Ctrl-C interrupts a running cell, also while it waits for input (or discards the line being
typed); Ctrl-D exits and shuts the kernel down. History is kept with readline in the Jupyter
data directory.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from kernelhub.cli.run import CtrlC, Printer, ask, wait_interruptibly
from kernelhub.client.results import InputRequest, Output, ResultOutput
from kernelhub.errors import KernelTimeoutError

if TYPE_CHECKING:
    from kernelhub.kernel import BlockingKernel

__all__ = ["history_file", "register", "run"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``console`` command."""
    parser = sub.add_parser(
        "console",
        help="an interactive console on a kernel",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("id", metavar="ID", help="a kernel id (spec/python3) or a bare name")
    parser.add_argument("--cwd", help="the kernel's working directory")
    parser.set_defaults(func=run)


def history_file() -> str:
    """Where the console keeps its input history."""
    from kernelhub import paths

    return os.path.join(paths.data_dir(), "kernelhub", "console_history")


@contextlib.contextmanager
def _readline_history(path: str) -> Iterator[Any]:
    """Readline with the history file loaded, saved on exit (``None`` without readline)."""
    try:
        import readline
    except ImportError:  # e.g. Windows without pyreadline
        yield None
        return
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(10_000)
    try:
        yield readline
    finally:
        with contextlib.suppress(OSError):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            readline.write_history_file(path)


class _ConsolePrinter(Printer):
    """Prints results IPython-style, as ``Out[n]: value``."""

    def __call__(self, output: Output) -> None:
        if isinstance(output, ResultOutput) and output.execution_count is not None:
            self.out.write(f"Out[{output.execution_count}]: {self._plain(output.text)}\n")
            self.out.flush()
        else:
            super().__call__(output)


def _ask_unrecorded(readline: Any) -> Any:
    """``ask``, keeping the answers to the code's ``input()`` out of the console history."""
    if readline is None:
        return ask

    def answer(request: InputRequest) -> str:
        before = readline.get_current_history_length()
        value = ask(request)
        if readline.get_current_history_length() > before:
            readline.remove_history_item(before)
        return value

    return answer


def _is_complete(kernel: BlockingKernel, code: str) -> tuple[bool, str]:
    try:
        reply = kernel.client.is_complete(code, timeout=5)
    except KernelTimeoutError:  # a busy or silent kernel: let it judge the code itself
        return True, ""
    return reply.get("status") != "incomplete", reply.get("indent", "")


def _read_cell(kernel: BlockingKernel, readline: Any, count: int) -> str:
    prompt = f"In [{count}]: "
    more = "...: ".rjust(len(prompt))
    lines = [input(prompt)]
    while lines[0].strip():
        code = "\n".join(lines)
        complete, indent = _is_complete(kernel, code)
        if complete:
            return code
        if readline is not None and indent:

            def prefill(text: str = indent) -> None:
                readline.insert_text(text)
                readline.redisplay()

            readline.set_pre_input_hook(prefill)
        try:
            line = input(more)
        finally:
            if readline is not None:
                readline.set_pre_input_hook()
        if not line.strip():
            if readline is not None and line:  # only the prefilled indent: not history
                readline.remove_history_item(readline.get_current_history_length() - 1)
            return code + "\n"
        lines.append(line)
    return ""


def _run_cell(kernel: BlockingKernel, readline: Any, printer: Printer, count: int) -> int:
    """Read a cell and run it; the next execution count."""
    code = _read_cell(kernel, readline, count)
    if not code.strip():
        return count
    with CtrlC() as ctrl_c:
        on_input = ctrl_c.raising(_ask_unrecorded(readline))
        with kernel.stream(code, on_input=on_input) as execution:
            result = wait_interruptibly(kernel, execution, ctrl_c, printer, stop_on_second=False)
    if result is not None and result.execution_count is not None:
        return result.execution_count + 1
    return count


def run(args: argparse.Namespace) -> int:
    """Run the console until Ctrl-D."""
    from kernelhub.kernel import start_kernel_blocking

    printer = _ConsolePrinter()
    with start_kernel_blocking(args.id, cwd=args.cwd) as kernel:
        info = kernel.client.kernel_info(timeout=30)
        banner = str(info.get("banner", "")).rstrip()
        print(banner or kernel.kernel_type.display_name)
        count = 1
        with _readline_history(history_file()) as readline:
            while True:
                try:
                    count = _run_cell(kernel, readline, printer, count)
                except EOFError:  # Ctrl-D
                    print()
                    break
                except KeyboardInterrupt:  # at the prompt (a running cell counts Ctrl-C)
                    print("\nKeyboardInterrupt")
    return 0
