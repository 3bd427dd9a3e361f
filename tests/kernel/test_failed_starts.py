"""A start that fails, however it fails, leaves no connection file behind."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kernelhub.errors import KernelDiedError, KernelhubError, KernelTimeoutError, LaunchError
from kernelhub.manager import KernelManager
from kernelhub.providers.base import KernelType

Factory = Callable[..., KernelType]

# A kernel on chosen ports that always finds one taken: started again ADDRESS_RETRIES times,
# then given up on.
PORT_TAKEN = (
    "import sys; print('zmq.error.ZMQError: Address already in use', flush=True); sys.exit(1)"
)


def exists(path: str) -> bool:
    return os.path.exists(path)


def connection_files(jupyter_dirs: Any) -> list[str]:
    runtime = Path(jupyter_dirs.runtime)
    return sorted(p.name for p in runtime.glob("kernel-*.json")) if runtime.exists() else []


def cases(make_type: Factory, script_type: Factory) -> dict[str, tuple[KernelType, type, str]]:
    return {
        "dies": (script_type("import sys; sys.exit(3)"), KernelDiedError, "code 3"),
        "times out": (script_type("import time; time.sleep(60)"), KernelTimeoutError, "in time"),
        "port retry gives up": (script_type(PORT_TAKEN), KernelDiedError, "Address already"),
        "bad argv": (make_type(("python", "--no-such-option")), KernelDiedError, "code 2"),
        "missing program": (make_type(("/no/such/kernel",)), LaunchError, "not found"),
    }


@pytest.mark.parametrize("outlive", [False, True], ids=["supervised", "outliving"])
@pytest.mark.parametrize(
    "case", ["dies", "times out", "port retry gives up", "bad argv", "missing program"]
)
async def test_no_connection_file_after_a_failed_start(
    case: str, outlive: bool, make_type: Factory, script_type: Factory, jupyter_dirs: Any
) -> None:
    kernel_type, error, words = cases(make_type, script_type)[case]
    async with KernelManager(kernel_type, outlive=outlive) as km:
        with pytest.raises(error, match=words):
            await km.start(timeout=3)
        assert not exists(km.connection_file)
        assert connection_files(jupyter_dirs) == []
        # The manager can still be used: the next start writes the file again.
        with pytest.raises(KernelhubError):
            await km.start(timeout=3)
        assert connection_files(jupyter_dirs) == []


async def test_no_connection_file_after_a_cancelled_start(
    script_type: Factory, jupyter_dirs: Any, tmp_path: Path
) -> None:
    fifo = tmp_path / "started"
    os.mkfifo(fifo)
    # The kernel opens the FIFO once it runs (the start is then waiting for its reply).
    code = f"import time; f = open({str(fifo)!r}, 'w'); time.sleep(60)"
    async with KernelManager(script_type(code)) as km:
        task = asyncio.ensure_future(km.start(timeout=30))
        reader = await asyncio.wait_for(asyncio.to_thread(open, fifo), 20)
        reader.close()
        assert exists(km.connection_file)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert connection_files(jupyter_dirs) == []


async def test_a_failed_restart_removes_the_connection_file(
    ipykernel_type: KernelType, jupyter_dirs: Any
) -> None:
    async with KernelManager(ipykernel_type) as km:
        await km.start(timeout=30)
        assert exists(km.connection_file)
        km.kernel_type = KernelType(**{**km.kernel_type.__dict__, "argv": ("/no/such/kernel",)})
        with pytest.raises(LaunchError, match="not found"):
            await km.restart(timeout=5)
        assert connection_files(jupyter_dirs) == []
