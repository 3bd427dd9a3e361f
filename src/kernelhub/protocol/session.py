"""A :class:`Session`: builds, signs, serializes, verifies and parses messages.

No I/O: frames in, frames out. The wire format of one message is::

    [*identities, b"<IDS|MSG>", signature, header, parent_header, metadata, content, *buffers]

where the four middle parts are UTF-8 JSON objects and ``signature`` is the hex HMAC of them
(``b""`` when the key is empty).
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, cast

from kernelhub.errors import RemoteProtocolError, SignatureError
from kernelhub.protocol.dates import utc_now
from kernelhub.protocol.frames import EMPTY, pack, split, unpack
from kernelhub.protocol.message import DELIMITER, PROTOCOL_VERSION, Header, Message, check_header
from kernelhub.protocol.signing import ReplayHistory, Signer

__all__ = ["Session"]


class Session:
    """Builds, signs, serializes, verifies and parses messages for one connection.

    ``key`` and ``signature_scheme`` come from the connection file; an empty key means
    messages are neither signed nor verified. ``replay_history`` bounds the number of seen
    signatures remembered to reject replayed messages (0 disables the check). An unknown
    scheme or a bad key raises :class:`~kernelhub.errors.LocalProtocolError`.

    Use one session per connection (all channels of one kernel may share it). It is not
    thread-safe: the replay history and the id counter are unguarded.
    """

    def __init__(
        self,
        key: bytes = b"",
        signature_scheme: str = "hmac-sha256",
        *,
        session_id: str | None = None,
        username: str = "kernelhub",
        replay_history: int = 65536,
    ) -> None:
        self._signer = Signer(key, signature_scheme)
        self._history = ReplayHistory(replay_history)
        self.key = key
        self.signature_scheme = signature_scheme
        #: The ``session`` field of every header we create.
        self.session_id = session_id if session_id is not None else uuid.uuid4().hex
        #: The ``username`` field of every header we create.
        self.username = username
        # Ids are the session id, our pid (a forked child must not repeat its parent's ids)
        # and a counter: unique, and much cheaper than a uuid4 per message.
        self._counter = itertools.count(1)
        self._pid = os.getpid()

    @property
    def signed(self) -> bool:
        """Whether messages are signed and verified (the key is not empty)."""
        return self._signer.enabled

    def new_msg_id(self) -> str:
        """A fresh message id, unique across sessions and processes."""
        pid = os.getpid()
        if pid != self._pid:
            self._pid = pid
            self._counter = itertools.count(1)
        return f"{self.session_id}_{pid}_{next(self._counter)}"

    def message(
        self,
        msg_type: str,
        content: Mapping[str, Any] | None = None,
        *,
        parent: Message | None = None,
        metadata: Mapping[str, Any] | None = None,
        buffers: Sequence[bytes] = (),
        subshell_id: str | None = None,
    ) -> Message:
        """A new message of ``msg_type`` from this session, dated now.

        ``parent`` makes it a reply (its header becomes our parent header). ``subshell_id``
        addresses a subshell (protocol 5.5) and is only put in the header when given.
        ``content`` and ``metadata`` are not copied.
        """
        header: Header = {
            "msg_id": self.new_msg_id(),
            "msg_type": msg_type,
            "username": self.username,
            "session": self.session_id,
            "date": utc_now(),
            "version": PROTOCOL_VERSION,
        }
        if subshell_id is not None:
            header["subshell_id"] = subshell_id
        return Message(
            header,
            parent.header if parent is not None else {},
            cast(dict[str, Any], metadata) if metadata is not None else {},
            cast(dict[str, Any], content) if content is not None else {},
            tuple(buffers),
        )

    def serialize(self, msg: Message, identities: Sequence[bytes] = ()) -> list[bytes]:
        """The frames of ``msg``, signed, ready for ``send_multipart``.

        Raises :class:`~kernelhub.errors.LocalProtocolError` when a part cannot be JSON
        (see :mod:`kernelhub.protocol.frames` for what converts and what does not).
        """
        header = pack(msg.header, "header")
        parent = pack(msg.parent_header, "parent_header")
        metadata = pack(msg.metadata, "metadata")
        content = pack(msg.content, "content")
        signature = self._signer.sign(header, parent, metadata, content)
        if not identities and not msg.buffers:
            return [DELIMITER, signature, header, parent, metadata, content]
        return [
            *identities,
            DELIMITER,
            signature,
            header,
            parent,
            metadata,
            content,
            *msg.buffers,
        ]

    def deserialize(
        self, frames: Sequence[bytes], *, verify: bool = True
    ) -> tuple[list[bytes], Message]:
        """Split ``frames`` into routing identities and the message, verifying its signature.

        ``verify=False`` skips the signature and replay checks (for peeking at or relaying
        frames that will be verified elsewhere). Raises
        :class:`~kernelhub.errors.SignatureError` for a missing, wrong or replayed
        signature and :class:`~kernelhub.errors.RemoteProtocolError` for anything else
        malformed; nothing else escapes.
        """
        identities, header, parts = self.unwrap(frames, verify=verify)
        _, parent_b, metadata_b, content_b = parts[:4]
        parent = unpack(parent_b, "parent_header") if parent_b != EMPTY else {}
        metadata = unpack(metadata_b, "metadata") if metadata_b != EMPTY else {}
        content = unpack(content_b, "content")
        return identities, Message(header, parent, metadata, content, tuple(parts[4:]))

    def unwrap(
        self, frames: Sequence[bytes], *, verify: bool = True
    ) -> tuple[list[bytes], Header, list[bytes]]:
        """Split ``frames``, verify their signature and parse the header only:
        ``(identities, header, parts)``, ``parts`` the raw frames after the signature (header,
        parent header, metadata, content, buffers), as a relay forwards them.

        Raises as :meth:`deserialize` does. A session made with ``replay_history=0`` checks
        signatures without remembering them (a relay that reads many sockets of one kernel).
        """
        identities, signature, parts = split(frames)
        if verify and self._signer.enabled:
            self._verify(signature, *parts[:4])
        return identities, check_header(unpack(parts[0], "header")), parts

    @staticmethod
    def peek_parent(frames: Sequence[bytes]) -> str | None:
        """The parent ``msg_id`` in ``frames`` that :meth:`deserialize` refused, or ``None``.

        So that a receiver can tell the one waiting for a reply that its reply came unreadable
        (a content that is not an object, say) instead of leaving it waiting. Only use it
        after a :class:`~kernelhub.errors.RemoteProtocolError` that is not a
        :class:`~kernelhub.errors.SignatureError`: the signature was then good. Never raises.
        """
        try:
            split = frames.index(DELIMITER)
            parent = unpack(frames[split + 3], "parent_header")
        except (ValueError, TypeError, AttributeError, IndexError, RemoteProtocolError):
            return None
        value = parent.get("msg_id")
        return value if type(value) is str else None

    def _verify(
        self, signature: bytes, header: bytes, parent: bytes, metadata: bytes, content: bytes
    ) -> None:
        if not signature:
            raise SignatureError("unsigned message on a signed connection")
        try:
            valid = self._signer.verify(signature, header, parent, metadata, content)
        except TypeError:  # non-bytes frames, or non-ASCII in a str signature
            raise RemoteProtocolError("message frames must be bytes") from None
        if not valid:
            raise SignatureError(f"invalid {self.signature_scheme} signature")
        # Recorded only once verified, so forged frames cannot fill the history.
        if not self._history.add(signature):
            raise SignatureError("replayed message: its signature was seen before")

    def __repr__(self) -> str:
        return (
            f"Session(session_id={self.session_id!r}, signature_scheme="
            f"{self.signature_scheme!r}, signed={self.signed})"
        )
