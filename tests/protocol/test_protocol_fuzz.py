"""The h11 invariant: any frames either parse into a Message or raise RemoteProtocolError."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from _protocol_strategies import json_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernelhub.errors import RemoteProtocolError, SignatureError
from kernelhub.protocol import DELIMITER, Message, Session

KEY = b"fuzz-key"

frame = st.binary(max_size=40) | st.sampled_from(
    [DELIMITER, b"", b"{}", b"null", b"[]", b"1", b'"s"', b"{", b"\xff\xfe", b"\xef\xbb\xbf{}"]
)
json_frame = json_values.map(lambda v: json.dumps(v).encode())


def _check(session: Session, frames: list[Any], verify: bool) -> None:
    try:
        ids, msg = session.deserialize(frames, verify=verify)
    except RemoteProtocolError:
        return
    assert isinstance(ids, list)
    assert isinstance(msg, Message)
    assert isinstance(msg.msg_type, str)
    assert isinstance(msg.msg_id, str)
    for part in (msg.header, msg.parent_header, msg.metadata, msg.content):
        assert type(part) is dict
    assert msg.parent_msg_id is None or isinstance(msg.parent_msg_id, str)


def _valid(key: bytes) -> list[bytes]:
    session = Session(key)
    parent = session.message("execute_request", {"code": "1"})
    msg = session.message("stream", {"name": "stdout", "text": "hi"}, parent=parent)
    return [*session.serialize(msg, [b"ident"]), b"buffer"]


@pytest.mark.parametrize("key", [b"", KEY], ids=["unsigned", "signed"])
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(frames=st.lists(frame | json_frame, max_size=10), verify=st.booleans())
def test_arbitrary_frames(key: bytes, frames: list[bytes], verify: bool) -> None:
    _check(Session(key), frames, verify)


@st.composite
def mutated(draw: st.DrawFn, key: bytes) -> list[bytes]:
    frames = _valid(key)
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["flip", "drop", "insert", "replace", "truncate"]))
        if not frames:
            break
        i = draw(st.integers(0, len(frames) - 1))
        if op == "flip" and frames[i]:
            j = draw(st.integers(0, len(frames[i]) - 1))
            bit = 1 << draw(st.integers(0, 7))
            f = bytearray(frames[i])
            f[j] ^= bit
            frames[i] = bytes(f)
        elif op == "drop":
            del frames[i]
        elif op == "insert":
            frames.insert(i, draw(frame | json_frame))
        elif op == "replace":
            frames[i] = draw(frame | json_frame)
        elif op == "truncate":
            frames[i] = frames[i][: draw(st.integers(0, len(frames[i])))]
    return frames


@pytest.mark.parametrize("key", [b"", KEY], ids=["unsigned", "signed"])
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), verify=st.booleans())
def test_mutated_valid_messages(key: bytes, data: st.DataObject, verify: bool) -> None:
    _check(Session(key, replay_history=0), data.draw(mutated(key)), verify)


@settings(max_examples=200)
@given(parts=st.tuples(*[json_values] * 6))
def test_unsigned_json_parts(parts: tuple[Any, ...]) -> None:
    """Every JSON shape of every part, past any signature check."""
    header, msg_type, msg_id, parent, metadata, content = parts
    if isinstance(header, dict):
        header = {**header, "msg_type": msg_type, "msg_id": msg_id}
    wire = [json.dumps(p).encode() for p in (header, parent, metadata, content)]
    _check(Session(), [DELIMITER, b"", *wire], verify=True)
    with contextlib.suppress(RemoteProtocolError):
        Message.from_dict(
            {"header": header, "parent_header": parent, "metadata": metadata, "content": content}
        )


@given(frames=st.lists(frame, max_size=8))
def test_non_bytes_frames(frames: list[bytes]) -> None:
    """Strings, memoryviews and None in a frame list are a protocol error, not a crash."""
    odd: list[Any] = [*frames, "text", None, memoryview(b"{}"), 3]
    _check(Session(KEY), [DELIMITER, *odd], verify=True)
    _check(Session(), [DELIMITER, *odd], verify=False)


def test_deep_nesting_is_a_protocol_error() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    frames = [
        DELIMITER,
        b"",
        b'{"msg_id":"a","msg_type":"b"}',
        b"{}",
        b"{}",
        b'{"x":' + deep + b"}",
    ]
    with pytest.raises(RemoteProtocolError, match="content"):
        Session().deserialize(frames)


def test_huge_integer_is_a_protocol_error() -> None:
    frames = [DELIMITER, b"", b'{"msg_id":"a","msg_type":"b"}', b"{}", b"{}"]
    with pytest.raises(RemoteProtocolError):
        Session().deserialize([*frames, b'{"n":' + b"9" * 10_000 + b"}"])


@pytest.mark.parametrize(
    ("frames", "match"),
    [
        ([b"a", b"b"], "delimiter"),
        ([DELIMITER, b"", b"{}", b"{}", b"{}"], "5 frames"),
        ([DELIMITER, b"", b'{"msg_type":"x"}', b"{}", b"{}", b"{}"], "msg_id"),
        ([DELIMITER, b"", b'{"msg_id":"x"}', b"{}", b"{}", b"{}"], "msg_type"),
        ([DELIMITER, b"", b'{"msg_id":1,"msg_type":"x"}', b"{}", b"{}", b"{}"], "msg_id"),
        ([DELIMITER, b"", b"[]", b"{}", b"{}", b"{}"], "header"),
        ([DELIMITER, b"", b'{"msg_id":"a","msg_type":"b"}', b"3", b"{}", b"{}"], "parent"),
        ([DELIMITER, b"", b'{"msg_id":"a","msg_type":"b"}', b"{}", b"{}", b"\xff"], "UTF-8"),
        ([DELIMITER, b"", b'{"msg_id":"a","msg_type":"b"}', b"{}", b"{", b"{}"], "metadata"),
    ],
)
def test_bad_frames_name_the_problem(frames: list[bytes], match: str) -> None:
    with pytest.raises(RemoteProtocolError, match=match) as info:
        Session().deserialize(frames)
    assert not isinstance(info.value, SignatureError)
