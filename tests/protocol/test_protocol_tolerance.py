"""What real kernels send (FACTS.md), and what we refuse to send."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from typing import Any

import pytest

from kernelhub.errors import LocalProtocolError, SignatureError
from kernelhub.protocol import DELIMITER, Message, Session, parse_date

HEADER = {"msg_id": "m1", "msg_type": "status", "session": "s", "username": "u", "version": "5.3"}


def _wire(
    header: Any, parent: Any = None, metadata: Any = None, content: Any = None
) -> list[bytes]:
    parts = [json.dumps(p).encode() for p in (header, parent, metadata, content)]
    return [DELIMITER, b"", *parts]


def test_null_parent_header_of_an_iopub_welcome() -> None:
    header = {**HEADER, "msg_type": "iopub_welcome"}
    _, msg = Session().deserialize(_wire(header, None, {}, {"subscription": ""}))
    assert msg.parent_header == {}
    assert msg.parent_msg_id is None
    assert msg.msg_type == "iopub_welcome"


def test_header_without_date() -> None:
    _, msg = Session().deserialize(_wire(HEADER, {}, {}, {"execution_state": "idle"}))
    assert "date" not in msg.header
    assert parse_date(msg.header.get("date")) is None


def test_header_with_only_msg_id_and_msg_type() -> None:
    _, msg = Session().deserialize(_wire({"msg_id": "a", "msg_type": "b"}, {}, {}, {}))
    assert msg.header == {"msg_id": "a", "msg_type": "b"}


def test_date_without_timezone_is_local_time() -> None:
    header = {**HEADER, "date": "2024-03-04T05:06:07.123"}
    _, msg = Session().deserialize(_wire(header, {}, {}, {}))
    assert msg.header["date"] == "2024-03-04T05:06:07.123"  # kept as the wire's string
    parsed = parse_date(msg.header["date"])
    assert parsed is not None
    assert parsed.tzinfo is not None
    assert parsed.replace(tzinfo=None) == datetime(2024, 3, 4, 5, 6, 7, 123000)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-04T05:06:07.123456Z", datetime(2024, 3, 4, 5, 6, 7, 123456, timezone.utc)),
        ("2024-03-04T05:06:07Z", datetime(2024, 3, 4, 5, 6, 7, 0, timezone.utc)),
        (
            "2024-03-04T05:06:07.123456789+00:00",
            datetime(2024, 3, 4, 5, 6, 7, 123456, timezone.utc),
        ),
        ("2024-03-04 05:06:07.5-0130", datetime(2024, 3, 4, 6, 36, 7, 500000, timezone.utc)),
        ("2024-03-04T05:06+02", datetime(2024, 3, 4, 3, 6, 0, 0, timezone.utc)),
    ],
)
def test_parse_date_variants(text: str, expected: datetime) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text", ["", "yesterday", "2024-13-01T00:00:00Z", "2024-01-01T00:00:00+99:00", None, 3]
)
def test_parse_date_never_raises(text: Any) -> None:
    assert parse_date(text) is None


def test_kernel_info_reply_without_status() -> None:
    content = {"protocol_version": "5.3", "implementation": "xeus", "language_info": {"name": "c"}}
    _, msg = Session().deserialize(
        _wire({**HEADER, "msg_type": "kernel_info_reply"}, {}, {}, content)
    )
    assert "status" not in msg.content
    assert msg.content == content


def test_comm_info_reply_without_comms() -> None:
    _, msg = Session().deserialize(
        _wire({**HEADER, "msg_type": "comm_info_reply"}, {}, {}, {"status": "ok"})
    )
    assert msg.content == {"status": "ok"}


def test_reply_copying_the_requesters_session_and_username() -> None:
    client = Session(b"k", username="me")
    request = client.message("execute_request", {"code": "1"})
    header = {**HEADER, "msg_type": "execute_reply", "session": client.session_id, "username": "me"}
    kernel = Session(b"k")
    frames = kernel.serialize(Message(header, request.header, {}, {"status": "ok"}))  # type: ignore[arg-type]
    _, msg = client.deserialize(frames)
    assert msg.header["session"] == client.session_id
    assert msg.parent_msg_id == request.msg_id


def test_null_metadata_and_content_become_empty() -> None:
    _, msg = Session().deserialize(_wire(HEADER, None, None, None))
    assert (msg.metadata, msg.content) == ({}, {})


def test_unknown_header_fields_are_kept() -> None:
    header = {**HEADER, "subshell_id": None, "x-extension": [1]}
    _, msg = Session().deserialize(_wire(header, {}, {}, {}))
    assert msg.header == header


def test_incoming_nan_is_tolerated() -> None:
    frames = [DELIMITER, b"", json.dumps(HEADER).encode(), b"{}", b"{}", b'{"x":NaN,"y":-Infinity}']
    _, msg = Session().deserialize(frames)
    assert math.isnan(msg.content["x"])
    assert msg.content["y"] == -math.inf


def test_peer_signing_when_we_do_not_is_accepted() -> None:
    frames = Session(b"their-key").serialize(Session(b"their-key").message("status"))
    _, msg = Session().deserialize(frames)
    assert msg.msg_type == "status"


def test_tampered_buffers_are_not_covered_by_the_signature() -> None:
    """As in jupyter_client, buffers are outside the HMAC; only the JSON frames are signed."""
    session = Session(b"k")
    frames = session.serialize(session.message("comm_msg", buffers=[b"a"]))
    frames[-1] = b"b"
    assert Session(b"k").deserialize(frames)[1].buffers == (b"b",)
    frames[-2] = b'{"x":1}'
    with pytest.raises(SignatureError):
        Session(b"k").deserialize(frames)


# What we send: strict JSON, with jupyter_client's conversions for dates and numbers.


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_are_refused(value: float) -> None:
    session = Session()
    with pytest.raises(LocalProtocolError, match="content"):
        session.serialize(session.message("x", {"v": value}))


def test_bytes_in_content_are_refused_with_a_hint() -> None:
    session = Session()
    with pytest.raises(LocalProtocolError, match="buffers"):
        session.serialize(session.message("x", {"v": b"raw"}))


def test_unknown_objects_are_refused() -> None:
    session = Session()
    with pytest.raises(LocalProtocolError, match="object"):
        session.serialize(session.message("x", metadata={"v": object()}))


def test_circular_content_is_refused() -> None:
    session = Session()
    loop: dict[str, Any] = {}
    loop["self"] = loop
    with pytest.raises(LocalProtocolError):
        session.serialize(session.message("x", loop))


def test_dates_and_number_types_are_converted() -> None:
    session = Session()
    naive = datetime(2024, 1, 2, 3, 4, 5)
    east = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    content = {"naive": naive, "east": east, "day": naive.date(), "frac": Fraction(1, 4), "t": (1,)}
    frames = session.serialize(session.message("x", content))
    assert json.loads(frames[-1]) == {
        "naive": "2024-01-02T03:04:05",
        "east": "2024-01-02T03:04:05+02:00",
        "day": "2024-01-02",
        "frac": 0.25,
        "t": [1],
    }


def test_lone_surrogates_survive_a_round_trip() -> None:
    session = Session()
    text = "name-\udcff-\ud800"
    frames = session.serialize(session.message("x", {"path": text, "ok": "é"}))
    frames[-1].decode("ascii")  # escaped, so valid UTF-8 for any peer
    assert session.deserialize(frames)[1].content == {"path": text, "ok": "é"}


@pytest.mark.parametrize("scheme", ["sha256", "hmac-", "hmac-nope", "hmac-shake_128", "rsa-sha256"])
def test_unknown_signature_schemes_are_refused(scheme: str) -> None:
    with pytest.raises(LocalProtocolError, match="signature_scheme"):
        Session(b"k", scheme)


def test_text_keys_are_refused() -> None:
    with pytest.raises(LocalProtocolError, match="bytes"):
        Session("k")  # type: ignore[arg-type]


def test_utc_now_matches_the_clock() -> None:
    from kernelhub.protocol import utc_now

    before = datetime.now(timezone.utc)
    stamp = utc_now()
    after = datetime.now(timezone.utc)
    parsed = parse_date(stamp)
    assert parsed is not None
    assert before - timedelta(milliseconds=1) <= parsed <= after + timedelta(milliseconds=1)
    assert len(stamp) == len("2024-01-01T00:00:00.000000Z")
