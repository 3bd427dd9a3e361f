"""Building a kernel's command line and environment, and spawning it so that it dies with us.

Parent-death signal: on Linux the kernel is started with ``prctl(PR_SET_PDEATHSIG, SIGKILL)``,
so the kernel is killed the moment this process dies, even by SIGKILL. The kernel's own
children are not covered (they are not ours). The signal fires when the *thread* that forked
the kernel exits, not the process; so every kernel is forked from one long-lived spawner thread
that ends only when the interpreter does, never from whatever thread runs an event loop (the
blocking facade runs its loop in a thread that may stop long before the kernels should).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from string import Template
from typing import Any

from kernelhub import environ
from kernelhub.providers.base import KernelType

__all__ = ["build_argv", "build_env", "child_setup", "parent_death_hook", "spawn", "spawner"]

_PYTHON = re.compile(r"^python(3(\.\d+)?)?$")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_PR_SET_PDEATHSIG = 1

_spawner: ThreadPoolExecutor | None = None
_spawner_lock = threading.Lock()


def spawner() -> ThreadPoolExecutor:
    """The one thread every kernel is forked from (see the module docstring for why)."""
    global _spawner
    with _spawner_lock:
        if _spawner is None:
            _spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kernelhub-spawner")
        return _spawner


def build_argv(
    kernel_type: KernelType,
    connection_file: str,
    params: Mapping[str, Any] | None = None,
) -> list[str]:
    """The command line to run: placeholders filled, ``python`` replaced by the interpreter.

    ``{connection_file}``, ``{resource_dir}`` and ``{<launch parameter>}`` are substituted;
    any other text in braces is left alone (argv may hold a shell script or JSON). ``~`` is
    expanded, as jupyter_client does.
    """
    values: dict[str, str] = {str(k): str(v) for k, v in (params or {}).items()}
    values["connection_file"] = connection_file
    values["resource_dir"] = kernel_type.resource_dir or ""

    def fill(match: re.Match[str]) -> str:
        return values.get(match.group(1), match.group(0))

    argv = [os.path.expanduser(_PLACEHOLDER.sub(fill, arg)) for arg in kernel_type.argv]
    if argv and _PYTHON.match(argv[0]):
        argv[0] = kernel_type.interpreter or sys.executable
    return argv


def build_env(
    kernel_type: KernelType,
    extra: Mapping[str, str] | None = None,
    *,
    parent_pid: int | None,
) -> dict[str, str]:
    """The kernel's environment: ours, then the kernel type's (``${VAR}`` expanded), then ``extra``.

    ``parent_pid`` becomes ``JPY_PARENT_PID``, which ipykernel watches to exit with its parent.
    """
    env = environ.snapshot()
    base = dict(env)
    for key, value in kernel_type.env.items():
        # jupyter_client expands against the launching environment with safe_substitute, so
        # unknown variables stay as written; we do the same.
        env[key] = Template(value).safe_substitute(base)
    env.update(extra or {})
    if parent_pid is None:
        env.pop("JPY_PARENT_PID", None)
    else:
        env["JPY_PARENT_PID"] = str(parent_pid)
    return env


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        prctl: Callable[..., int] = libc.prctl
    except (OSError, AttributeError):
        return None
    return prctl


_prctl = _load_prctl()


def parent_death_hook(parent_pid: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child die with ``parent_pid`` (``None`` off Linux).

    Everything it calls is resolved before the fork; in the child it only calls ``prctl`` and
    checks that the parent is still the one we expect: if the parent died between fork and
    ``prctl``, the death signal will never come, so the child kills itself.
    """
    prctl = _prctl
    if prctl is None:
        return None
    getppid, kill, getpid, sigkill = os.getppid, os.kill, os.getpid, signal.SIGKILL

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, int(sigkill), 0, 0, 0)
        if getppid() != parent_pid:
            kill(getpid(), sigkill)

    return hook


def child_setup(then: Callable[[], None] | None) -> Callable[[], None] | None:
    """A ``preexec_fn``: clear the signal mask, then run ``then``.

    The spawner thread may block signals (started from the blocking client's loop thread, it
    inherits its blocked SIGINT), and a mask survives exec: a kernel started with SIGINT
    blocked could never be interrupted. Where this thread blocks nothing, it returns ``then``
    as it is (no hook at all keeps Popen's faster vfork path for kernels that outlive us).
    """
    if not hasattr(signal, "pthread_sigmask") or not signal.pthread_sigmask(signal.SIG_BLOCK, ()):
        return then
    sigmask, setmask = signal.pthread_sigmask, signal.SIG_SETMASK

    def hook() -> None:
        sigmask(setmask, ())
        if then is not None:
            then()

    return hook


def spawn(
    argv: Sequence[str],
    *,
    cwd: str | None,
    env: Mapping[str, str],
    stdout: int,
    die_with_parent: bool,
) -> subprocess.Popen[bytes]:
    """Fork and exec the kernel (call this on the spawner thread).

    The kernel gets its own session (so it and its children form one process group to signal),
    stdin a pipe that is closed at once (as jupyter_client does: a read gets EOF rather than
    stealing our terminal), and stdout and stderr both on ``stdout``.
    """
    stdin_read, stdin_write = os.pipe()
    try:
        return subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=stdin_read,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # The hooks take no locks and import nothing (see parent_death_hook), which is
            # what makes preexec_fn safe in a threaded process.
            preexec_fn=child_setup(  # noqa: PLW1509
                parent_death_hook(os.getpid()) if die_with_parent else None
            ),
        )
    finally:
        os.close(stdin_read)
        os.close(stdin_write)
