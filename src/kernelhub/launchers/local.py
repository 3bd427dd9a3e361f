"""Kernels as child processes of this one.

Each kernel is our direct child (no shell or wrapper in between, so signals reach it), the leader
of its own session and process group, started from the spawner thread with a parent-death
signal (see :mod:`kernelhub.launchers._child`). Its stdout and stderr share one pipe whose last
64 KiB are kept to explain a death; a kernel that may outlive us writes, through a log writer
process, to a bounded log file in the runtime directory instead (see
:mod:`kernelhub.launchers.logs`). Its exit is noticed the moment it happens through a pidfd
watched by the event loop (a thread blocked in ``waitpid`` where pidfds do not exist), never
by polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import subprocess
import threading
from collections.abc import Callable

from kernelhub.aio import AsyncResource
from kernelhub.errors import LaunchError
from kernelhub.launchers import _child, logs
from kernelhub.launchers._output import FileLog, RingLog
from kernelhub.launchers.base import LaunchRequest

__all__ = ["LocalKernelProcess", "LocalLauncher"]

log = logging.getLogger("kernelhub")

# How long aclose() waits for a killed kernel to be reaped; SIGKILL takes milliseconds.
_REAP_TIMEOUT = 5.0

#: How long a kernel's exit waits for its log writer to write the kernel's last output.
WRITER_GRACE = 1.0

#: How often the log file of a kernel that may outlive us is looked at while someone waits
#: for its output to grow (a pipe tells us at once; a file cannot).
FILE_POLL_INTERVAL = 0.1


class LocalKernelProcess(AsyncResource):
    """A kernel process that is our child. Use ``async with`` or :meth:`aclose`."""

    def __init__(
        self,
        popen: subprocess.Popen[bytes],
        *,
        output: RingLog | FileLog,
        output_fd: int | None,
        outlive: bool,
        writer: subprocess.Popen[bytes] | None = None,
    ) -> None:
        self._popen = popen
        self._writer = writer
        self._drain: asyncio.Task[None] | None = None
        self._log = output
        self._outlive = outlive
        self._loop = asyncio.get_running_loop()
        self._exited: asyncio.Future[int] = self._loop.create_future()
        self._output_fd = output_fd
        self._pidfd: int | None = None
        self._output_waiters: list[asyncio.Future[None]] = []
        if output_fd is not None:
            os.set_blocking(output_fd, False)
            self._loop.add_reader(output_fd, self._read_output)
        self._watch_exit()

    # -- the KernelProcess interface -------------------------------------------------------

    @property
    def pid(self) -> int:
        """The kernel's process id, which is also its process group and session id."""
        return self._popen.pid

    @property
    def returncode(self) -> int | None:
        """The exit code once the kernel has ended (negative: killed by that signal)."""
        return self._exited.result() if self._exited.done() else None

    @property
    def outlive(self) -> bool:
        """Whether the kernel keeps running when this process dies."""
        return self._outlive

    @property
    def log_path(self) -> str | None:
        """The kernel's log file, for kernels that may outlive us (else ``None``)."""
        return self._log.path if isinstance(self._log, FileLog) else None

    def is_alive(self) -> bool:
        """Whether the kernel is still running (as far as the exit watcher has seen)."""
        return not self._exited.done()

    async def wait(self) -> int:
        """Wait until the kernel ends and return its exit code."""
        return await asyncio.shield(self._exited)

    def signal(self, signum: int, *, group: bool = False) -> bool:
        """Send ``signum`` to the kernel, or to its whole process group.

        A reaped kernel is never signalled by pid (the pid may belong to someone else by
        now); its group is, for a short while after exit, to reach what it left behind.
        """
        try:
            if group:
                os.killpg(self._popen.pid, signum)
            elif self._exited.done() or self._popen.poll() is not None:
                return False
            else:
                self._popen.send_signal(signum)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    def output(self) -> str:
        """The last 64 KiB the kernel wrote to stdout and stderr."""
        if self._output_fd is not None:
            self._read_output()
        return self._log.text()

    async def output_grew(self) -> None:
        """Wait for the kernel's next output (a log file: look again after a short while)."""
        if isinstance(self._log, FileLog):
            await asyncio.sleep(FILE_POLL_INTERVAL)
            return
        waiter = self._loop.create_future()
        self._output_waiters.append(waiter)
        try:
            await waiter
        finally:
            with contextlib.suppress(ValueError):
                self._output_waiters.remove(waiter)

    async def aclose(self) -> None:
        """Stop watching the kernel. A kernel that may not outlive us is killed first."""
        if self._drain is not None and not self._drain.done():
            await self._drain  # bounded by WRITER_GRACE
        if self.is_alive() and not self._outlive:
            self.signal(signal.SIGKILL, group=True)
            try:
                await asyncio.wait_for(self.wait(), _REAP_TIMEOUT)
            except asyncio.TimeoutError:
                log.warning("kernel process %d did not die after SIGKILL", self.pid)
        if self.is_alive():
            # Whoever ends up waiting must be a thread: our event loop may be gone by then. It
            # reaps the kernel so that it never lingers as a zombie while we live.
            threading.Thread(target=self._popen.wait, daemon=True).start()
        if self._writer is not None and self._writer.poll() is None:
            # It ends once the kernel's output does (maybe after we are gone); reaped likewise.
            threading.Thread(target=self._writer.wait, daemon=True).start()
        self._writer = None
        self._stop_watching_exit()
        self._close_output()

    # -- watching ------------------------------------------------------------------------

    def _watch_exit(self) -> None:
        try:
            self._pidfd = os.pidfd_open(self._popen.pid)
        except (AttributeError, OSError):
            threading.Thread(target=self._wait_in_thread, daemon=True).start()
            return
        self._loop.add_reader(self._pidfd, self._on_pidfd)

    def _on_pidfd(self) -> None:
        code = self._popen.poll()
        if code is not None:
            self._stop_watching_exit()
            self._finish(code)

    def _wait_in_thread(self) -> None:
        code = self._popen.wait()
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody is waiting
            self._loop.call_soon_threadsafe(self._finish, code)

    def _finish(self, code: int) -> None:
        if self._exited.done() or self._drain is not None:
            return
        # Collect what the kernel wrote just before dying: it explains the death.
        if self._output_fd is not None:
            self._read_output()
        if self._writer is not None and self._writer.poll() is None:
            # Its last words may still be on their way through the log writer.
            self._drain = self._loop.create_task(self._finish_after_writer(code))
            return
        self._exited.set_result(code)

    async def _finish_after_writer(self, code: int) -> None:
        """Report the exit once the log writer has written all (it ends when the kernel's
        output does), or after :data:`WRITER_GRACE` if something the kernel started still
        holds its output open."""
        with contextlib.suppress(asyncio.TimeoutError, OSError):
            await asyncio.wait_for(self._writer_ended(), WRITER_GRACE)
        if not self._exited.done():
            self._exited.set_result(code)

    async def _writer_ended(self) -> None:
        writer = self._writer
        if writer is None:
            return
        loop, ended = self._loop, self._loop.create_future()

        def done() -> None:
            if not ended.done():
                ended.set_result(None)

        pidfd: int | None
        try:
            pidfd = os.pidfd_open(writer.pid)
        except (AttributeError, OSError):
            pidfd = None

            def wait() -> None:
                writer.wait()
                with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits
                    loop.call_soon_threadsafe(done)

            threading.Thread(target=wait, daemon=True).start()
        else:
            loop.add_reader(pidfd, done)
        try:
            if writer.poll() is None:
                await ended
        finally:
            if pidfd is not None:
                loop.remove_reader(pidfd)
                os.close(pidfd)

    def _stop_watching_exit(self) -> None:
        if self._pidfd is not None:
            self._loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = None

    def _read_output(self) -> None:
        fd = self._output_fd
        if fd is None or not isinstance(self._log, RingLog):
            return
        while True:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self._close_output()
                return
            self._log.feed(chunk)
            for waiter in self._output_waiters:
                if not waiter.done():
                    waiter.set_result(None)

    def _close_output(self) -> None:
        if self._output_fd is not None:
            self._loop.remove_reader(self._output_fd)
            os.close(self._output_fd)
            self._output_fd = None


class LocalLauncher:
    """Starts kernels as direct children of this process (see the module docstring)."""

    async def launch(self, request: LaunchRequest) -> LocalKernelProcess:
        """Start the kernel; return once the process exists (not once it is ready)."""
        kernel_type = request.kernel_type
        argv = _child.build_argv(kernel_type, request.connection_file, request.params)
        env = _child.build_env(
            kernel_type, request.env, parent_pid=None if request.outlive else os.getpid()
        )
        output: RingLog | FileLog
        spawn: Callable[[], tuple[subprocess.Popen[bytes], subprocess.Popen[bytes] | None]]
        read_fd: int | None = None
        if request.outlive:
            path = logs.log_path(request.kernel_id)
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
            output = FileLog(path)
            spawn = functools.partial(_spawn_logged, argv, cwd=request.cwd, env=env, log=path)
        else:
            read_fd, write_fd = os.pipe()
            output = RingLog()
            spawn = functools.partial(_spawn_piped, argv, cwd=request.cwd, env=env, fd=write_fd)
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(_child.spawner(), spawn)
        try:
            # Shielded: if we are cancelled while the fork runs, the process still appears,
            # and must be killed rather than forgotten.
            popen, writer = await asyncio.shield(future)
        except asyncio.CancelledError:
            future.add_done_callback(_kill_unwanted)
            if read_fd is not None:
                os.close(read_fd)
            raise
        except OSError as exc:
            if read_fd is not None:
                os.close(read_fd)
            raise _launch_error(kernel_type.id, argv, request.cwd, exc) from exc
        log.debug("started kernel %s (pid %d): %s", kernel_type.id, popen.pid, argv)
        return LocalKernelProcess(
            popen, output=output, output_fd=read_fd, outlive=request.outlive, writer=writer
        )


_Spawned = tuple[subprocess.Popen[bytes], "subprocess.Popen[bytes] | None"]


def _spawn_piped(argv: list[str], *, cwd: str | None, env: dict[str, str], fd: int) -> _Spawned:
    """A kernel that dies with us, its output to the pipe ``fd`` we read (on the spawner)."""
    try:
        return _child.spawn(argv, cwd=cwd, env=env, stdout=fd, die_with_parent=True), None
    finally:
        os.close(fd)


def _spawn_logged(argv: list[str], *, cwd: str | None, env: dict[str, str], log: str) -> _Spawned:
    """A kernel that may outlive us, its output to its log writer (on the spawner thread)."""
    try:
        fd, writer = logs.start_writer(log)
    except OSError as exc:  # not the kernel's program: say whose start failed
        raise LaunchError(f"cannot start the log writer for {log}: {exc}") from exc
    try:
        return _child.spawn(argv, cwd=cwd, env=env, stdout=fd, die_with_parent=False), writer
    except BaseException:
        # Nothing will ever write to the log: the writer reads EOF and ends at once.
        os.close(fd)
        fd = -1
        try:
            writer.wait(_REAP_TIMEOUT)
        except subprocess.TimeoutExpired:
            writer.kill()
            writer.wait()
        with contextlib.suppress(OSError):
            if os.path.getsize(log) == 0:  # a log kept from an earlier run stays
                logs.remove(log)
        raise
    finally:
        if fd >= 0:
            os.close(fd)


def _kill_unwanted(future: asyncio.Future[_Spawned]) -> None:
    if future.cancelled() or future.exception() is not None:
        return
    popen, writer = future.result()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(popen.pid, signal.SIGKILL)
    threading.Thread(target=popen.wait, daemon=True).start()
    if writer is not None:
        threading.Thread(target=writer.wait, daemon=True).start()


def _launch_error(kernel: str, argv: list[str], cwd: str | None, exc: OSError) -> LaunchError:
    if cwd is not None and exc.filename == cwd:
        problem = f"working directory {cwd!r} cannot be used ({exc.strerror})"
    elif isinstance(exc, FileNotFoundError):
        problem = f"program {argv[0]!r} not found"
    elif isinstance(exc, PermissionError):
        problem = f"program {argv[0]!r} is not executable"
    else:
        problem = f"cannot run {argv[0]!r}: {exc}"
    return LaunchError(f"cannot start kernel {kernel}: {problem}")
