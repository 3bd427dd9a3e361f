"""A kernel that sends malformed contents: the client reads what has one reading and raises
RemoteProtocolError for the rest, never a raw TypeError or AttributeError (see client/_fields.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fake_kernel import FakeKernel, fake_kernel, standard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernelhub.client import (
    AsyncKernelClient,
    DisplayOutput,
    ErrorOutput,
    ExecuteResult,
    ResultOutput,
    StreamOutput,
)
from kernelhub.errors import KernelhubError, KernelTimeoutError, RemoteProtocolError
from kernelhub.protocol import Message

Script = tuple[list[tuple[str, Any]], Any]  # IOPub (msg_type, content) to publish, reply content


def scripted(script: Script) -> Callable[[FakeKernel, list[bytes], Message], Any]:
    """A handler that answers each execute_request: busy, the outputs, the reply, idle."""

    async def handler(kernel: FakeKernel, idents: list[bytes], msg: Message) -> None:
        if msg.msg_type != "execute_request":
            await standard(kernel, idents, msg)
            return
        outputs, reply = script
        await kernel.status("busy", msg)
        for msg_type, content in outputs:
            await kernel.publish(msg_type, content, msg)
        await kernel.reply(idents, msg, reply)
        await kernel.status("idle", msg)

    return handler


async def run(script: Script) -> ExecuteResult:
    async with fake_kernel(scripted(script)) as kernel, AsyncKernelClient(kernel.info) as client:
        await client.wait_for_ready(timeout=10)
        return await client.execute("x", timeout=10)


OK = {"status": "ok", "execution_count": 1}


@pytest.mark.parametrize(
    ("outputs", "reply", "expected"),
    [
        # nbformat's multiline strings, joined
        (
            [("stream", {"name": "stdout", "text": ["a\n", "b"]})],
            OK,
            StreamOutput("stdout", "a\nb"),
        ),
        # a missing or null field is its default
        ([("stream", {"text": "t", "name": None})], OK, StreamOutput("stdout", "t")),
        ([("stream", {"name": "stderr"})], OK, StreamOutput("stderr", "")),
        ([("display_data", {})], OK, DisplayOutput({})),
        ([("execute_result", {"data": None, "execution_count": None})], OK, ResultOutput({})),
        # fields nothing depends on, of the wrong type: ignored
        (
            [("display_data", {"data": {"text/plain": "d"}, "metadata": [1], "transient": 7})],
            OK,
            DisplayOutput({"text/plain": "d"}),
        ),
        # an execution count of another type: read when it has one reading, else None
        ([("execute_result", {"execution_count": "3"})], OK, ResultOutput({}, {}, 3)),
        ([("execute_result", {"execution_count": 4.0})], OK, ResultOutput({}, {}, 4)),
        ([("execute_result", {"execution_count": True})], OK, ResultOutput({}, {}, None)),
        ([("execute_result", {"execution_count": [1]})], OK, ResultOutput({}, {}, None)),
        # a traceback as one string is one line
        ([("error", {"ename": "E", "traceback": "tb"})], OK, ErrorOutput("E", "", ("tb",))),
        ([("error", {"traceback": None})], OK, ErrorOutput("", "", ())),
    ],
)
async def test_tolerated_outputs(outputs: Any, reply: Any, expected: Any) -> None:
    result = await run((outputs, reply))
    assert result.outputs == (expected,)
    out = result.outputs[0]
    assert isinstance(out.to_nbformat(), dict)
    assert isinstance(result.text, str)


async def test_multiline_text_plain_is_text() -> None:
    data = {"text/plain": ["4", "2"], "text/html": "<b>42</b>"}
    result = await run(([("execute_result", {"data": data, "execution_count": 1})], OK))
    assert result.text == "42"
    assert result.outputs[0].to_nbformat()["data"] == data


@pytest.mark.parametrize(
    ("reply", "status", "count"),
    [
        ({"status": "OK ", "execution_count": "2"}, "ok", 2),
        ({"status": "abort"}, "aborted", None),
        ({"status": None, "execution_count": -1}, "ok", -1),
        ({"execution_count": {"n": 1}}, "ok", None),
        (None, "ok", None),  # a null content is an empty one
    ],
)
async def test_tolerated_replies(reply: Any, status: str, count: int | None) -> None:
    result = await run(([], reply))
    assert result.status == status
    assert result.execution_count == count


async def test_error_reply_fields_are_read_as_strings() -> None:
    reply = {"status": "error", "ename": "E", "evalue": None, "traceback": ("a", "b")}
    result = await run(([], reply))
    assert result.status == "error"
    assert result.error == ErrorOutput("E", "", ("a", "b"))


@pytest.mark.parametrize(
    ("outputs", "reply", "message"),
    [
        ([], {"status": True}, "execute_reply message from the kernel: 'status' is True"),
        ([], {"status": -1}, "'status' is -1, expected 'ok', 'error' or 'aborted'"),
        ([], {"status": {"a": 1}}, "'status' is {'a': 1}"),
        ([], {"status": "weird"}, "'status' is 'weird'"),
        (
            [],
            {"status": "error", "ename": 5},
            "execute_reply message from the kernel: 'ename' is 5",
        ),
        ([], {"status": "error", "ename": "E", "traceback": 5}, "'traceback' is 5"),
        ([], [1, 2], "unreadable shell message from the kernel: message content is a JSON list"),
        ([], "ok", "message content is a JSON str"),
        (
            [("error", {"traceback": [1, 2]})],
            OK,
            "error message from the kernel: 'traceback' is [1, 2]",
        ),
        ([("error", {"traceback": {"a": 1}})], OK, "expected a list of strings"),
        (
            [("display_data", {"data": "x"})],
            OK,
            "display_data message from the kernel: 'data' is 'x'",
        ),
        ([("execute_result", {"data": [1]})], OK, "'data' is [1], expected an object"),
        ([("execute_result", {"data": {"text/plain": 5}})], OK, "'data.text/plain' is 5"),
        (
            [("stream", {"name": "stdout", "text": {"a": 1}})],
            OK,
            "stream message from the kernel: 'text'",
        ),
        ([("stream", {"name": 7, "text": "t"})], OK, "stream message from the kernel: 'name' is 7"),
        ([("stream", {"text": ["a", 1]})], OK, "expected a string"),
        ([("stream", [1])], OK, "unreadable iopub message from the kernel"),
        (
            [("status", {"execution_state": 5})],
            OK,
            "status message from the kernel: 'execution_state'",
        ),
    ],
)
async def test_unreadable_contents_raise_remote_protocol_error(
    outputs: Any, reply: Any, message: str
) -> None:
    async with (
        fake_kernel(scripted((outputs, reply))) as kernel,
        AsyncKernelClient(kernel.info) as client,
    ):
        await client.wait_for_ready(timeout=10)
        with pytest.raises(RemoteProtocolError, match=re.escape(message)):
            await client.execute("x", timeout=10)


async def test_an_unreadable_reply_fails_its_request_not_its_timeout() -> None:
    async def handler(kernel: FakeKernel, idents: list[bytes], msg: Message) -> None:
        if msg.msg_type == "complete_request":
            await kernel.reply(idents, msg, ["not", "an", "object"])
        else:
            await standard(kernel, idents, msg)

    async with fake_kernel(handler) as kernel, AsyncKernelClient(kernel.info) as client:
        await client.wait_for_ready(timeout=10)
        with pytest.raises(RemoteProtocolError, match="unreadable shell message"):
            await client.complete("x", timeout=60)  # the test's own bound would fail first
        assert (await client.kernel_info(timeout=10))["status"] == "ok"


async def test_the_client_goes_on_after_an_unreadable_message() -> None:
    scripts = [([("stream", {"text": 5})], OK), ([("stream", {"text": "fine"})], OK)]

    async def handler(kernel: FakeKernel, idents: list[bytes], msg: Message) -> None:
        if msg.msg_type == "execute_request":
            await scripted(scripts.pop(0))(kernel, idents, msg)
        else:
            await standard(kernel, idents, msg)

    async with fake_kernel(handler) as kernel, AsyncKernelClient(kernel.info) as client:
        await client.wait_for_ready(timeout=10)
        with pytest.raises(RemoteProtocolError):
            await client.execute("x", timeout=10)
        assert (await client.execute("y", timeout=10)).stdout == "fine"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"prompt": {"p": 1}}, "input_request message from the kernel: 'prompt' is {'p': 1}"),
        ({"prompt": "p", "password": "yes"}, "'password' is 'yes', expected true or false"),
    ],
)
async def test_unreadable_input_request_is_answered_then_raised(
    content: dict[str, Any], message: str
) -> None:
    answers: list[Message] = []
    answered = asyncio.Event()

    async def handler(kernel: FakeKernel, idents: list[bytes], msg: Message) -> None:
        if msg.msg_type != "execute_request":
            await standard(kernel, idents, msg)
            return
        await kernel.status("busy", msg)
        answers.append(await kernel.ask(idents, msg, content))
        answered.set()
        await kernel.reply(idents, msg, OK)
        await kernel.status("idle", msg)

    async with fake_kernel(handler) as kernel, AsyncKernelClient(kernel.info) as client:
        await client.wait_for_ready(timeout=10)
        with pytest.raises(RemoteProtocolError, match=re.escape(message)):
            await client.execute("x", on_input=lambda request: "never", timeout=10)
        # The kernel is not left waiting for an answer.
        await asyncio.wait_for(answered.wait(), 10)
    assert [a.content for a in answers] == [{"value": ""}]


async def test_input_request_fields_are_read() -> None:
    async def handler(kernel: FakeKernel, idents: list[bytes], msg: Message) -> None:
        if msg.msg_type != "execute_request":
            await standard(kernel, idents, msg)
            return
        await kernel.status("busy", msg)
        answer = await kernel.ask(idents, msg, {"prompt": ["wh", "o? "], "password": 1})
        await kernel.publish("stream", {"text": answer.content["value"]}, msg)
        await kernel.reply(idents, msg, OK)
        await kernel.status("idle", msg)

    seen = []

    def on_input(request: Any) -> str:
        seen.append(request)
        return "me"

    async with fake_kernel(handler) as kernel, AsyncKernelClient(kernel.info) as client:
        await client.wait_for_ready(timeout=10)
        result = await client.execute("x", on_input=on_input, timeout=10)
    assert result.stdout == "me"
    assert [(r.prompt, r.password) for r in seen] == [("who? ", True)]


# -- property: whatever the contents, the client works or raises a KernelhubError ---------

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)

VALID: list[tuple[str, dict[str, Any]]] = [
    ("stream", {"name": "stdout", "text": "hi\n"}),
    ("display_data", {"data": {"text/plain": "d"}, "metadata": {}, "transient": {}}),
    ("update_display_data", {"data": {"text/plain": "u"}, "metadata": {}, "transient": {}}),
    ("execute_result", {"data": {"text/plain": "42"}, "metadata": {}, "execution_count": 1}),
    ("error", {"ename": "E", "evalue": "v", "traceback": ["tb"]}),
]
VALID_REPLIES: list[dict[str, Any]] = [
    {"status": "ok", "execution_count": 1, "user_expressions": {}, "payload": []},
    {"status": "error", "execution_count": 1, "ename": "E", "evalue": "v", "traceback": ["t"]},
    {"status": "aborted"},
]
FIELDS = sorted({k for _, c in VALID for k in c} | {k for c in VALID_REPLIES for k in c})


@st.composite
def mutated(draw: st.DrawFn, valid: dict[str, Any]) -> Any:
    """``valid`` with a few fields deleted or replaced by any JSON, or not an object at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)
    content = dict(valid)
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(sorted(content) + FIELDS))
        if draw(st.booleans()):
            content.pop(key, None)
        else:
            content[key] = draw(json_values)
    return content


@st.composite
def scripts(draw: st.DrawFn) -> Script:
    outputs = []
    for msg_type, valid in draw(st.lists(st.sampled_from(VALID), max_size=4)):
        outputs.append((msg_type, draw(mutated(valid)) if draw(st.booleans()) else valid))
    reply = draw(st.sampled_from(VALID_REPLIES))
    if draw(st.booleans()):
        reply = draw(mutated(reply))
    return outputs, reply


def _use(result: ExecuteResult) -> None:
    # Everything a caller may read, read.
    assert result.status in ("ok", "error", "aborted")
    assert result.execution_count is None or type(result.execution_count) is int
    assert isinstance(result.text + result.stdout + result.stderr, str)
    for out in (*result.outputs, *([result.error] if result.error else [])):
        assert isinstance(out.to_nbformat(), dict)
        if not isinstance(out, ErrorOutput):
            assert isinstance(out.text, str)


@contextlib.contextmanager
def _kernelhub_errors_only() -> Iterator[None]:
    """Let a KernelhubError pass, except a timeout: every script ends with a reply and idle,
    so nothing may hang (a reply dropped as unreadable used to leave its execution waiting)."""
    try:
        yield
    except KernelTimeoutError:
        raise
    except KernelhubError:
        pass


async def _execute_and_stream(script: Script) -> None:
    async with fake_kernel(scripted(script)) as kernel, AsyncKernelClient(kernel.info) as client:
        await client.wait_for_ready(timeout=10)
        with _kernelhub_errors_only():
            _use(await client.execute("x", timeout=5))
        with _kernelhub_errors_only():
            async with client.stream("y", timeout=5) as execution:
                async for out in execution:
                    assert isinstance(out.to_nbformat(), dict)
            _use(execution.result)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scripts())
def test_any_contents_work_or_raise_a_kernelhub_error(script: Script) -> None:
    asyncio.run(asyncio.wait_for(_execute_and_stream(script), 60))
