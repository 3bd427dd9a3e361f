"""Checks on message parts that came from a peer (decoded frames or a nested dict)."""

from __future__ import annotations

from typing import Any, cast

from kernelhub.errors import RemoteProtocolError
from kernelhub.protocol.message import Header, Message

__all__ = ["check_header", "check_message"]


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
