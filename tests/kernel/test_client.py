"""The async client against a real ipykernel (one kernel shared by this module's tests)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator

import pytest
from client_fixtures import KernelProcess, kernel_process

from kernelhub.client import (
    AsyncKernelClient,
    DisplayOutput,
    ErrorOutput,
    InputRequest,
    Output,
    ResultOutput,
    StreamOutput,
)
from kernelhub.errors import KernelTimeoutError


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KernelProcess]:
    with kernel_process(tmp_path_factory.mktemp("ipykernel")) as k:
        yield k


@pytest.fixture
async def client(kernel: KernelProcess) -> AsyncIterator[AsyncKernelClient]:
    async with AsyncKernelClient(kernel.info) as c:
        await c.wait_for_ready(timeout=30)
        yield c


async def test_execute_value(client: AsyncKernelClient) -> None:
    result = await client.execute("1+1", timeout=30)
    assert result.status == "ok"
    assert result.ok
    assert result.error is None
    assert isinstance(result.execution_count, int)
    (out,) = result.outputs
    assert isinstance(out, ResultOutput)
    assert out.data["text/plain"] == "2"
    assert out.execution_count == result.execution_count
    assert result.text == "2"
    assert result.reply["status"] == "ok"


async def test_execution_count_grows(client: AsyncKernelClient) -> None:
    first = await client.execute("pass", timeout=30)
    second = await client.execute("pass", timeout=30)
    silent = await client.execute("pass", silent=True, timeout=30)
    assert first.execution_count is not None
    assert second.execution_count == first.execution_count + 1
    assert silent.status == "ok"


async def test_streams_in_order(client: AsyncKernelClient) -> None:
    code = (
        "import sys\n"
        "for i in range(50):\n"
        "    print(i, flush=True)\n"
        "    sys.stderr.write(f'e{i}\\n'); sys.stderr.flush()"
    )
    result = await client.execute(code, timeout=30)
    assert result.stdout == "".join(f"{i}\n" for i in range(50))
    assert result.stderr == "".join(f"e{i}\n" for i in range(50))
    assert all(isinstance(o, StreamOutput) for o in result.outputs)


async def test_on_output_sees_outputs_as_they_arrive(client: AsyncKernelClient) -> None:
    seen: list[Output] = []

    async def record(out: Output) -> None:
        seen.append(out)

    result = await client.execute("print('a')\n42", on_output=record, timeout=30)
    assert tuple(seen) == result.outputs
    assert result.text == "a\n42"

    sync_seen: list[Output] = []
    result = await client.execute("print('b')", on_output=sync_seen.append, timeout=30)
    assert sync_seen == [StreamOutput("stdout", "b\n")]


async def test_stream_iterates_outputs_then_result(client: AsyncKernelClient) -> None:
    code = "for i in range(3): print(i, flush=True)\n'end'"
    texts = []
    async with client.stream(code, timeout=30) as execution:
        async for out in execution:
            texts.append(out.to_nbformat())
    # print() may write the value and the newline as separate stream messages.
    assert "".join(t.get("text", "") for t in texts) == "0\n1\n2\n"
    assert execution.result.ok
    assert texts[-1]["data"]["text/plain"] == "'end'"


async def test_error_with_traceback(client: AsyncKernelClient) -> None:
    result = await client.execute("def f():\n    1/0\nf()", timeout=30)
    assert result.status == "error"
    assert not result.ok
    assert result.error is not None
    assert result.error.ename == "ZeroDivisionError"
    assert "division by zero" in result.error.evalue
    # Colours off first: some IPython versions (8.x) colour each token apart, "f" "(" ")".
    plain = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in result.error.traceback]
    assert any("f()" in line for line in plain)
    assert isinstance(result.outputs[-1], ErrorOutput)


async def test_stop_on_error_aborts_queued_cells(client: AsyncKernelClient) -> None:
    failing = asyncio.create_task(client.execute("import time; time.sleep(0.2); 1/0", timeout=30))
    queued = asyncio.create_task(client.execute("'never'", timeout=30))
    assert (await failing).status == "error"
    aborted = await queued
    assert aborted.status == "aborted"
    assert aborted.outputs == ()
    # Without stop_on_error the next cell runs.
    await client.execute("pass", timeout=30)
    ran = await client.execute("1/0", stop_on_error=False, timeout=30)
    assert ran.status == "error"


async def test_display_data_and_updates(client: AsyncKernelClient) -> None:
    code = (
        "from IPython.display import display, HTML\n"
        "h = display(HTML('<b>x</b>'), display_id='d1')\n"
        "h.update(HTML('<b>y</b>'))"
    )
    result = await client.execute(code, timeout=30)
    first, update = result.outputs
    assert isinstance(first, DisplayOutput)
    assert isinstance(update, DisplayOutput)
    assert first.data["text/html"] == "<b>x</b>"
    assert first.transient == {"display_id": "d1"}
    assert not first.update
    assert update.update
    assert update.output_type == "update_display_data"
    assert update.data["text/html"] == "<b>y</b>"


async def test_input_through_callback(client: AsyncKernelClient) -> None:
    prompts: list[InputRequest] = []

    def answer(request: InputRequest) -> str:
        prompts.append(request)
        return "Ada"

    result = await client.execute("print('hi', input('name? '))", on_input=answer, timeout=30)
    assert result.stdout.endswith("hi Ada\n")
    assert prompts == [InputRequest("name? ", False)]

    async def async_answer(request: InputRequest) -> str:
        return "s3cret" if request.password else "?"

    code = "import getpass; print(len(getpass.getpass('pw: ')))"
    result = await client.execute(code, on_input=async_answer, timeout=30)
    assert result.stdout.strip().endswith("6")


async def test_input_without_callback_is_refused(client: AsyncKernelClient) -> None:
    result = await client.execute("input()", timeout=30)
    assert result.status == "error"
    assert result.error is not None
    assert result.error.ename == "StdinNotImplementedError"


async def test_large_output(client: AsyncKernelClient) -> None:
    result = await client.execute("print('x' * 200_000)", timeout=60)
    assert result.stdout == "x" * 200_000 + "\n"


async def test_introspection(client: AsyncKernelClient) -> None:
    # jedi's first completion takes many seconds on a busy machine; IPython's own is enough.
    await client.execute("%config IPCompleter.use_jedi = False", timeout=30)
    await client.execute("import os\nalpha_beta = 1", timeout=30)
    completion = await client.complete("alpha_b", timeout=30)
    assert "alpha_beta" in completion["matches"]
    assert completion["cursor_end"] == len("alpha_b")
    inspected = await client.inspect("os.path.join", timeout=30)
    assert inspected["found"]
    assert "text/plain" in inspected["data"]
    assert (await client.is_complete("for i in x:", timeout=30))["status"] == "incomplete"
    assert (await client.is_complete("x = 1", timeout=30))["status"] == "complete"
    assert (await client.is_complete("x = )", timeout=30))["status"] == "invalid"
    history = await client.history(n=50, timeout=30)
    assert any("alpha_beta" in entry[2] for entry in history["history"])
    assert (await client.comm_info(timeout=30))["status"] == "ok"


async def test_comms_round_trip(client: AsyncKernelClient) -> None:
    setup = (
        "def _target(comm, msg):\n"
        "    @comm.on_msg\n"
        "    def _echo(m):\n"
        "        comm.send({'echo': m['content']['data']['n']})\n"
        "get_ipython().kernel.comm_manager.register_target('echo', _target)"
    )
    assert (await client.execute(setup, timeout=30)).ok
    async with client.iopub() as messages:
        comm_id = await client.comm_open("echo", {})
        info = await client.comm_info("echo", timeout=30)
        assert comm_id in info["comms"]
        await client.comm_msg(comm_id, {"n": 7})
        async for msg in messages:
            if msg.msg_type == "comm_msg" and msg.content["comm_id"] == comm_id:
                assert msg.content["data"] == {"echo": 7}
                break
        await client.comm_close(comm_id)


async def test_timeout_raises_and_interrupt_by_message(client: AsyncKernelClient) -> None:
    async with client.iopub() as messages:
        code = "import time; print('started', flush=True); time.sleep(60)"
        with pytest.raises(KernelTimeoutError):
            await client.execute(code, timeout=0.5)
        # The cell is still running: interrupt it over control (once it has surely started:
        # a SIGINT outside user code may be lost) and see it end.
        async for msg in messages:
            if msg.msg_type == "stream" and "started" in msg.content["text"]:
                break
        reply = await client.interrupt_request(timeout=30)
        assert reply is not None
        assert reply["status"] == "ok"
        errors = []
        async for msg in messages:
            if msg.msg_type == "error":
                errors.append(msg.content["ename"])
            if errors and msg.content.get("execution_state") == "idle":
                break
        assert errors == ["KeyboardInterrupt"]
    # The kernel aborts what arrives right after a failed cell; then it works again.
    for _ in range(10):
        result = await client.execute("'alive'", timeout=30)
        if result.status != "aborted":
            break
    assert result.text == "'alive'"


async def test_concurrent_requests_are_routed(client: AsyncKernelClient) -> None:
    results = await asyncio.gather(
        *(client.execute(f"{i}*2", timeout=30) for i in range(10)),
        *(client.kernel_info(timeout=30) for _ in range(5)),
        *(client.is_complete("x", timeout=30) for _ in range(5)),
    )
    values = [r.text for r in results[:10]]  # type: ignore[union-attr]
    assert values == [str(i * 2) for i in range(10)]


async def test_user_expressions_and_generic_request(client: AsyncKernelClient) -> None:
    result = await client.execute("z = 21", user_expressions={"double": "z*2"}, timeout=30)
    assert result.reply["user_expressions"]["double"]["data"]["text/plain"] == "42"
    reply = await client.request("shell", "kernel_info_request", {}, timeout=30)
    assert reply.msg_type == "kernel_info_reply"
    assert reply.content["language_info"]["name"] == "python"
