"""Starting and stopping kernels: kernelhub's manager against jupyter_client's, same run.

``python bench/run.py launch`` (or ``python bench/bench_launch.py [--quick]``). Cases:

- launch to ready (ipykernel): ``KernelManager.start()`` against jupyter_client's
  ``start_kernel()`` + ``client().wait_for_ready()``; target 0.65x.
- graceful shutdown: ``shutdown()`` against ``shutdown_kernel()``; target 0.25x.
- N kernels started at once, all ready, against the CPU floor (N x one kernel's start-up CPU
  / cores); target 1.05x of the floor (jupyter_client's ratio is shown for reference).
- manager memory per additional kernel (USS of a fresh process with N, then N + k kernels);
  target 0.35 MiB.

Both sides start the same command from the same kernelspec, interleaved run by run.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _harness import Result, compare, print_results, single  # noqa: E402

TITLE = "kernel launch and shutdown (ipykernel)"
SPEC = "benchpy"
ARGV = ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"]


def _isolate() -> None:
    """Give both stacks the same fresh Jupyter directories and one kernelspec."""
    root = Path(tempfile.mkdtemp(prefix="kernelhub-bench-"))
    spec = root / "path" / "kernels" / SPEC
    spec.mkdir(parents=True)
    argv = [sys.executable, *ARGV[1:]]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": SPEC, "language": "python"})
    )
    os.environ.update(
        JUPYTER_PATH=str(root / "path"),
        JUPYTER_RUNTIME_DIR=str(root / "runtime"),
        JUPYTER_DATA_DIR=str(root / "data"),
        IPYTHONDIR=str(root / "ipython"),
    )


def _kernel_type() -> Any:
    from kernelhub.providers.base import KernelType

    return KernelType(
        id=f"bench/{SPEC}",
        provider="bench",
        name=SPEC,
        display_name=SPEC,
        language="python",
        argv=tuple(ARGV),
        interpreter=sys.executable,
    )


class Ours:
    """kernelhub, driven from one event loop for the whole run."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.kernel_type = _kernel_type()

    def launch(self) -> float:
        from kernelhub.manager import KernelManager

        async def go() -> float:
            km = KernelManager(self.kernel_type)
            t0 = time.perf_counter()
            await km.start()
            elapsed = time.perf_counter() - t0
            await km.aclose()
            return elapsed * 1000

        return self.loop.run_until_complete(go())

    def shutdown(self) -> float:
        from kernelhub.manager import KernelManager

        async def go() -> float:
            km = KernelManager(self.kernel_type)
            await km.start()
            t0 = time.perf_counter()
            await km.shutdown()
            elapsed = time.perf_counter() - t0
            await km.aclose()
            return elapsed * 1000

        return self.loop.run_until_complete(go())

    def many(self, n: int) -> float:
        from kernelhub.multikernel import MultiKernelManager

        async def go() -> float:
            async with MultiKernelManager() as mkm:
                t0 = time.perf_counter()
                await asyncio.gather(*(mkm.start_kernel(self.kernel_type) for _ in range(n)))
                return time.perf_counter() - t0

        return self.loop.run_until_complete(go())

    def startup_cpu(self) -> float:
        """CPU seconds one kernel (and its children) spends until it is ready."""
        import psutil

        from kernelhub.manager import KernelManager

        async def go() -> float:
            async with KernelManager(self.kernel_type) as km:
                await km.start()
                assert km.pid is not None
                proc = psutil.Process(km.pid)
                procs = [proc, *proc.children(recursive=True)]
                return sum(sum(p.cpu_times()[:2]) for p in procs)

        return self.loop.run_until_complete(go())


class Bare:
    """No manager at all: the floor both managers stand on.

    The kernel process is started by hand on ports picked just before, a bare DEALER (with
    jupyter_client's ``Session`` for signing) sends one ``kernel_info_request`` at once and
    the time to the reply is the kernel's own start-up. For shutdown, the time from sending
    ``shutdown_request`` on control to the process's exit is the kernel's own way out.
    ``env`` is the kernel's environment (default: ours, made isolated by :func:`_isolate`).
    """

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.env = env

    def _start(self) -> tuple[subprocess.Popen[bytes], Any, Any, dict[str, Any], float]:
        import zmq
        from jupyter_client.connect import write_connection_file
        from jupyter_client.session import Session

        runtime = (self.env or os.environ)["JUPYTER_RUNTIME_DIR"]
        os.makedirs(runtime, exist_ok=True)
        path, info = write_connection_file(
            os.path.join(runtime, f"bare-{os.getpid()}-{time.monotonic_ns()}.json"),
            key=os.urandom(16).hex().encode(),
        )
        session = Session(key=info["key"].encode())
        context = zmq.Context.instance()
        shell = context.socket(zmq.DEALER)
        shell.setsockopt(zmq.RECONNECT_IVL, 10)
        shell.connect(f"tcp://127.0.0.1:{info['shell_port']}")
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "ipykernel_launcher", "-f", path],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env=self.env,
        )
        session.send(shell, "kernel_info_request", {})
        if not shell.poll(60_000):
            proc.kill()
            raise TimeoutError("bare kernel never answered kernel_info_request")
        session.recv(shell)
        elapsed = (time.perf_counter() - t0) * 1000
        info["path"] = path
        return proc, session, shell, info, elapsed

    def _end(self, proc: subprocess.Popen[bytes], shell: Any, info: dict[str, Any]) -> None:
        if proc.poll() is None:
            proc.kill()
        proc.wait(60)
        shell.close(linger=0)
        with contextlib.suppress(OSError):
            os.remove(info["path"])

    def launch(self) -> float:
        proc, _, shell, info, elapsed = self._start()
        self._end(proc, shell, info)
        return elapsed

    def shutdown(self) -> float:
        import zmq

        proc, session, shell, info, _ = self._start()
        control = zmq.Context.instance().socket(zmq.DEALER)
        control.connect(f"tcp://127.0.0.1:{info['control_port']}")
        t0 = time.perf_counter()
        session.send(control, "shutdown_request", {"restart": False})
        proc.wait(60)
        elapsed = (time.perf_counter() - t0) * 1000
        control.close(linger=0)
        self._end(proc, shell, info)
        return elapsed


def with_floor(
    measure: Callable[[], float], floor: Callable[[], float], into: list[float]
) -> Callable[[], float]:
    """``measure``, also running ``floor`` once after it (so the floor is interleaved too)."""

    def both() -> float:
        value = measure()
        into.append(floor())
        return value

    return both


class Theirs:
    """jupyter_client, used as its documentation shows."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    def launch(self) -> float:
        from jupyter_client import KernelManager

        km = KernelManager(kernel_name=SPEC)
        t0 = time.perf_counter()
        km.start_kernel()
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        elapsed = time.perf_counter() - t0
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        return elapsed * 1000

    def shutdown(self) -> float:
        from jupyter_client import KernelManager

        km = KernelManager(kernel_name=SPEC)
        km.start_kernel()
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        kc.stop_channels()
        t0 = time.perf_counter()
        km.shutdown_kernel()
        return (time.perf_counter() - t0) * 1000

    def many(self, n: int) -> float:
        from jupyter_client import AsyncKernelManager

        async def one(km: Any) -> None:
            await km.start_kernel()
            kc = km.client()
            kc.start_channels()
            await kc.wait_for_ready(timeout=120)
            kc.stop_channels()

        async def go() -> float:
            kms = [AsyncKernelManager(kernel_name=SPEC) for _ in range(n)]
            t0 = time.perf_counter()
            try:
                await asyncio.gather(*(one(km) for km in kms))
            except Exception as exc:  # a failed run (a port race, say) is reported, not timed
                self.failures.append(f"{type(exc).__name__}: {exc}")
                return float("nan")
            finally:
                elapsed = time.perf_counter() - t0
                await asyncio.gather(
                    *(km.shutdown_kernel(now=True) for km in kms if km.has_kernel),
                    return_exceptions=True,
                )
            return elapsed

        return asyncio.run(go())


def _memory_child(which: str, base: int, extra: int) -> None:
    """Run in a fresh process: print MiB of USS per kernel added beyond ``base``."""
    import psutil

    me = psutil.Process()

    def uss() -> float:
        gc.collect()
        return float(me.memory_full_info().uss) / 2**20

    async def ours() -> float:
        from kernelhub.multikernel import MultiKernelManager

        kt = _kernel_type()
        async with MultiKernelManager() as mkm:
            await asyncio.gather(*(mkm.start_kernel(kt) for _ in range(base)))
            before = uss()
            await asyncio.gather(*(mkm.start_kernel(kt) for _ in range(extra)))
            return (uss() - before) / extra

    async def theirs() -> float:
        from jupyter_client import AsyncKernelManager

        async def one() -> Any:
            km = AsyncKernelManager(kernel_name=SPEC)
            await km.start_kernel()
            kc = km.client()
            kc.start_channels()
            await kc.wait_for_ready(timeout=120)
            return km, kc

        first = await asyncio.gather(*(one() for _ in range(base)))
        before = uss()
        more = await asyncio.gather(*(one() for _ in range(extra)))
        per = (uss() - before) / extra
        for km, kc in [*first, *more]:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)
        return per

    print(asyncio.run(ours() if which == "ours" else theirs()))


def _memory(which: str, base: int, extra: int) -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--memory", which, str(base), str(extra)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return float(out.stdout.strip().splitlines()[-1])


def run(quick: bool) -> list[Result]:
    """Every case; ``quick`` runs each a few times only (a smoke test, not figures)."""
    _isolate()
    ours, theirs, bare = Ours(), Theirs(), Bare()
    runs = 3 if quick else 20
    n = 4 if quick else 30
    many_runs = 1 if quick else 5
    start_floor: list[float] = []
    exit_floor: list[float] = []
    launch = compare(
        "launch -> ready",
        with_floor(ours.launch, bare.launch, start_floor),
        theirs.launch,
        runs=runs,
        target=0.65,
    )
    stop = compare(
        "graceful shutdown",
        with_floor(ours.shutdown, bare.shutdown, exit_floor),
        theirs.shutdown,
        runs=runs,
        target=0.25,
    )
    results = [
        replace(
            launch,
            note=f"floor (bare Popen -> first reply, no manager) "
            f"{statistics.median(start_floor):.0f} ms",
        ),
        replace(
            stop,
            note=f"floor (bare shutdown_request -> process exit) "
            f"{statistics.median(exit_floor):.0f} ms",
        ),
    ]
    # The floor is measured anew before each pair of runs: one kernel's start-up CPU moves
    # with whatever else the machine is doing (320 ms quiet, 460 ms under load here).
    cpus: list[float] = []
    ours_many: list[float] = []
    theirs_many: list[float] = []
    for _ in range(many_runs):  # interleaved, like compare()
        cpu = statistics.median(ours.startup_cpu() for _ in range(3))
        cpus.append(cpu)
        floor = n * cpu / (os.cpu_count() or 1)
        ours_many.append(ours.many(n) / floor)
        theirs_many.append(theirs.many(n) / floor)
    cpu = statistics.median(cpus)
    floor = n * cpu / (os.cpu_count() or 1)
    theirs_many = [t for t in theirs_many if not math.isnan(t)]
    results.append(
        Result(
            f"{n} at once / CPU floor",
            statistics.median(ours_many),
            None,
            "x floor",
            many_runs,
            target=1.05,
            note=f"floor {floor:.2f} s = {n} x {cpu * 1000:.0f} ms CPU / {os.cpu_count()} cores; "
            f"jupyter_client {statistics.median(theirs_many or [float('nan')]):.2f}x floor"
            + (
                f" ({len(theirs.failures)} failed: {theirs.failures[0]})" if theirs.failures else ""
            ),
        )
    )
    base, extra = (2, 2) if quick else (5, 10)
    theirs_mem = _memory("theirs", base, extra)
    results.append(
        single(
            "memory per extra kernel",
            lambda: _memory("ours", base, extra),
            runs=1 if quick else 3,
            unit="MiB",
            target=0.35,
            note=f"USS, {base} then {base + extra} kernels; jupyter_client {theirs_mem:.2f} MiB",
        )
    )
    ours.loop.close()
    return results


def main() -> int:
    """Standalone entry point: ``python bench/bench_launch.py [--quick]``."""
    if sys.argv[1:2] == ["--memory"]:
        _memory_child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return 0
    results = run("--quick" in sys.argv)
    print_results(TITLE, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
