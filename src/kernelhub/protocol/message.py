"""The message record and its header, and the checks a peer's parts must pass to make one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict, cast

from kernelhub.errors import RemoteProtocolError

__all__ = ["DELIMITER", "PROTOCOL_VERSION", "Header", "Message", "check_header", "check_message"]

#: The protocol version we put in headers. 5.5 (the kernel handshake, subshells) only adds
#: optional features and no message-format change; jupyter_client 8.x still sends 5.4.
PROTOCOL_VERSION = "5.4"

#: The frame that separates routing identities from the message.
DELIMITER = b"<IDS|MSG>"


class Header(TypedDict, total=False):
    """A message header. Every key is optional here because real kernels omit some.

    Messages we create have all of ``msg_id``, ``session``, ``username``, ``date``,
    ``msg_type`` and ``version``; ``date`` is kept as the wire's string (see
    :func:`kernelhub.protocol.parse_date`). ``subshell_id`` (protocol 5.5) addresses a
    subshell of the kernel; ``None`` or absent means the main shell.
    """

    msg_id: str
    session: str
    username: str
    date: str
    msg_type: str
    version: str
    subshell_id: str | None


@dataclass(frozen=True, slots=True)
class Message:
    """One Jupyter message, without its routing identities.

    ``parent_header`` is ``{}`` when there is no parent (a ``null`` from the wire included).
    The dictionaries are not copied, so treat them as read-only: a message may share its
    parent's header.
    """

    header: Header
    parent_header: Header | dict[str, Any]
    metadata: dict[str, Any]
    content: dict[str, Any]
    buffers: tuple[bytes, ...] = ()

    @property
    def msg_type(self) -> str:
        """The message type, e.g. ``"execute_reply"``."""
        return self.header["msg_type"]

    @property
    def msg_id(self) -> str:
        """The message's unique id."""
        return self.header["msg_id"]

    @property
    def parent_msg_id(self) -> str | None:
        """The ``msg_id`` of the message this one answers, or ``None``."""
        value = self.parent_header.get("msg_id")
        return value if isinstance(value, str) else None

    def to_dict(self) -> dict[str, Any]:
        """The nested-dict form jupyter_client and Jupyter Server's JSON WebSocket use.

        Keys: ``header``, ``msg_id``, ``msg_type``, ``parent_header``, ``metadata``,
        ``content``, ``buffers`` (a list of the buffer bytes).
        """
        return {
            "header": self.header,
            "msg_id": self.msg_id,
            "msg_type": self.msg_type,
            "parent_header": self.parent_header,
            "metadata": self.metadata,
            "content": self.content,
            "buffers": list(self.buffers),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        """Build a message from the nested-dict form, checked as if it came from a peer.

        Raises :class:`~kernelhub.errors.RemoteProtocolError` when ``header`` lacks a string
        ``msg_id`` or ``msg_type``, or a part is not a JSON object. Top-level ``msg_id`` and
        ``msg_type`` are ignored: the header is the truth.
        """
        return check_message(
            data.get("header"),
            data.get("parent_header"),
            data.get("metadata"),
            data.get("content"),
            data.get("buffers") or (),
        )


def check_header(header: dict[str, Any]) -> Header:
    """Return ``header`` if it has string ``msg_id`` and ``msg_type``, else raise."""
    if type(header.get("msg_id")) is not str:
        raise RemoteProtocolError("message header has no string 'msg_id'")
    if type(header.get("msg_type")) is not str:
        raise RemoteProtocolError("message header has no string 'msg_type'")
    return cast(Header, header)


def _part(value: object, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if type(value) is not dict:
        raise RemoteProtocolError(f"message {what} is a {type(value).__name__}, not an object")
    return cast(dict[str, Any], value)


def _buffer(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    raise RemoteProtocolError(f"message buffer is a {type(value).__name__}, not bytes")


def check_message(
    header: object, parent: object, metadata: object, content: object, buffers: object
) -> Message:
    """Build a :class:`Message` from parts of unknown shape, or raise RemoteProtocolError."""
    if type(header) is not dict:
        raise RemoteProtocolError("message header is missing or not an object")
    if not isinstance(buffers, list | tuple):
        raise RemoteProtocolError("message buffers must be a list")
    blobs = tuple(_buffer(b) for b in buffers)
    return Message(
        check_header(header),
        _part(parent, "parent_header"),
        _part(metadata, "metadata"),
        _part(content, "content"),
        blobs,
    )
