"""No port races: kernels choose their own ports where they can, and survive taken ports."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator

import pytest

from kernelhub.manager import KernelManager, ports
from kernelhub.multikernel import MultiKernelManager
from kernelhub.providers.base import KernelType

WAIT = 60.0
Factory = Callable[..., KernelType]

# Grabs free ports as fast as it can, the way a busy machine does: ephemeral ports (bind 0)
# and random ports in the range kernelhub draws from, holding a rolling window of them.
GRABBER = textwrap.dedent(
    """
    import collections, random, socket, sys, time
    low, high = int(sys.argv[1]), int(sys.argv[2])
    held = collections.deque(maxlen=400)
    print("ready", flush=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for port in (0, random.randint(low, high)):
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", port))
                s.listen()
            except OSError:
                s.close()
                continue
            if len(held) == held.maxlen:
                held[0].close()
            held.append(s)
    """
)


@pytest.fixture
def grabber() -> Iterator[subprocess.Popen[str]]:
    low, high = ports._candidate_range()
    proc = subprocess.Popen(
        [sys.executable, "-c", GRABBER, str(low), str(high)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "ready\n"  # bounded: the script prints it at once
    yield proc
    proc.kill()
    proc.wait(WAIT)
    proc.stdout.close()


def test_strategies(ipykernel_type: KernelType, bash_type: KernelType, make_type: Factory) -> None:
    assert ports.strategy_for(ipykernel_type) == "kernel"
    assert ports.strategy_for(bash_type) == "chosen"
    assert ports.strategy_for(make_type(("x",), kernel_protocol_version="5.5")) == "handshake"
    assert ports.strategy_for(make_type(("x",), kernel_protocol_version="5.3")) == "chosen"
    # ipykernel 7 declares protocol 5.5 in its own kernelspec but does not do the handshake.
    ipykernel7 = make_type(ipykernel_type.argv, kernel_protocol_version="5.5")
    assert ports.strategy_for(ipykernel7) == "kernel"
    forced = make_type(("x",), metadata={"kernelhub": {"ports": "kernel"}})
    assert ports.strategy_for(forced) == "kernel"
    low, high = ports._candidate_range()
    eph_low, eph_high = ports._ephemeral_range()
    chosen = ports.choose_ports()
    assert len(set(chosen)) == 5
    assert all(low <= p <= high and not eph_low <= p <= eph_high for p in chosen)
    assert ports.address_in_use("zmq.error.ZMQError: Address already in use (addr='tcp://...')")


# ipykernel binds IOPub and the heartbeat in threads of their own: losing either port leaves
# the process alive but never whole (both failed before the output watch). Losing the shell
# port, bound in the main thread, kills it.
@pytest.mark.parametrize("index", [0, 1, 4], ids=["shell", "iopub", "heartbeat"])
async def test_taken_port_is_retried(
    index: int, ipykernel_type: KernelType, make_type: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ipykernel made to use ports we choose; the first set includes a port that is taken.
    kt = make_type(ipykernel_type.argv, metadata={"kernelhub": {"ports": "chosen"}})
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    real = ports.choose_ports
    calls: list[list[int]] = []

    def rigged(ip: str = "127.0.0.1", count: int = 5) -> list[int]:
        result = real(ip, count)
        if not calls:
            result[index] = taken.getsockname()[1]
        calls.append(result)
        return result

    monkeypatch.setattr(ports, "choose_ports", rigged)
    try:
        async with KernelManager(kt) as km:
            await km.start(timeout=WAIT)
            assert km.connection_info is not None
            ports_now = list(km.connection_info.ports.values())
            assert ports_now == calls[-1]
            assert ports_now[index] != calls[0][index]
            assert await km.ping(WAIT)
    finally:
        taken.close()
    assert len(calls) == 2


@pytest.mark.slow
# Above the test's own bounds (each start WAIT, all of them 2 * WAIT): a start that hangs must
# fail with the start's own error, which names it, not with pytest's bare timeout.
@pytest.mark.timeout(3 * WAIT)
async def test_many_kernels_at_once_while_ports_are_grabbed(
    grabber: subprocess.Popen[str],
    ipykernel_type: KernelType,
    bash_type: KernelType,
    make_type: Factory,
) -> None:
    chosen_ipykernel = make_type(ipykernel_type.argv, metadata={"kernelhub": {"ports": "chosen"}})
    kinds = [ipykernel_type] * 3 + [chosen_ipykernel] * 3 + [bash_type] * 2
    async with MultiKernelManager(shutdown_wait=0.5) as mkm:
        ids = await asyncio.wait_for(
            asyncio.gather(*(mkm.start_kernel(kt, timeout=WAIT) for kt in kinds)), 2 * WAIT
        )
        assert grabber.poll() is None  # it kept grabbing the whole time
        assert len(set(ids)) == 8
        seen: set[int] = set()
        for km in mkm.list():
            assert km.is_alive()
            assert km.connection_info is not None
            assert not seen & set(km.connection_info.ports.values())
            seen |= set(km.connection_info.ports.values())
            assert await km.ping(WAIT)


@pytest.mark.skipif(
    importlib.util.find_spec("xpython_launcher") is None, reason="xeus-python is not installed"
)
async def test_handshake_with_xeus_python(make_type: Factory) -> None:
    kt = make_type(
        ("python3.11", "-m", "xpython_launcher", "-f", "{connection_file}"),
        name="xpython",
        kernel_protocol_version="5.5",
    )
    assert ports.strategy_for(kt) == "handshake"
    async with KernelManager(kt) as km:
        info = await km.start(timeout=WAIT)
        assert info["implementation"] == "xeus-python"
        assert km.connection_info is not None
        assert km.connection_info.complete
        async with km.client() as kc:
            assert (await kc.execute("print(6 * 7)", timeout=WAIT)).text == "42\n"
        await km.restart(timeout=WAIT)  # a second registration on the same socket
        async with km.client() as kc:
            assert (await kc.execute("print(1)", timeout=WAIT)).text == "1\n"
        await km.shutdown()
        assert km.death_reason is not None
        assert km.death_reason.startswith("shut down on request")


# A kernel with no heartbeat at all: shell, control and IOPub only, answering kernel_info.
NO_HEARTBEAT = textwrap.dedent(
    """
    import json, sys, zmq
    from kernelhub.protocol import Session
    info = json.load(open(sys.argv[1]))
    session = Session(info["key"].encode())
    ctx = zmq.Context()
    url = "tcp://127.0.0.1:%d"
    shell, control = ctx.socket(zmq.ROUTER), ctx.socket(zmq.ROUTER)
    iopub = ctx.socket(zmq.PUB)
    shell.bind(url % info["shell_port"])
    control.bind(url % info["control_port"])
    iopub.bind(url % info["iopub_port"])
    poller = zmq.Poller()
    poller.register(shell, zmq.POLLIN)
    poller.register(control, zmq.POLLIN)
    while True:
        for sock, _ in poller.poll():
            idents, msg = session.deserialize(sock.recv_multipart())
            for state in ("busy", "idle"):
                status = session.message("status", {"execution_state": state}, parent=msg)
                iopub.send_multipart(session.serialize(status, [b"status"]))
            kind = msg.msg_type.replace("_request", "_reply")
            reply = session.message(kind, {"status": "ok", "protocol_version": "5.3"}, parent=msg)
            sock.send_multipart(session.serialize(reply, idents))
            if msg.msg_type == "shutdown_request":
                sys.exit(0)
    """
)


async def test_a_kernel_without_heartbeat_still_starts_on_chosen_ports(
    make_type: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    kt = make_type(("python", "-c", NO_HEARTBEAT, "{connection_file}"))
    assert ports.strategy_for(kt) == "chosen"
    async with KernelManager(kt) as km:
        reply = await km.start(timeout=WAIT)
        assert reply["status"] == "ok"
        assert km.is_alive()
        assert not await km.ping(0.2)
    assert "not its heartbeat" in caplog.text
