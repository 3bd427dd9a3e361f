"""Client CPU per ``execute("1+1")`` round trip: kernelhub vs jupyter_client, same kernel.

Each client talks to its own ipykernel: a client that is not being measured would otherwise
have its IOPub queue filled by the others' traffic, and pay for reading it (or lose messages
to ZeroMQ's high-water mark) when its turn comes. Each measurement is the client process's CPU time
(``time.process_time()``: every thread, user and system, so libzmq's I/O thread and the
blocking facade's loop thread count) over ``N`` round trips, divided by ``N``. The kernel is
another process, so its CPU is not counted. A round trip is: send ``execute_request``, collect
outputs until IOPub says idle and the reply has come.

    python bench/bench_client.py [--quick]      # or: python bench/run.py client
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Result, compare, print_results

TITLE = "client CPU per execute('1+1') round trip (µs, lower is better)"
TARGET = 0.6  # issue 3: at most 0.6x jupyter_client's BlockingKernelClient


@contextmanager
def ipykernel() -> Iterator[str]:
    """Start an ipykernel on free ports; yield its connection file."""
    from kernelhub.connection import ConnectionInfo, new_key, write_connection_file

    socks = [socket.socket() for _ in range(5)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    info = ConnectionInfo(*("tcp", "127.0.0.1"), *ports, key=new_key())  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory() as tmp:
        path = write_connection_file(info, os.path.join(tmp, "kernel.json"))
        env = {**os.environ, "HOME": tmp, "IPYTHONDIR": os.path.join(tmp, "ipython")}
        proc = subprocess.Popen(
            [sys.executable, "-m", "ipykernel_launcher", "-f", path],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            yield path
        finally:
            proc.kill()
            proc.wait()


def _cpu_per_call(batch: Callable[[], None], n: int) -> float:
    start = time.process_time()
    batch()
    return (time.process_time() - start) / n * 1e6


class Clients:
    """Every client under test, connected to one kernel and warmed up."""

    def __init__(self, paths: list[str], n: int) -> None:
        from jupyter_client import AsyncKernelClient as JAsync
        from jupyter_client import BlockingKernelClient as JBlocking

        from kernelhub.client import AsyncKernelClient, BlockingKernelClient
        from kernelhub.connection import read_connection_file

        self.n = n
        self.loop = asyncio.new_event_loop()
        self.ours = AsyncKernelClient(read_connection_file(paths[0]))
        self.opened = contextlib.AsyncExitStack()  # entered in _open_ours, left in close
        self.loop.run_until_complete(self._open_ours())
        self.ours_blocking = BlockingKernelClient(read_connection_file(paths[1]))
        self.ours_blocking.wait_for_ready(30)
        self.jc = JBlocking(connection_file=paths[2])
        self.jc.load_connection_file()
        self.jc.start_channels()
        self.jc.wait_for_ready(30)
        self.jca = JAsync(connection_file=paths[3])
        self.jca.load_connection_file()
        self.jca.start_channels()
        self.loop.run_until_complete(self.jca.wait_for_ready(30))
        for measure in (self.ours_async, self.ours_block, self.jc_blocking, self.jc_async):
            measure()  # warm up: imports, caches, the kernel's first executions

    async def _open_ours(self) -> None:
        await self.opened.enter_async_context(self.ours)
        await self.ours.wait_for_ready(30)

    def close(self) -> None:
        self.loop.run_until_complete(self.opened.aclose())
        self.ours_blocking.close()
        self.jc.stop_channels()
        self.jca.stop_channels()
        self.loop.close()

    def ours_async(self) -> float:
        async def batch() -> None:
            for _ in range(self.n):
                await self.ours.execute("1+1")

        return _cpu_per_call(lambda: self.loop.run_until_complete(batch()), self.n)

    def ours_block(self) -> float:
        def batch() -> None:
            for _ in range(self.n):
                self.ours_blocking.execute("1+1")

        return _cpu_per_call(batch, self.n)

    def jc_blocking(self) -> float:
        kc = self.jc

        def one() -> None:
            # What a jupyter_client user writes to get a cell's outputs (execute_interactive
            # does the same plus a poller; measured it is no cheaper).
            msg_id = kc.execute("1+1")
            kc.get_shell_msg(timeout=10)
            while True:
                msg: dict[str, Any] = kc.get_iopub_msg(timeout=10)
                if (
                    msg["parent_header"].get("msg_id") == msg_id
                    and msg["msg_type"] == "status"
                    and msg["content"]["execution_state"] == "idle"
                ):
                    return

        def batch() -> None:
            for _ in range(self.n):
                one()

        return _cpu_per_call(batch, self.n)

    def jc_async(self) -> float:
        kc = self.jca

        async def one() -> None:
            msg_id = kc.execute("1+1")
            await kc.get_shell_msg(timeout=10)
            while True:
                msg: dict[str, Any] = await kc.get_iopub_msg(timeout=10)
                if (
                    msg["parent_header"].get("msg_id") == msg_id
                    and msg["msg_type"] == "status"
                    and msg["content"]["execution_state"] == "idle"
                ):
                    return

        async def batch() -> None:
            for _ in range(self.n):
                await one()

        return _cpu_per_call(lambda: self.loop.run_until_complete(batch()), self.n)


def run(quick: bool) -> list[Result]:
    """The benchmark cases (``quick``: a smoke test with few runs, not figures)."""
    runs, n = (3, 20) if quick else (21, 100)
    with contextlib.ExitStack() as stack:
        paths = [stack.enter_context(ipykernel()) for _ in range(4)]
        clients = Clients(paths, n)
        try:
            return [
                compare(
                    "async client vs jc Blocking",
                    clients.ours_async,
                    clients.jc_blocking,
                    runs=runs,
                    unit="µs",
                    target=TARGET,
                ),
                compare(
                    "blocking client vs jc Blocking",
                    clients.ours_block,
                    clients.jc_blocking,
                    runs=runs,
                    unit="µs",
                    target=TARGET,
                ),
                compare(
                    "async client vs jc Async",
                    clients.ours_async,
                    clients.jc_async,
                    runs=runs,
                    unit="µs",
                ),
            ]
        finally:
            clients.close()


def main() -> int:
    """Run standalone and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="few runs: a smoke test")
    args = parser.parse_args()
    print_results(TITLE, run(args.quick))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
