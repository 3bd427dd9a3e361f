"""Protocol edge cases, against a scripted fake kernel (see fake_kernel.py)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from fake_kernel import FakeKernel, fake_kernel, standard

from kernelhub.client import AsyncKernelClient, ErrorOutput, ResultOutput, StreamOutput
from kernelhub.errors import ClientClosedError, KernelDiedError, KernelTimeoutError
from kernelhub.protocol import Message, Signer


def _frames(kernel: FakeKernel, msg: Message, *, parent: bytes | None = None) -> list[bytes]:
    """``msg``'s frames, optionally with a raw parent header frame, correctly signed."""
    frames = kernel.session.serialize(msg)
    if parent is not None:
        frames[3] = parent
        frames[1] = Signer(kernel.info.key).sign(*frames[2:6])
    return frames


async def test_replies_without_status(caplog: pytest.LogCaptureFixture) -> None:
    async def handler(kernel: FakeKernel, idents: list[bytes], msg: Message) -> None:
        await kernel.status("busy", msg)
        if msg.msg_type == "execute_request":
            code = msg.content["code"]
            if code == "raise":
                error = {"ename": "E", "evalue": "v", "traceback": ["tb"]}
                await kernel.publish("error", error, msg)
            await kernel.reply(idents, msg, {"execution_count": 3})
        else:
            await kernel.reply(idents, msg, {"protocol_version": "5.3"})
        await kernel.status("idle", msg)

    async with fake_kernel(handler) as kernel, AsyncKernelClient(kernel.info) as client:
        info = await client.wait_for_ready(timeout=10)
        assert info == {"protocol_version": "5.3"}
        ok = await client.execute("fine", timeout=10)
        assert ok.status == "ok"
        assert ok.execution_count == 3
        failed = await client.execute("raise", timeout=10)
        assert failed.status == "error"
        assert failed.error == ErrorOutput("E", "v", ("tb",))


async def test_null_parent_on_iopub_is_tolerated() -> None:
    async def handler(kernel: FakeKernel, idents: list[bytes], msg: Message) -> None:
        stray = kernel.session.message("stream", {"name": "stdout", "text": "stray"})
        await kernel.publish_frames(_frames(kernel, stray, parent=b"null"))
        await standard(kernel, idents, msg)

    async with fake_kernel(handler) as kernel, AsyncKernelClient(kernel.info) as client:
        await client.wait_for_ready(timeout=10)
        async with client.iopub() as messages:
            result = await client.execute("x", timeout=10)
            assert result.outputs == (ResultOutput({"text/plain": "42"}, {}, 1),)
            # Late status messages of wait_for_ready's probes may come first.
            stray = await anext(m async for m in messages if m.msg_type == "stream")
            assert stray.parent_header == {}
            assert stray.parent_msg_id is None


async def test_reply_before_outputs_and_idle_before_reply() -> None:
    async def handler(kernel: FakeKernel, idents: list[bytes], msg: Message) -> None:
        if msg.msg_type != "execute_request":
            await standard(kernel, idents, msg)
            return
        await kernel.status("busy", msg)
        if msg.content["code"] == "reply first":
            await kernel.reply(idents, msg, {"status": "ok", "execution_count": 1})
            for i in range(20):
                await kernel.publish("stream", {"name": "stdout", "text": f"{i} "}, msg)
            await kernel.status("idle", msg)
        else:
            await kernel.publish("stream", {"name": "stdout", "text": "out"}, msg)
            await kernel.status("idle", msg)
            await kernel.reply(idents, msg, {"status": "ok", "execution_count": 2})

    async with fake_kernel(handler) as kernel, AsyncKernelClient(kernel.info) as client:
        await client.wait_for_ready(timeout=10)
        first = await client.execute("reply first", timeout=10)
        assert first.stdout == "".join(f"{i} " for i in range(20))
        second = await client.execute("idle first", timeout=10)
        assert second.outputs == (StreamOutput("stdout", "out"),)
        assert second.execution_count == 2


async def test_garbage_and_forged_messages_are_dropped(caplog: pytest.LogCaptureFixture) -> None:
    async def handler(kernel: FakeKernel, idents: list[bytes], msg: Message) -> None:
        if msg.msg_type == "execute_request":
            await kernel.publish_frames([b"garbage"])
            await kernel.publish_frames([b"<IDS|MSG>", b"", b"{", b"{}", b"{}", b"{}"])
            await kernel.publish_frames([b"\xff" * 10] * 7)
            forged = kernel.session.message(
                "stream", {"name": "stdout", "text": "forged"}, parent=msg
            )
            frames = kernel.session.serialize(forged)
            frames[1] = b"0" * 64
            await kernel.publish_frames(frames)
            await kernel.publish("stream", {"name": "stdout", "text": "real"}, msg)
        await standard(kernel, idents, msg)

    caplog.set_level(logging.WARNING, logger="kernelhub.client")
    async with fake_kernel(handler) as kernel, AsyncKernelClient(kernel.info) as client:
        await client.wait_for_ready(timeout=10)
        result = await client.execute("x", timeout=10)
        assert result.stdout == "real"
        # The receiver survived: the client still works.
        assert (await client.execute("y", timeout=10)).stdout == "real"
    dropped = [r for r in caplog.records if "dropped a bad message" in r.getMessage()]
    assert len(dropped) >= 8
    assert any("signature" in r.getMessage() for r in dropped)


async def test_replies_routed_out_of_order() -> None:
    held: list[tuple[list[bytes], Message]] = []

    async def handler(kernel: FakeKernel, idents: list[bytes], msg: Message) -> None:
        if msg.msg_type != "complete_request":
            await standard(kernel, idents, msg)
            return
        held.append((idents, msg))
        if len(held) == 3:  # answer the three in reverse order
            for ids, m in reversed(held):
                await kernel.reply(ids, m, {"status": "ok", "matches": [m.content["code"]]})

    async with fake_kernel(handler) as kernel, AsyncKernelClient(kernel.info) as client:
        replies = await asyncio.gather(*(client.complete(c, timeout=10) for c in "abc"))
        assert [r["matches"] for r in replies] == [["a"], ["b"], ["c"]]


async def _silent(kernel: FakeKernel, idents: list[bytes], msg: Message) -> None:
    if msg.msg_type == "kernel_info_request":
        await standard(kernel, idents, msg)
    # Everything else is swallowed: a hung kernel, or one that ignores control.


async def test_silent_kernel_timeouts_and_control() -> None:
    async with fake_kernel(_silent) as kernel, AsyncKernelClient(kernel.info) as client:
        await client.wait_for_ready(timeout=10)
        with pytest.raises(KernelTimeoutError, match="execute_request"):
            await client.execute("hang", timeout=0.2)
        async with client.stream("hang", timeout=0.2) as execution:
            with pytest.raises(KernelTimeoutError):
                await anext(execution)
        assert await client.interrupt_request(timeout=0.2) is None
        assert await client.shutdown_request(timeout=0.2) is None


async def test_death_wakes_waiters() -> None:
    alive = True
    async with fake_kernel(_silent) as kernel:
        async with AsyncKernelClient(kernel.info, is_alive=lambda: alive) as client:
            await client.wait_for_ready(timeout=10)
            task = asyncio.create_task(client.execute("hang", timeout=30))
            info = asyncio.create_task(client.complete("x", timeout=30))
            await asyncio.sleep(0)  # let both requests go out before the "death"
            alive = False
            with pytest.raises(KernelDiedError):
                await task
            with pytest.raises(KernelDiedError):
                await info
            with pytest.raises(KernelDiedError):
                await client.kernel_info(timeout=30)

        async with AsyncKernelClient(kernel.info) as client:
            await client.wait_for_ready(timeout=10)
            task = asyncio.create_task(client.execute("hang again", timeout=30))
            # Not the first client's execute_request, which may have reached the kernel: with
            # that one, notify_died could run before this execution waits (seen on 3.13).
            again = kernel.wait_request("execute_request", lambda m: m.content["code"] != "hang")
            await asyncio.wait_for(again, 10)
            client.notify_died("exited with code 3", 3)
            with pytest.raises(KernelDiedError, match="exited with code 3") as caught:
                await task
            assert caught.value.exit_code == 3


async def test_close_wakes_waiters() -> None:
    async with fake_kernel(_silent) as kernel:
        client = AsyncKernelClient(kernel.info)
        async with client:
            await client.wait_for_ready(timeout=10)
            # Requests the kernel never answers (it did answer kernel_info, sometimes in time).
            pending: list[asyncio.Task[Any]] = [
                asyncio.create_task(client.execute("hang", timeout=30)),
                asyncio.create_task(client.complete("x", timeout=30)),
            ]
            sub = client.iopub()
            # Past the welcome and the busy/idle of wait_for_ready's probes, which may still be
            # on their way: the kernel sends nothing else.
            others = (m async for m in sub if m.msg_type not in ("status", "iopub_welcome"))
            reader = asyncio.create_task(anext(others, None))
            await asyncio.sleep(0)
        for task in pending:
            with pytest.raises(ClientClosedError):
                await task
        assert await reader is None


async def test_aborted_reply_without_idle_completes() -> None:
    async def handler(kernel: FakeKernel, idents: list[bytes], msg: Message) -> None:
        if msg.msg_type == "execute_request":
            await kernel.reply(idents, msg, {"status": "aborted"})
        else:
            await standard(kernel, idents, msg)

    async with fake_kernel(handler) as kernel, AsyncKernelClient(kernel.info) as client:
        await client.wait_for_ready(timeout=10)
        result = await client.execute("x", timeout=10)
        assert result.status == "aborted"
        assert result.execution_count is None


async def test_xpub_welcome_proves_iopub() -> None:
    async def handler(kernel: FakeKernel, idents: list[bytes], msg: Message) -> None:
        # Answers on shell but never publishes a status: only the welcome can prove IOPub.
        await kernel.reply(idents, msg, {"status": "ok"})

    async with fake_kernel(handler) as kernel, AsyncKernelClient(kernel.info) as client:
        assert (await client.wait_for_ready(timeout=10))["status"] == "ok"


async def test_lazy_iopub_still_serves_subscribers() -> None:
    """A collecting execution reads IOPub lazily; a subscriber must not wait for it."""
    release = asyncio.Event()

    async def handler(kernel: FakeKernel, idents: list[bytes], msg: Message) -> None:
        if msg.msg_type == "execute_request":
            await kernel.status("busy", msg)
            await kernel.publish("stream", {"name": "stdout", "text": "slow"}, msg)
            await release.wait()
            await kernel.reply(idents, msg, {"status": "ok", "execution_count": 1})
            await kernel.status("idle", msg)
        elif msg.msg_type == "debug_request":  # on control, served while shell is busy
            await kernel.publish("debug_event", {"event": "e"}, msg)
            await kernel.reply(idents, msg, {"status": "ok"}, channel="control")
        else:
            await standard(kernel, idents, msg)

    async with fake_kernel(handler) as kernel, AsyncKernelClient(kernel.info) as client:
        await client.wait_for_ready(timeout=10)
        slow = asyncio.create_task(client.execute("slow", timeout=30))
        await asyncio.wait_for(kernel.wait_request("execute_request"), 10)
        async with client.iopub() as messages:
            reply = await client.request("control", "debug_request", {}, timeout=10)
            event = await asyncio.wait_for(
                anext(m async for m in messages if m.msg_type == "debug_event"), 10
            )
            assert event.parent_msg_id == reply.parent_msg_id
        assert not slow.done()
        release.set()
        assert (await slow).stdout == "slow"


# On Python 3.10 asyncio.wait_for raises asyncio.TimeoutError, not yet the builtin
# TimeoutError: these two failed there while the client caught only the builtin.


async def test_wait_for_ready_retries_until_iopub_answers() -> None:
    probes = 0

    async def handler(kernel: FakeKernel, idents: list[bytes], msg: Message) -> None:
        # No iopub_welcome, and IOPub stays silent for the first probes: wait_for_ready's
        # first short waits for proof run out, and it must keep probing.
        nonlocal probes
        probes += 1
        if probes < 4:
            await kernel.reply(idents, msg, {"status": "ok"})
        else:
            await standard(kernel, idents, msg)

    async with (
        fake_kernel(handler, welcome=False) as kernel,
        AsyncKernelClient(kernel.info) as client,
    ):
        assert (await client.wait_for_ready(timeout=10))["status"] == "ok"
    assert probes >= 4


async def test_a_heartbeat_that_does_not_echo_is_false() -> None:
    # The fake kernel binds its heartbeat socket but never echoes.
    async with fake_kernel(standard) as kernel, AsyncKernelClient(kernel.info) as client:
        assert await client.heartbeat(timeout=0.05) is False
        assert await client.heartbeat(timeout=0.05) is False  # a fresh socket, still no echo
