"""The Jupyter messaging protocol (5.x) with no I/O in it.

Frames in, frames out: a :class:`Session` builds :class:`Message` records, serializes and signs
them into multipart frames, and verifies and parses frames from a peer. Everything malformed
from the peer raises :class:`~kernelhub.errors.RemoteProtocolError` (its subclass
:class:`~kernelhub.errors.SignatureError` for signatures); asking us to send something that
is not JSON raises :class:`~kernelhub.errors.LocalProtocolError`.

For relaying frames without building records, :mod:`kernelhub.protocol.frames` is the public
frame API (the protocol's JSON rules for one part, splitting a message's frames),
:func:`check_header` checks a peer's header and :meth:`Session.unwrap` verifies a message and
parses only its header.
"""

from __future__ import annotations

from kernelhub.protocol import frames
from kernelhub.protocol.dates import parse_date, utc_now
from kernelhub.protocol.message import (
    DELIMITER,
    PROTOCOL_VERSION,
    Header,
    Message,
    check_header,
    check_message,
)
from kernelhub.protocol.session import Session
from kernelhub.protocol.signing import ReplayHistory, Signer

__all__ = [
    "DELIMITER",
    "PROTOCOL_VERSION",
    "Header",
    "Message",
    "ReplayHistory",
    "Session",
    "Signer",
    "check_header",
    "check_message",
    "frames",
    "parse_date",
    "utc_now",
]
