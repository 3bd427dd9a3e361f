"""The WebSocket framings, sans-IO: round trips, jupyter_server's own codecs as the reference,
and the invariant "decode it or raise RemoteProtocolError, nothing else"."""

from __future__ import annotations

import contextlib
import json
import struct
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jupyter_server.services.kernels.connection.base import (
    deserialize_binary_message,
    deserialize_msg_from_ws_v1,
    serialize_binary_message,
    serialize_msg_to_ws_v1,
)

from kernelhub.errors import RemoteProtocolError
from kernelhub.protocol import Session
from kernelhub.server.channels.frames import (
    V1_SUBPROTOCOL,
    Incoming,
    decode_json,
    decode_v1,
    encode_json,
    encode_v1,
)

# JSON that both Python and browsers read (no lone surrogates, no NaN).
text = st.text(st.characters(codec="utf-8"), max_size=12)
scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | text
values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
objects = st.dictionaries(text, values, max_size=4)
buffers = st.lists(st.binary(max_size=40), max_size=3)
channels = st.sampled_from(["shell", "control", "stdin"])


def _parts(session: Session, content: dict[str, Any], metadata: dict[str, Any]) -> list[bytes]:
    parent = session.message("execute_request", {"code": "1"})
    msg = session.message("comm_msg", content, parent=parent, metadata=metadata)
    return session.serialize(msg)[2:]


def test_subprotocol_name() -> None:
    assert V1_SUBPROTOCOL == "v1.kernel.websocket.jupyter.org"


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(content=objects, metadata=objects, bufs=buffers, channel=channels)
def test_v1_round_trip_and_jupyter_server_reads_it(
    content: dict[str, Any], metadata: dict[str, Any], bufs: list[bytes], channel: str
) -> None:
    parts = [*_parts(Session(), content, metadata), *bufs]
    frame = encode_v1(channel, parts)
    theirs_channel, theirs_parts = deserialize_msg_from_ws_v1(frame)
    assert (theirs_channel, theirs_parts) == (channel, parts)
    incoming = decode_v1(frame)
    assert incoming.channel == channel
    assert list(incoming.parts) == parts
    assert incoming.header["msg_type"] == "comm_msg"


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(content=objects, metadata=objects, bufs=buffers, channel=channels)
def test_v1_reads_jupyter_server_frames(
    content: dict[str, Any], metadata: dict[str, Any], bufs: list[bytes], channel: str
) -> None:
    parts = [*_parts(Session(), content, metadata), *bufs]
    incoming = decode_v1(serialize_msg_to_ws_v1(parts, channel))
    assert (incoming.channel, list(incoming.parts)) == (channel, parts)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(content=objects, metadata=objects, bufs=buffers)
def test_json_framing_matches_jupyter_server(
    content: dict[str, Any], metadata: dict[str, Any], bufs: list[bytes]
) -> None:
    parts = [*_parts(Session(), content, metadata), *bufs]
    frame = encode_json("iopub", parts)
    if bufs:
        assert isinstance(frame, bytes)
        msg = deserialize_binary_message(frame)
        assert msg["buffers"] == bufs
    else:
        assert isinstance(frame, str)
        msg = json.loads(frame)
        assert msg["buffers"] == []
    header = json.loads(parts[0])
    assert msg["channel"] == "iopub"
    assert msg["msg_id"] == header["msg_id"]
    assert msg["msg_type"] == "comm_msg"
    assert msg["content"] == content
    assert msg["metadata"] == metadata
    assert msg["parent_header"]["msg_type"] == "execute_request"


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(content=objects, bufs=buffers, channel=channels, binary=st.booleans())
def test_json_framing_from_a_browser(
    content: dict[str, Any], bufs: list[bytes], channel: str, binary: bool
) -> None:
    msg = Session().message("comm_msg", content).to_dict()
    msg["channel"] = channel
    msg["buffers"] = bufs
    if binary or bufs:
        frame: str | bytes = serialize_binary_message(msg)
    else:
        del msg["buffers"]
        frame = json.dumps(msg)
    incoming = decode_json(frame)
    assert incoming.channel == channel
    assert json.loads(incoming.parts[3]) == content
    assert list(incoming.parts[4:]) == bufs


def test_null_parent_becomes_empty_object() -> None:
    parts = [b'{"msg_id":"a","msg_type":"iopub_welcome"}', b"null", b"{}", b"{}"]
    assert json.loads(encode_json("iopub", parts))["parent_header"] == {}
    assert deserialize_msg_from_ws_v1(encode_v1("iopub", parts))[1][1] == b"{}"


def test_message_without_channel_goes_to_shell() -> None:
    msg = Session().message("kernel_info_request").to_dict()
    assert decode_json(json.dumps(msg)).channel == "shell"


@pytest.mark.parametrize(
    "frame",
    [
        "",
        "[]",
        "{",
        '{"header": {}}',
        '{"header": {"msg_id": "a", "msg_type": "x"}, "channel": "iopub"}',
        '{"header": {"msg_id": "a", "msg_type": "x"}, "content": [1]}',
        '{"header": {"msg_id": "a", "msg_type": "x"}, "content": {"a": NaN}}',
        b"\x00\x00\x00\x05",
        b"\xff\xff\xff\xff" + b"\x00" * 8,
    ],
)
def test_json_garbage_is_a_protocol_error(frame: str | bytes) -> None:
    with pytest.raises(RemoteProtocolError):
        decode_json(frame)


def _v1(chunks: list[bytes]) -> bytes:
    """A v1 frame of raw chunks (channel first), laid out as jupyter_server does."""
    offsets = [8 * (len(chunks) + 2)]
    for chunk in chunks:
        offsets.append(offsets[-1] + len(chunk))
    return struct.pack(f"<{len(offsets) + 1}Q", len(offsets), *offsets) + b"".join(chunks)


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        b"\x01",
        struct.pack("<Q", 2**40),
        struct.pack("<QQQ", 2, 0, 5),
        _v1([b"shell", b"{}", b"{}", b"{}"]),  # too few parts
        _v1([b"iopub", b'{"msg_id":"a","msg_type":"x"}', b"{}", b"{}", b"{}"]),
        _v1([b"shell", b'{"msg_id":1,"msg_type":"x"}', b"{}", b"{}", b"{}"]),
        _v1([b"shell", b'{"msg_id":"a","msg_type":"x"}', b"{}", b"[]", b"{}"]),
        _v1([b"\xff", b'{"msg_id":"a","msg_type":"x"}', b"{}", b"{}", b"{}"]),
    ],
)
def test_v1_garbage_is_a_protocol_error(frame: bytes) -> None:
    with pytest.raises(RemoteProtocolError):
        decode_v1(frame)


def _only_protocol_errors(decode: Any, frame: Any) -> None:
    try:
        result = decode(frame)
    except RemoteProtocolError:
        return
    assert isinstance(result, Incoming)
    assert result.channel in {"shell", "control", "stdin"}
    assert isinstance(result.header["msg_id"], str)
    assert len(result.parts) >= 4
    assert all(isinstance(p, bytes) for p in result.parts)


offset_frames = st.builds(
    lambda n, offsets, tail, fmt: (
        struct.pack(f"{fmt[0]}{len(offsets) + 1}{fmt[1]}", n, *offsets) + tail
    ),
    st.integers(0, 12),
    st.lists(st.integers(0, 200), max_size=8),
    st.binary(max_size=120),
    st.sampled_from(["<Q", ">I"]),
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(frame=st.binary(max_size=200) | offset_frames)
def test_v1_fuzz(frame: bytes) -> None:
    _only_protocol_errors(decode_v1, frame)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    frame=st.binary(max_size=200)
    | offset_frames
    | st.text(max_size=80)
    | values.map(json.dumps)
    | st.fixed_dictionaries({"header": values | objects, "channel": values, "content": values}).map(
        json.dumps
    )
)
def test_json_fuzz(frame: str | bytes) -> None:
    _only_protocol_errors(decode_json, frame)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(
        st.binary(max_size=30) | values.map(lambda v: json.dumps(v).encode()), max_size=6
    )
)
def test_kernel_garbage_is_a_protocol_error(parts: list[bytes]) -> None:
    with contextlib.suppress(RemoteProtocolError):
        encode_json("iopub", parts)
