"""Interop vectors against jupyter_client's Session: each side verifies and parses the other's."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from jupyter_client.session import Session as JupyterSession

from kernelhub.errors import SignatureError
from kernelhub.protocol import Session, parse_date

CONTENT: dict[str, Any] = {
    "code": "print('héllo ☃ 𝄞')",
    "silent": False,
    "nested": {"list": [1, 2.5, None, True], "empty": {}},
}
SCHEMES = ["hmac-sha256", "hmac-sha512", "hmac-md5"]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("key", [b"", b"0a1b2c3d-4e5f60718293a4b5c6d7e8f9"])
def test_ours_to_theirs(key: bytes, scheme: str) -> None:
    ours = Session(key, scheme, username="ada")
    theirs = JupyterSession(key=key, signature_scheme=scheme)
    parent = ours.message("execute_request", {"code": "1"})
    msg = ours.message(
        "comm_msg", CONTENT, parent=parent, metadata={"m": "é"}, buffers=[b"\x00\xff", b""]
    )
    frames = ours.serialize(msg, [b"router-id", b"second"])
    ids, rest = theirs.feed_identities(frames)
    got = theirs.deserialize(rest)  # raises on a bad signature
    assert ids == [b"router-id", b"second"]
    assert got["msg_type"] == "comm_msg"
    assert got["msg_id"] == msg.msg_id
    assert got["content"] == CONTENT
    assert got["metadata"] == {"m": "é"}
    assert got["parent_header"]["msg_id"] == parent.msg_id
    assert got["header"]["username"] == "ada"
    assert got["header"]["version"] == "5.4"
    # jupyter_client parses our date into an aware datetime.
    assert isinstance(got["header"]["date"], datetime)
    assert got["header"]["date"] == parse_date(msg.header["date"])
    assert [bytes(b) for b in got["buffers"]] == [b"\x00\xff", b""]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("key", [b"", b"0a1b2c3d-4e5f60718293a4b5c6d7e8f9"])
def test_theirs_to_ours(key: bytes, scheme: str) -> None:
    theirs = JupyterSession(key=key, signature_scheme=scheme, username="grace")
    ours = Session(key, scheme)
    parent = theirs.msg("execute_request", {"code": "1"})
    msg = theirs.msg("execute_result", CONTENT, parent=parent, metadata={"m": "é"})
    frames = [*theirs.serialize(msg, [b"router-id"]), b"\x00buffer"]
    ids, got = ours.deserialize(frames)
    assert ids == [b"router-id"]
    assert got.msg_type == "execute_result"
    assert got.msg_id == msg["msg_id"]
    assert got.content == CONTENT
    assert got.metadata == {"m": "é"}
    assert got.parent_msg_id == parent["msg_id"]
    assert got.header["username"] == "grace"
    assert got.buffers == (b"\x00buffer",)
    # Their datetime header dates arrive as strings we can parse back to the same instant.
    assert isinstance(got.header["date"], str)
    assert parse_date(got.header["date"]) == msg["header"]["date"]


def test_theirs_to_ours_with_send_buffers() -> None:
    """Buffers passed through jupyter_client's send() path (memoryviews) reach us as bytes."""
    theirs = JupyterSession(key=b"k")
    ours = Session(b"k")
    msg = theirs.msg("comm_msg", {"data": {}})
    msg["buffers"] = [memoryview(b"abc")]
    frames = [*theirs.serialize(msg), *(bytes(b) for b in msg["buffers"])]
    _, got = ours.deserialize(frames)
    assert got.buffers == (b"abc",)


def test_wrong_key_is_rejected_both_ways() -> None:
    ours, theirs = Session(b"right"), JupyterSession(key=b"wrong")
    with pytest.raises(SignatureError):
        ours.deserialize(theirs.serialize(theirs.msg("status", {})))
    _, rest = theirs.feed_identities(ours.serialize(ours.message("status")))
    with pytest.raises(ValueError, match="Invalid Signature"):
        theirs.deserialize(rest)


def test_their_unsigned_message_on_our_signed_session() -> None:
    theirs = JupyterSession(key=b"")
    with pytest.raises(SignatureError, match="unsigned"):
        Session(b"k").deserialize(theirs.serialize(theirs.msg("status", {})))


def test_datetimes_in_our_content_match_theirs() -> None:
    """Like jupyter_client, datetimes in content become ISO strings ('Z' for UTC)."""
    when = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=timezone.utc)
    ours = Session(b"k")
    theirs = JupyterSession(key=b"k")
    our_frames = ours.serialize(ours.message("x", {"t": when}))
    their_frames = theirs.serialize(theirs.msg("x", {"t": when}))
    assert our_frames[-1] == b'{"t":"2024-05-06T07:08:09.123456Z"}'
    _, rest = theirs.feed_identities(their_frames)
    assert theirs.deserialize(rest)["content"] == {"t": "2024-05-06T07:08:09.123456Z"}


def test_their_reply_to_our_request_has_our_header_as_parent() -> None:
    ours = Session(b"k")
    theirs = JupyterSession(key=b"k")
    request = ours.message("kernel_info_request")
    _, rest = theirs.feed_identities(ours.serialize(request))
    received = theirs.deserialize(rest)
    reply = theirs.msg("kernel_info_reply", {"status": "ok"}, parent=received)
    _, got = ours.deserialize(theirs.serialize(reply))
    assert got.parent_msg_id == request.msg_id
    assert got.parent_header["msg_type"] == "kernel_info_request"
    assert parse_date(got.parent_header["date"]) == parse_date(request.header["date"])
