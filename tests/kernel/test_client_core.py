"""The five methods the manager depends on, against a real ipykernel."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from client_fixtures import KernelProcess, kernel_process

from kernelhub.client import AsyncKernelClient
from kernelhub.connection import ConnectionInfo
from kernelhub.errors import ClientClosedError, KernelTimeoutError


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KernelProcess]:
    with kernel_process(tmp_path_factory.mktemp("ipykernel")) as k:
        yield k


async def test_wait_for_ready_returns_kernel_info(kernel: KernelProcess) -> None:
    async with AsyncKernelClient(kernel.info) as client:
        info = await client.wait_for_ready(timeout=30)
        assert info["language_info"]["name"] == "python"
        assert info["implementation"] == "ipython"
        again = await client.kernel_info(timeout=10)
        assert again["protocol_version"] == info["protocol_version"]


async def test_ready_client_sees_iopub_at_once(kernel: KernelProcess) -> None:
    async with AsyncKernelClient(kernel.info) as client:
        await client.wait_for_ready(timeout=30)
        async with client.iopub() as messages:
            await client.kernel_info(timeout=10)
            states = []
            async for msg in messages:
                if msg.msg_type == "status":
                    states.append(msg.content["execution_state"])
                if states[-2:] == ["busy", "idle"]:
                    break
        assert states[-2:] == ["busy", "idle"]


async def test_heartbeat(kernel: KernelProcess) -> None:
    async with AsyncKernelClient(kernel.info) as client:
        assert await client.heartbeat(timeout=10)
        assert await client.heartbeat(timeout=10)


async def test_heartbeat_of_nothing_is_false() -> None:
    from client_fixtures import free_ports

    (port,) = free_ports(1)
    info = ConnectionInfo(
        hb_port=port, shell_port=port, iopub_port=port, stdin_port=port, control_port=port
    )
    async with AsyncKernelClient(info) as client:
        assert not await client.heartbeat(timeout=0.05)
        assert not await client.heartbeat(timeout=0.05)


async def test_timeouts_raise_kernel_timeout_error() -> None:
    from client_fixtures import free_ports

    ports = free_ports(5)
    info = ConnectionInfo(*["tcp", "127.0.0.1"], *ports)  # type: ignore[arg-type]
    async with AsyncKernelClient(info) as client:
        with pytest.raises(KernelTimeoutError):
            await client.kernel_info(timeout=0.05)
        with pytest.raises(TimeoutError):  # also the builtin
            await client.wait_for_ready(timeout=0.05)
        assert await client.interrupt_request(timeout=0.05) is None
        assert await client.shutdown_request(timeout=0.05) is None


async def test_use_after_close_raises(kernel: KernelProcess) -> None:
    client = AsyncKernelClient(kernel.info)
    with pytest.raises(ClientClosedError):
        await client.kernel_info()
    async with client:
        await client.wait_for_ready(timeout=30)
    with pytest.raises(ClientClosedError):
        await client.kernel_info()
    with pytest.raises(ClientClosedError):
        await client.execute("1")
    with pytest.raises(ClientClosedError):
        async with client:
            pass


async def test_shutdown_request_on_control(tmp_path_factory: pytest.TempPathFactory) -> None:
    with kernel_process(tmp_path_factory.mktemp("doomed")) as doomed:
        async with AsyncKernelClient(doomed.info) as client:
            await client.wait_for_ready(timeout=30)
            reply = await client.shutdown_request(timeout=30)
            assert reply is not None
            assert reply["restart"] is False
        assert doomed.proc.wait(30) == 0
