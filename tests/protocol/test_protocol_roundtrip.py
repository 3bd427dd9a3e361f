"""Round trips: whatever we build, we serialize and parse back to an equal message."""

from __future__ import annotations

from typing import Any

import pytest
from _protocol_strategies import buffers, identities, json_objects, msg_types
from hypothesis import given
from hypothesis import strategies as st

from kernelhub import protocol
from kernelhub.protocol import DELIMITER, Message, Session

SESSIONS = [
    pytest.param(b"", "hmac-sha256", id="unsigned"),
    pytest.param(b"secret", "hmac-sha256", id="sha256"),
    pytest.param(b"secret", "hmac-sha512", id="sha512"),
    pytest.param(b"secret", "hmac-blake2b", id="blake2b"),
]


@pytest.mark.parametrize(("key", "scheme"), SESSIONS)
@given(data=st.data())
def test_round_trip(key: bytes, scheme: str, data: st.DataObject) -> None:
    content: dict[str, Any] = data.draw(json_objects, "content")
    metadata: dict[str, Any] = data.draw(json_objects, "metadata")
    blobs: list[bytes] = data.draw(buffers, "buffers")
    ids: list[bytes] = data.draw(identities, "identities")
    sender = Session(key, scheme)
    receiver = Session(key, scheme)
    parent = sender.message("execute_request", {"code": "1"}) if data.draw(st.booleans()) else None
    msg = sender.message(
        data.draw(msg_types), content, parent=parent, metadata=metadata, buffers=blobs
    )
    frames = sender.serialize(msg, ids)
    assert frames[len(ids)] == DELIMITER
    assert all(type(f) is bytes for f in frames)
    got_ids, got = receiver.deserialize(frames)
    assert got_ids == ids
    assert got == msg
    assert got.parent_msg_id == (parent.msg_id if parent else None)


def test_message_header_has_every_field() -> None:
    session = Session(b"k", session_id="sess", username="ada")
    msg = session.message("kernel_info_request")
    assert set(msg.header) == {"msg_id", "msg_type", "username", "session", "date", "version"}
    assert msg.header["session"] == "sess"
    assert msg.header["username"] == "ada"
    assert msg.header["version"] == protocol.PROTOCOL_VERSION
    assert msg.header["date"].endswith("Z")
    assert protocol.parse_date(msg.header["date"]) is not None
    assert msg.parent_header == {}
    assert msg.content == {}
    assert msg.metadata == {}
    assert msg.parent_msg_id is None


def test_subshell_id_only_when_given() -> None:
    session = Session()
    assert "subshell_id" not in session.message("execute_request").header
    assert session.message("execute_request", subshell_id="s1").header["subshell_id"] == "s1"


def test_msg_ids_are_unique() -> None:
    a, b = Session(), Session()
    ids = {a.new_msg_id() for _ in range(1000)} | {b.new_msg_id() for _ in range(1000)}
    assert len(ids) == 2000


def test_unsigned_session_sends_an_empty_signature() -> None:
    session = Session()
    assert not session.signed
    assert session.serialize(session.message("x"))[1] == b""


def test_signature_is_hex_hmac_of_the_four_json_frames() -> None:
    import hashlib
    import hmac

    session = Session(b"key", "hmac-sha512")
    frames = session.serialize(session.message("x", {"a": 1}, buffers=[b"not signed"]))
    expected = hmac.new(b"key", b"".join(frames[2:6]), hashlib.sha512).hexdigest().encode()
    assert frames[1] == expected


def test_frames_are_compact_utf8_json() -> None:
    session = Session()
    frames = session.serialize(session.message("x", {"text": "é ☃", "n": [1, 2]}))
    assert frames[5] == '{"text":"é ☃","n":[1,2]}'.encode()


def test_dict_form_round_trip() -> None:
    session = Session(b"k")
    msg = session.message("comm_msg", {"data": {}}, metadata={"m": 1}, buffers=[b"b"])
    as_dict = msg.to_dict()
    assert as_dict["msg_type"] == "comm_msg"
    assert as_dict["msg_id"] == msg.msg_id
    assert Message.from_dict(as_dict) == msg


def test_public_names() -> None:
    for name in protocol.__all__:
        assert getattr(protocol, name) is not None
    assert protocol.DELIMITER == b"<IDS|MSG>"
