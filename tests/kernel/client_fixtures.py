"""Kernels for the client tests, started by hand until the manager can start them.

A kernel here is ``python -m <module> -f <connection file>`` with ports we chose; it runs with
its own HOME and IPython directory so that module-scoped kernels (shared by the tests of one
module, to keep kernel starts few on shared machines) never touch the real ones.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kernelhub.connection import ConnectionInfo, new_key, write_connection_file


def free_ports(n: int) -> list[int]:
    """``n`` distinct ports that were free a moment ago (good enough for tests)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@dataclass(frozen=True)
class KernelProcess:
    """A kernel we started: its connection info and process."""

    info: ConnectionInfo
    proc: subprocess.Popen[bytes]
    connection_file: str

    def is_alive(self) -> bool:
        """Whether the process is still running."""
        return self.proc.poll() is None


@contextlib.contextmanager
def kernel_process(directory: Path, module: str = "ipykernel_launcher") -> Iterator[KernelProcess]:
    """Start ``python -m module -f FILE`` with fresh ports and key; kill it afterwards."""
    shell, iopub, stdin, control, hb = free_ports(5)
    info = ConnectionInfo(
        shell_port=shell,
        iopub_port=iopub,
        stdin_port=stdin,
        control_port=control,
        hb_port=hb,
        key=new_key(),
    )
    home = directory / "home"
    home.mkdir(parents=True, exist_ok=True)
    path = write_connection_file(info, str(directory / "kernel.json"))
    env = {
        **os.environ,
        "HOME": str(home),
        "IPYTHONDIR": str(home / ".ipython"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "-f", path],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=str(directory),
        start_new_session=True,
    )
    try:
        yield KernelProcess(info, proc, path)
    finally:
        proc.kill()
        proc.wait(10)


def install_test_specs(kernels_dir: Path) -> None:
    """Kernelspecs ``testpy`` (ipykernel) and ``testbash`` (bash_kernel) in ``kernels_dir``.

    The argv is the one such specs have always had (``python`` means our interpreter); no
    ``kernel_protocol_version``, so ports are chosen as for any ipykernel.
    """
    import json

    for name, module, language in (
        ("testpy", "ipykernel_launcher", "python"),
        ("testbash", "bash_kernel", "bash"),
    ):
        spec = kernels_dir / name
        spec.mkdir(parents=True, exist_ok=True)
        argv = ["python", "-m", module, "-f", "{connection_file}"]
        data = {"argv": argv, "display_name": name, "language": language}
        (spec / "kernel.json").write_text(json.dumps(data))


def kernelhub_command(*args: str) -> list[str]:
    """The command line of ``kernelhub ARGS`` as a user runs it."""
    return [sys.executable, "-m", "kernelhub", *args]


@contextlib.contextmanager
def sigint_default() -> Iterator[None]:
    """Ctrl-C as an interactive user has it, whatever this process inherited.

    Under ``nohup``, in a background job or from a non-interactive CI shell, SIGINT comes
    ignored, and an ignored signal stays ignored across ``exec``: Python then installs no
    KeyboardInterrupt handler, here or in the processes a test starts. Inside the block this
    process has Python's default handler, and processes started in it get ``SIG_DFL`` (exec
    resets a handled signal to its default), with no ``preexec_fn`` in a threaded process.
    Main thread only, as every signal handler.
    """
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)
