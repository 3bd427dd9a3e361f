"""DELETE and restart of a kernel busy in a cell: interrupted first, as jupyter_client does,
so that it exits on its own at once instead of being sent SIGTERM after the grace period."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from kernelhub.manager.events import KernelEvent

from .conftest import TOKEN, WAIT, Client, Served
from .test_rest_kernels import pid_of, start, wait_gone
from .ws_fixtures import WsClient, parent_id, ws_client

SLEEPER = "print('sleeping', flush=True)\nimport time\ntime.sleep(30)"


def url(served: Served, kernel_id: str) -> str:
    return f"ws://127.0.0.1:{served.port}/api/kernels/{kernel_id}/channels?token={TOKEN}"


async def run_sleeper(ws: WsClient) -> str:
    """Start the 30 s cell; return once the kernel runs it. The bridge sets the kernel's
    ``execution_state`` before it forwards a message, so seeing the cell's output means the
    server knows the kernel is busy."""
    msg_id = await ws.send("shell", "execute_request", {"code": SLEEPER})
    await ws.wait_for(lambda m: parent_id(m) == msg_id and m["header"]["msg_type"] == "stream")
    return msg_id


async def interrupted(ws: WsClient, msg_id: str) -> dict[str, Any]:
    """The cell's error: a KeyboardInterrupt means the kernel was interrupted."""
    return await ws.wait_for(
        lambda m: parent_id(m) == msg_id and m["header"]["msg_type"] == "error"
    )


async def test_delete_interrupts_a_busy_kernel_first(served: Served, client: Client) -> None:
    kid = start(client)["id"]
    pid = pid_of(served, kid)
    manager = served.hub.get(kid).manager
    ended: list[KernelEvent] = []
    done = threading.Event()

    def on_event(event: KernelEvent) -> None:
        if event.kind == "shutdown":
            ended.append(event)
            done.set()

    manager.on_event(on_event)
    async with ws_client(url(served, kid)) as ws:
        await run_sleeper(ws)
        assert client.get(f"/api/kernels/{kid}").json()["execution_state"] == "busy"
        reply = await asyncio.to_thread(client.delete, f"/api/kernels/{kid}")
        assert reply.status == 204
    assert await asyncio.to_thread(done.wait, WAIT)
    # It exited after the shutdown request, by itself: no SIGTERM was needed.
    assert ended[0].reason == "shut down on request", ended[0].reason
    wait_gone(pid)


async def test_restart_interrupts_a_busy_kernel_first(served: Served, client: Client) -> None:
    kid = start(client)["id"]
    old_pid = pid_of(served, kid)
    async with ws_client(url(served, kid)) as ws:
        msg_id = await run_sleeper(ws)
        restarted = await asyncio.to_thread(client.post, f"/api/kernels/{kid}/restart")
        assert restarted.status == 200, restarted.body
        error = await interrupted(ws, msg_id)
    assert error["content"]["ename"] == "KeyboardInterrupt"
    assert restarted.json()["execution_state"] == "idle"
    wait_gone(old_pid)
    assert pid_of(served, kid) != old_pid
