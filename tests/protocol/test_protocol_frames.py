"""The public frame API: what a relay needs without building Message records."""

from __future__ import annotations

import pytest

from kernelhub import protocol
from kernelhub.errors import LocalProtocolError, RemoteProtocolError, SignatureError
from kernelhub.protocol import DELIMITER, Session, check_header, frames


def test_split_finds_identities_signature_and_parts() -> None:
    session = Session(b"key")
    msg = session.message("comm_msg", {"data": {}}, buffers=[b"blob"])
    wire = session.serialize(msg, identities=[b"id1", b"id2"])
    identities, signature, parts = frames.split(wire)
    assert identities == [b"id1", b"id2"]
    assert signature == wire[3]
    assert parts == wire[4:]
    assert parts[-1] == b"blob"
    assert frames.unpack(parts[0], "header")["msg_type"] == "comm_msg"


@pytest.mark.parametrize(
    ("wire", "words"),
    [
        ([b"id", b"sig", b"{}", b"{}", b"{}", b"{}"], "no <IDS|MSG> delimiter"),
        ([DELIMITER, b"sig", b"{}", b"{}", b"{}"], "needs 5 frames after the delimiter, got 4"),
    ],
)
def test_split_refuses_what_is_not_a_message(wire: list[bytes], words: str) -> None:
    with pytest.raises(RemoteProtocolError, match=words):
        frames.split(wire)


def test_pack_and_unpack_keep_the_protocols_json_rules() -> None:
    assert frames.pack({}, "content") == frames.EMPTY
    assert frames.pack({"é": 1}, "content") == '{"é":1}'.encode()
    with pytest.raises(LocalProtocolError, match="cannot serialize message content"):
        frames.pack({"x": float("nan")}, "content")
    assert frames.unpack(b"null", "parent_header") == {}
    with pytest.raises(RemoteProtocolError, match="metadata is a JSON list"):
        frames.unpack(b"[]", "metadata")


def test_check_header_is_public() -> None:
    assert protocol.check_header({"msg_id": "a", "msg_type": "b"}) == {
        "msg_id": "a",
        "msg_type": "b",
    }
    with pytest.raises(RemoteProtocolError, match="no string 'msg_type'"):
        check_header({"msg_id": "a"})


def test_unwrap_verifies_and_parses_only_the_header() -> None:
    sender, relay = Session(b"key"), Session(b"key", replay_history=0)
    wire = sender.serialize(sender.message("stream", {"name": "stdout", "text": "hi"}))
    wire[-1] = b'{"not": "read"'  # a broken content still relays: only the header is parsed
    signed = sender.serialize(sender.message("stream", {"name": "stdout", "text": "hi"}))
    identities, header, parts = relay.unwrap(signed)
    assert identities == []
    assert header["msg_type"] == "stream"
    assert parts == signed[2:]
    # Without a replay history the same frames pass twice (a relay of many sockets);
    # a Session with one refuses them the second time.
    assert relay.unwrap(signed)[1] == header
    checking = Session(b"key")
    checking.unwrap(signed)
    with pytest.raises(SignatureError, match="replayed"):
        checking.unwrap(signed)
    with pytest.raises(SignatureError, match="invalid hmac-sha256 signature"):
        relay.unwrap(wire)  # the content changed after signing
    assert relay.unwrap(wire, verify=False)[1]["msg_type"] == "stream"
