"""``kernelhub.start_kernel`` and ``start_kernel_blocking``: a kernel in one line."""

from __future__ import annotations

import asyncio

import pytest

from kernelhub.errors import KernelTimeoutError, NoSuchKernelError
from kernelhub.kernel import start_kernel, start_kernel_blocking
from kernelhub.providers.base import KernelType


async def test_start_kernel(ipykernel_type: KernelType) -> None:
    async with start_kernel(ipykernel_type) as kernel:
        assert kernel.kernel_type is ipykernel_type
        result = await kernel.execute("1+1", timeout=30)
        assert result.text == "2"
        assert kernel.manager.is_alive()
        outputs = []
        async with kernel.stream("print('s')", timeout=30) as execution:
            async for out in execution:
                outputs.append(out)
        assert execution.result.stdout == "s\n"

        # interrupt (the kernel type's way: a signal for ipykernel), once the code runs
        async with kernel.client.iopub() as messages:
            code = "import time; print('started', flush=True); time.sleep(60)"
            task = asyncio.create_task(kernel.execute(code, timeout=60))
            async for msg in messages:
                if msg.msg_type == "stream" and "started" in msg.content["text"]:
                    break
        await kernel.interrupt()
        interrupted = await task
        assert interrupted.error is not None
        assert interrupted.error.ename == "KeyboardInterrupt"

        # restart: a fresh namespace, and the client keeps working
        await kernel.execute("before_restart = 1", timeout=30)
        info = await kernel.restart()
        assert info["language_info"]["name"] == "python"
        after = await kernel.execute("'before_restart' in dir()", timeout=30)
        assert after.text == "False"
        manager = kernel.manager
    assert not manager.is_alive()


async def test_bash_kernel(bash_type: KernelType) -> None:
    async with start_kernel(bash_type) as kernel:
        result = await kernel.execute("echo hello; echo oops >&2", timeout=60)
        assert result.ok
        assert "hello" in result.stdout
        failed = await kernel.execute("false", timeout=60)
        assert failed.status == "error"
        streamed = []
        async with kernel.stream("for i in 1 2 3; do echo $i; done", timeout=60) as execution:
            async for out in execution:
                streamed.append(out.to_nbformat().get("text", ""))
        assert "".join(streamed).split() == ["1", "2", "3"]
        completion = await kernel.client.complete("ech", timeout=60)
        assert "echo" in completion["matches"]
        with pytest.raises(KernelTimeoutError):
            await kernel.execute("sleep 30", timeout=0.3)
        await kernel.interrupt()


def test_blocking_one_liner(ipykernel_type: KernelType) -> None:
    with start_kernel_blocking(ipykernel_type) as kernel:
        assert kernel.execute("6*7", timeout=30).text == "42"
        with kernel.stream("print('x')", timeout=30) as execution:
            assert [o.to_nbformat()["text"] for o in execution] == ["x\n"]
        assert kernel.client.is_complete("x", timeout=30)["status"] == "complete"
        assert kernel.manager.is_alive()
        kernel.shutdown()
        assert not kernel.manager.is_alive()


def test_unknown_kernel_type() -> None:
    with pytest.raises(NoSuchKernelError, match="python3"):
        start_kernel_blocking("pyhton3")
