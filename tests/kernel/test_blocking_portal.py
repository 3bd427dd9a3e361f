"""The portal under the blocking facade: results, errors, Ctrl-C and stopping, without a kernel."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from client_fixtures import sigint_default

from kernelhub.client import BlockingPortal
from kernelhub.errors import ClientClosedError


@pytest.fixture(autouse=True)
def ctrl_c_enabled() -> Iterator[None]:
    """Ctrl-C raises here even when the test run ignores SIGINT (nohup, a background job, CI)."""
    with sigint_default():
        yield


async def _add(a: int, b: int = 0) -> int:
    return a + b


async def _fail() -> None:
    raise LookupError("from the loop")


def test_results_errors_and_threads() -> None:
    with BlockingPortal() as portal:
        assert portal.call(_add, 1, b=2) == 3
        with pytest.raises(LookupError, match="from the loop"):
            portal.call(_fail)

        async def loop_thread() -> threading.Thread:
            return threading.current_thread()

        assert portal.call(loop_thread) is not threading.current_thread()
        # Many calls from several threads at once are each answered with their own result.
        results: list[int] = []

        def caller(base: int) -> None:
            results.extend(portal.call(_add, base, b=i) for i in range(100))

        threads = [threading.Thread(target=caller, args=(1000 * k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(results) == sorted(1000 * k + i for k in range(4) for i in range(100))


def test_call_from_the_loop_thread_is_refused() -> None:
    with BlockingPortal() as portal:

        async def nested() -> int:
            return portal.call(_add, 1)

        with pytest.raises(RuntimeError, match="deadlock"):
            portal.call(nested)


def test_calls_after_stop_fail() -> None:
    portal = BlockingPortal()
    portal.stop()
    with pytest.raises(ClientClosedError):
        portal.call(_add, 1)
    portal.stop()  # idempotent


def test_stop_answers_a_waiting_call() -> None:
    portal = BlockingPortal()
    started = threading.Event()

    async def forever() -> None:
        started.set()
        await asyncio.Event().wait()

    outcome: list[BaseException] = []

    def caller() -> None:
        try:
            portal.call(forever)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=caller)
    thread.start()
    assert started.wait(30)
    portal.stop()
    thread.join(30)
    assert not thread.is_alive()
    assert len(outcome) == 1
    assert isinstance(outcome[0], ClientClosedError)


def test_ctrl_c_while_waiting_cancels_the_coroutine() -> None:
    with BlockingPortal() as portal:
        started = threading.Event()
        cancelled = threading.Event()

        async def wait_then_note_cancel() -> None:
            started.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.set()
                raise

        # The SIGINT comes from another thread once the coroutine runs: the main thread is
        # then blocked in call(), which Python's default handler interrupts.
        def interrupt() -> None:
            if started.wait(30):
                os.kill(os.getpid(), signal.SIGINT)

        killer = threading.Thread(target=interrupt)
        killer.start()
        try:
            with pytest.raises(KeyboardInterrupt):
                portal.call(wait_then_note_cancel)
        finally:
            killer.join(30)
        assert cancelled.wait(30)
        assert portal.call(_add, 2) == 2  # the portal goes on


@pytest.mark.skipif(sys.platform == "win32", reason="no signal masks")
def test_the_loop_thread_never_takes_sigint() -> None:
    async def blocked() -> set[signal.Signals]:
        return signal.pthread_sigmask(signal.SIG_BLOCK, [])

    with BlockingPortal() as portal:
        assert signal.SIGINT in portal.call(blocked)
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])


_PROBE = "import signal; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)"


def _probe() -> str:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=False
    )
    return done.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signal dispositions")
def test_sigint_default_undoes_an_inherited_ignore() -> None:
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as under nohup
    try:
        ignored = _probe()
        with sigint_default():
            assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
            restored = _probe()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, old)
    assert ignored == "False\n"  # an ignored SIGINT survives exec: no KeyboardInterrupt
    assert restored == "True\n"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signal dispositions")
def test_the_ctrl_c_test_holds_when_the_run_ignores_sigint() -> None:
    # The test above it, in a pytest run that inherited SIGINT ignored (a background job).
    test = f"{__file__}::test_ctrl_c_while_waiting_cancels_the_coroutine"
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", test, "-q", "-p", "no:cacheprovider"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        signal.signal(signal.SIGINT, old)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
