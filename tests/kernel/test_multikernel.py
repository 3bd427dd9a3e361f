"""Many kernels under one MultiKernelManager; our connection files work for jupyter_client."""

from __future__ import annotations

import asyncio
import os

import pytest
from jupyter_client import BlockingKernelClient
from jupyter_core.utils import ensure_event_loop

from kernelhub.errors import NoSuchKernelError
from kernelhub.manager.events import KernelEvent
from kernelhub.multikernel import MultiKernelManager
from kernelhub.providers.base import KernelType

WAIT = 30.0


def run_with_jupyter_client(connection_file: str) -> str:
    """Execute code through jupyter_client's blocking client, from our connection file."""
    kc = BlockingKernelClient()
    kc.load_connection_file(connection_file)
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=WAIT)
        msg_id = kc.execute("print('via jupyter_client')")
        reply = kc.get_shell_msg(timeout=WAIT)
        assert reply["parent_header"]["msg_id"] == msg_id
        assert reply["content"]["status"] == "ok"
        while True:
            msg = kc.get_iopub_msg(timeout=WAIT)
            if msg["msg_type"] == "stream" and msg["parent_header"].get("msg_id") == msg_id:
                return str(msg["content"]["text"])
    finally:
        kc.stop_channels()
        # jupyter_client ran its calls on an event loop it made for this thread: close it.
        loop = ensure_event_loop()
        asyncio.set_event_loop(None)
        loop.close()


def exists(path: str) -> bool:
    return os.path.exists(path)


async def test_many_kernels(ipykernel_type: KernelType) -> None:
    events: list[KernelEvent] = []
    async with MultiKernelManager() as mkm:
        mkm.on_event(events.append)
        ids = await asyncio.gather(
            mkm.start_kernel(ipykernel_type, timeout=WAIT),
            mkm.start_kernel(ipykernel_type, timeout=WAIT, kernel_id="my-kernel"),
        )
        assert ids[1] == "my-kernel"
        assert list(mkm) == ids
        assert len(mkm) == 2
        assert "my-kernel" in mkm
        assert [km.kernel_id for km in mkm.list()] == ids

        with pytest.raises(NoSuchKernelError, match="did you mean 'my-kernel'"):
            mkm.get("my-kernal")

        km = mkm.get("my-kernel")
        text = await asyncio.to_thread(run_with_jupyter_client, km.connection_file)
        assert text == "via jupyter_client\n"

        await mkm.shutdown_kernel("my-kernel")
        assert "my-kernel" not in mkm
        assert not exists(km.connection_file)
        with pytest.raises(NoSuchKernelError):
            await mkm.shutdown_kernel("my-kernel")
        others = mkm.list()
    assert len(mkm) == 0
    assert not others[0].is_alive()
    kinds = sorted((e.kernel_id == "my-kernel", e.kind) for e in events)
    assert kinds == [(False, "shutdown"), (False, "started"), (True, "shutdown"), (True, "started")]
