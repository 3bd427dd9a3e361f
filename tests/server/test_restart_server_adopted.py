"""A kernel re-attached by a new server is managed like any other: interrupted through its
process group, its death explained honestly (a process that is not our child has no exit
status we can know), and restarted as a child of the new server on the same ports."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import psutil

from kernelhub.client.async_client import AsyncKernelClient
from kernelhub.client.results import Output
from kernelhub.connection import read_connection_file
from tests.server.serve_process import (
    WAIT,
    ServeProcess,
    kernel_rows,
    run_code,
    serve,
    serve_processes,
    wait_gone,
)
from tests.server.test_restart_server import start_kernel_with_session

__all__ = ["serve_processes"]  # the fixture, imported for the tests of this module


def interrupt_running_code(server: ServeProcess, runtime: Path, kernel_id: str) -> str:
    """Run a long sleep, interrupt it through the REST API once it runs; the error's name."""

    async def go() -> str:
        info = read_connection_file(str(runtime / f"kernel-{kernel_id}.json"))
        running = asyncio.Event()

        def on_output(output: Output) -> None:
            running.set()

        async with AsyncKernelClient(info) as client:
            code = "import time\nprint('sleeping', flush=True)\ntime.sleep(60)"
            execution = asyncio.ensure_future(
                client.execute(code, on_output=on_output, timeout=WAIT)
            )
            await asyncio.wait_for(running.wait(), WAIT)
            url = f"/api/kernels/{kernel_id}/interrupt"
            reply = await asyncio.to_thread(server.client.post, url)
            assert reply.status == 204
            result = await execution
        assert result.error is not None
        return result.error.ename

    return asyncio.run(go())


def test_a_reattached_kernel_is_interrupted_and_restarted_after_a_death(
    tmp_path: Path, serve_processes: Path
) -> None:
    runtime = serve_processes
    state, root = tmp_path / "state", tmp_path / "root"
    (root / "work").mkdir(parents=True)
    first = serve(state, root)
    kernel_id, _ = start_kernel_with_session(first.client)
    (old,) = kernel_rows(state)
    first.stop(signal.SIGKILL)
    second = serve(state, root, "--log-level", "DEBUG")
    second.wait_log(f"kernel {kernel_id} re-attached")

    assert interrupt_running_code(second, runtime, kernel_id) == "KeyboardInterrupt"

    os.killpg(old["pid"], signal.SIGKILL)
    assert wait_gone(old["pid"])
    second.wait_log(f"{kernel_id} died: exited while not our child (exit status unknown)")
    second.wait_log(f"kernel {kernel_id} restarted")
    second.wait_log(f"state: kernel {kernel_id} recorded", count=2)  # adopted, then restarted
    (new,) = kernel_rows(state)
    assert new["pid"] != old["pid"]
    assert psutil.Process(new["pid"]).ppid() == second.proc.pid  # our child now
    assert new["connection"] == old["connection"]  # same ports, same key
    assert run_code(runtime, kernel_id, "import os; print(os.getcwd())") == f"{root / 'work'}\n"
    model = second.client.get(f"/api/kernels/{kernel_id}").json()
    assert model["execution_state"] == "idle"

    assert second.client.post(f"/api/kernels/{kernel_id}/restart").status == 200
    assert second.stop() == 0
    assert json.loads(old["connection"])["key"] not in second.log_text()  # even in DEBUG
