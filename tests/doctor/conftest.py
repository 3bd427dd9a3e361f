"""Fixtures for the doctor and ``install --env``: a hermetic lab of kernelspecs, envs, files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kernelhub.doctor import Context, Finding, gather, run_checks
from kernelhub.envs import SystemRoots, clear_cache, discover
from tests.conftest import JupyterDirs
from tests.envs.layouts import make_interpreter

FAKE_PYTHON = "#!/bin/sh\nexit 97\n"


@dataclass
class Lab:
    """Kernel directories, environments and a runtime directory the checks are pointed at.

    ``first`` (the JUPYTER_PATH kernels directory) wins over ``user`` (the user's).
    ``environ`` is what the checks see as the live environment.
    """

    root: Path
    first: Path
    user: Path
    runtime: Path
    cwd: Path
    environ: dict[str, str] = field(default_factory=dict)
    kernel_dirs: list[str] = field(default_factory=list)

    def spec(self, where: Path, name: str, argv: list[str], **extra: object) -> Path:
        """Write ``where/name/kernel.json``."""
        d = where / name
        d.mkdir(parents=True, exist_ok=True)
        data = {"argv": argv, "display_name": f"Kernel {name}", "language": "python", **extra}
        (d / "kernel.json").write_text(json.dumps(data))
        return d

    def context(self, min_age: float = 5.0) -> Context:
        """A fresh context over the lab (no cached discovery)."""
        discovery = discover(
            cwd=str(self.cwd), environ=self.environ, system=SystemRoots.none(), refresh=True
        )
        dirs = self.kernel_dirs or [str(self.first), str(self.user)]
        return gather(
            discovery=discovery,
            environ=self.environ,
            kernel_dirs=dirs,
            runtime_dir=str(self.runtime),
            min_age=min_age,
        )

    def findings(self, code: str | None = None, min_age: float = 5.0) -> list[Finding]:
        """The findings with ``code`` (all when ``None``)."""
        found = run_checks(self.context(min_age))
        return [f for f in found if code is None or f.code == code]


def fake_python(prefix: Path, name: str = "python") -> Path:
    """An executable stand-in interpreter at ``prefix/bin/name`` (never run)."""
    exe = prefix / "bin" / name
    exe.parent.mkdir(parents=True, exist_ok=True)
    exe.write_text(FAKE_PYTHON)
    exe.chmod(0o755)
    return exe


def age(path: Path, seconds: float = 3600) -> None:
    """Make ``path`` look last written ``seconds`` ago."""
    then = path.stat().st_mtime - seconds
    os.utime(path, (then, then))


def write_connection_file(path: Path, mode: int = 0o600, port: int = 50001) -> Path:
    """A connection file as jupyter_client writes it (``port`` 0: the kernel chooses)."""
    info = {
        "shell_port": port,
        "iopub_port": port and port + 1,
        "stdin_port": port and port + 2,
        "control_port": port and port + 3,
        "hb_port": port and port + 4,
        "ip": "127.0.0.1",
        "key": "a0436f6c-1916-498b-8eb9-e81ab9368e84",
        "transport": "tcp",
        "signature_scheme": "hmac-sha256",
        "kernel_name": "",
    }
    path.write_text(json.dumps(info))
    path.chmod(mode)
    return path


@pytest.fixture(autouse=True)
def _private_runtime(jupyter_dirs: JupyterDirs) -> None:
    # mkdir under the usual umask gives 0755; Jupyter makes it 0700, so do the tests.
    jupyter_dirs.runtime.chmod(0o700)


@pytest.fixture(autouse=True)
def _fresh_discovery() -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def lab(jupyter_dirs: JupyterDirs, tmp_path: Path) -> Lab:
    """A lab whose PATH holds only a fake system interpreter (no jupyter, no uv)."""
    usr = tmp_path / "usr"
    make_interpreter(usr, "3.12.3")
    cwd = tmp_path / "work"
    cwd.mkdir()
    return Lab(
        root=tmp_path,
        first=jupyter_dirs.path_kernels,
        user=jupyter_dirs.user_kernels,
        runtime=jupyter_dirs.runtime,
        cwd=cwd,
        environ={"HOME": str(jupyter_dirs.home), "PATH": str(usr / "bin")},
    )


@pytest.fixture
def holder() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Start processes with a given path in their command line; they end with the test."""
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.close()  # the process waits on stdin: closing it ends it
        proc.wait(timeout=30)


def hold(procs: list[subprocess.Popen[bytes]], path: Path) -> subprocess.Popen[bytes]:
    """A live process whose argv names ``path``, as a kernel's ``-f <path>`` does.

    Popen returns after exec, so the new command line is visible to the process table.
    """
    code = "import sys; sys.stdin.read()"
    proc = subprocess.Popen([sys.executable, "-c", code, "-f", str(path)], stdin=subprocess.PIPE)
    procs.append(proc)
    return proc
