"""The blocking facade: the same methods and the same results as the async client."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from client_fixtures import KernelProcess, kernel_process

from kernelhub.client import (
    AsyncKernelClient,
    BlockingIOPub,
    BlockingKernelClient,
    InputRequest,
    Output,
    StreamOutput,
)
from kernelhub.errors import ClientClosedError, KernelTimeoutError


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KernelProcess]:
    with kernel_process(tmp_path_factory.mktemp("ipykernel")) as k:
        yield k


@pytest.fixture
def client(kernel: KernelProcess) -> Iterator[BlockingKernelClient]:
    with BlockingKernelClient(kernel.info) as c:
        c.wait_for_ready(timeout=30)
        yield c


def _portal_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "kernelhub-portal"]


def test_same_results_as_async(kernel: KernelProcess, client: BlockingKernelClient) -> None:
    code = "print('out')\nfrom IPython.display import display\ndisplay({'a': 1}, raw=True)\n7*6"

    async def run_async() -> tuple[Output, ...]:
        async with AsyncKernelClient(kernel.info) as ac:
            return (await ac.execute(code, store_history=False, timeout=30)).outputs

    blocking = client.execute(code, store_history=False, timeout=30)
    assert blocking.ok
    assert blocking.outputs == asyncio.run(run_async())
    assert blocking.text.endswith("42")
    assert client.kernel_info(timeout=30)["language_info"]["name"] == "python"
    assert client.heartbeat(timeout=10)


def test_errors_and_streams(client: BlockingKernelClient) -> None:
    result = client.execute("print('a'); raise ValueError('bad')", timeout=30)
    assert result.status == "error"
    assert result.error is not None
    assert result.error.ename == "ValueError"
    assert result.stdout == "a\n"


def test_callbacks_run_in_the_callers_thread(client: BlockingKernelClient) -> None:
    me = threading.current_thread()
    seen: list[tuple[Output, bool]] = []
    asked: list[InputRequest] = []

    def on_output(out: Output) -> None:
        seen.append((out, threading.current_thread() is me))

    def on_input(request: InputRequest) -> str:
        asked.append(request)
        assert threading.current_thread() is me
        return "blocking"

    result = client.execute(
        "print(input('who? '))", on_output=on_output, on_input=on_input, timeout=30
    )
    assert asked == [InputRequest("who? ")]
    assert result.stdout.endswith("blocking\n")
    assert [o for o, _ in seen] == list(result.outputs)
    assert all(in_caller for _, in_caller in seen)


def test_callback_errors_reach_the_caller(client: BlockingKernelClient) -> None:
    def boom(out: Output) -> None:
        raise LookupError("from the callback")

    with pytest.raises(LookupError, match="from the callback"):
        client.execute("print(1)", on_output=boom, timeout=30)
    assert client.execute("'still fine'", timeout=30).text == "'still fine'"


def test_stream_iteration(client: BlockingKernelClient) -> None:
    with client.stream("for i in range(3): print(i)", timeout=30) as execution:
        outs = list(execution)
    assert "".join(o.text for o in outs if isinstance(o, StreamOutput)) == "0\n1\n2\n"
    assert execution.result.ok


def test_interrupted_waits_lose_nothing(client: BlockingKernelClient) -> None:
    code = "import time\nfor i in range(3): print(i, flush=True); time.sleep(0.01)"
    with client.stream(code, timeout=30) as execution:
        execution.interrupt_wait()  # as a Ctrl-C handler does
        with pytest.raises(KeyboardInterrupt):
            next(execution)
        outs = list(execution)
        execution.interrupt_wait()  # after the end: nothing to interrupt
        assert list(execution) == []
    assert "".join(o.text for o in outs if isinstance(o, StreamOutput)) == "0\n1\n2\n"
    assert execution.result.ok


def test_an_interrupted_answer_is_an_empty_line(client: BlockingKernelClient) -> None:
    def ctrl_c(request: InputRequest) -> str:
        raise KeyboardInterrupt

    code = "print(repr(input('who? ')))"
    with client.stream(code, on_input=ctrl_c, timeout=30) as execution:
        with pytest.raises(KeyboardInterrupt):
            list(execution)
        list(execution)  # the kernel is not left waiting for an answer
    assert execution.result.stdout == "''\n"


def test_introspection_and_iopub(client: BlockingKernelClient) -> None:
    client.execute("%config IPCompleter.use_jedi = False", timeout=30)
    client.execute("blocking_name = 1", timeout=30)
    assert "blocking_name" in client.complete("blocking_n", timeout=30)["matches"]
    assert client.inspect("len", timeout=30)["found"]
    assert client.is_complete("if x:", timeout=30)["status"] == "incomplete"
    assert client.history(n=5, timeout=30)["status"] == "ok"
    assert client.comm_info(timeout=30)["status"] == "ok"
    with client.iopub() as messages:
        client.kernel_info(timeout=30)
        first = messages.get(timeout=30)
        assert first.msg_type == "status"
        reply = client.request("shell", "is_complete_request", {"code": "1"}, timeout=30)
        assert reply.content["status"] == "complete"


def _drain(messages: BlockingIOPub) -> None:
    for _ in range(100):
        messages.get(timeout=0.05)


def test_timeouts(client: BlockingKernelClient) -> None:
    with client.iopub() as messages:
        with pytest.raises(KernelTimeoutError):  # once late messages of earlier tests are read
            _drain(messages)
        code = "import time; print('started', flush=True); time.sleep(30)"
        with pytest.raises(KernelTimeoutError):
            client.execute(code, timeout=0.2)
        for msg in messages:  # interrupt once the code runs, then see the kernel idle again
            if msg.msg_type == "stream" and "started" in msg.content["text"]:
                assert client.interrupt_request(timeout=30) is not None
            if msg.msg_type == "error":
                assert msg.content["ename"] == "KeyboardInterrupt"
                break


def test_close_stops_the_thread_and_later_calls_fail(kernel: KernelProcess) -> None:
    before = len(_portal_threads())
    client = BlockingKernelClient(kernel.info)
    assert len(_portal_threads()) == before + 1
    client.wait_for_ready(timeout=30)
    client.close()
    assert len(_portal_threads()) == before
    with pytest.raises(ClientClosedError):
        client.execute("1")
    with pytest.raises(ClientClosedError):
        client.kernel_info()
    client.close()  # idempotent
