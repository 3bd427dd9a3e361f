"""WebSocket frames of Jupyter Server's kernel channels, both framings, with no I/O in it.

Kernel to browser, a message arrives as the kernel's raw parts ``[header, parent_header,
metadata, content, *buffers]`` (JSON bytes, signature already checked) and is forwarded
without parsing its content:

- **JSON framing** (the default): a text frame ``{"header": ..., "msg_id": ...,
  "msg_type": ..., "parent_header": ..., "metadata": ..., "content": ..., "buffers": [],
  "channel": ...}`` spliced from the raw parts. A message with buffers becomes a binary frame
  instead (jupyter_server's ``serialize_binary_message``): a big-endian u32 count ``n``, ``n``
  u32 offsets from the frame's start, then the JSON (without ``buffers``) and each buffer.
- **v1** (``v1.kernel.websocket.jupyter.org``): a binary frame of a little-endian u64 count of
  offsets, the u64 offsets, the channel name, then the parts as they came from the kernel.

Browser to kernel, :func:`decode_json` / :func:`decode_v1` return an :class:`Incoming` whose
JSON parts are ready to be signed with the kernel's key. v1 parts are forwarded as the browser
wrote them: only the header is parsed (the kernel needs a ``msg_id`` and ``msg_type``, and it
is small); the other parts get a shape check. Anything malformed raises
:class:`~kernelhub.errors.RemoteProtocolError` and nothing else.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from kernelhub.errors import LocalProtocolError, RemoteProtocolError
from kernelhub.protocol import Header, check_header
from kernelhub.protocol.frames import pack, unpack

__all__ = [
    "BROWSER_CHANNELS",
    "V1_SUBPROTOCOL",
    "Incoming",
    "decode_json",
    "decode_v1",
    "encode_json",
    "encode_v1",
]

#: The binary subprotocol JupyterLab offers (and prefers) when it opens the channels socket.
V1_SUBPROTOCOL = "v1.kernel.websocket.jupyter.org"

#: Channels a browser may send on (IOPub is kernel-to-browser only).
BROWSER_CHANNELS = frozenset({"shell", "control", "stdin"})

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_loads = json.JSONDecoder().decode
# The largest count of offsets a frame may declare: the 5 fixed parts plus this many buffers.
_MAX_OFFSETS = 4096


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message from a browser: its channel, parsed header and wire parts.

    ``parts`` are ``(header, parent_header, metadata, content, *buffers)`` as bytes: the four
    JSON parts to sign, then the binary buffers.
    """

    channel: str
    header: Header
    parts: tuple[bytes, ...]


# -- kernel to browser -----------------------------------------------------------------------


def _parent(raw: bytes) -> bytes:
    # A null parent (an XPUB kernel's welcome) reads as {} everywhere, as in jupyter_server.
    return b"{}" if raw == b"null" else raw


def encode_json(channel: str, parts: Sequence[bytes], header: Header | None = None) -> str | bytes:
    """The JSON-framing frame of a kernel message (``str``: a text frame; ``bytes``: binary).

    ``header`` is the parsed header when the caller has it already (saves a parse). Raises
    RemoteProtocolError when the kernel's parts are not UTF-8 JSON of the right shape.
    """
    if len(parts) < 4:
        raise RemoteProtocolError(f"a message needs 4 JSON parts, got {len(parts)}")
    if header is None:
        header = check_header(unpack(parts[0], "header"))
    msg_id = _dumps(header.get("msg_id")).encode()
    msg_type = _dumps(header.get("msg_type")).encode()
    buffers = parts[4:]
    # The tail is in the one join: adding it after copied a large message once more.
    tail = b',"buffers":[]}' if not buffers else b"}"
    body = b"".join(
        (
            b'{"header":',
            parts[0],
            b',"msg_id":',
            msg_id,
            b',"msg_type":',
            msg_type,
            b',"parent_header":',
            _parent(parts[1]),
            b',"metadata":',
            parts[2],
            b',"content":',
            parts[3],
            b',"channel":',
            _dumps(channel).encode(),
            tail,
        )
    )
    if not buffers:
        try:
            return body.decode()
        except UnicodeDecodeError:
            raise RemoteProtocolError("kernel message is not valid UTF-8") from None
    return _pack_binary([body, *buffers])


def _pack_binary(chunks: Sequence[bytes]) -> bytes:
    count = len(chunks)
    offsets = [4 * (count + 1)]
    for chunk in chunks[:-1]:
        offsets.append(offsets[-1] + len(chunk))
    return b"".join((struct.pack(f"!{count + 1}I", count, *offsets), *chunks))


def encode_v1(channel: str, parts: Sequence[bytes]) -> bytes:
    """The v1-subprotocol frame of a message's parts (header, parent, metadata, content, ...)."""
    if len(parts) < 4:
        raise RemoteProtocolError(f"a message needs 4 JSON parts, got {len(parts)}")
    name = channel.encode()
    chunks = [name, parts[0], _parent(parts[1]), *parts[2:]]
    count = len(chunks) + 1
    offsets = [8 * (count + 1)]
    for chunk in chunks:
        offsets.append(offsets[-1] + len(chunk))
    # One join, offsets included: a table + join pair copied a large message twice.
    return b"".join((struct.pack(f"<{count + 1}Q", count, *offsets), *chunks))


# -- browser to kernel -----------------------------------------------------------------------


def _offsets(data: bytes, fmt: str, width: int) -> list[int]:
    """The offset table of a binary frame (a count, then the offsets), bounds checked."""
    size = len(data)
    if size < width:
        raise RemoteProtocolError("binary frame too short for its offset count")
    (count,) = struct.unpack_from(fmt, data, 0)
    if not 1 <= count <= _MAX_OFFSETS or size < width * (count + 1):
        raise RemoteProtocolError(f"binary frame declares {count} offsets; it cannot hold them")
    offsets = list(struct.unpack_from(f"{fmt[0]}{count}{fmt[1]}", data, width))
    if offsets[0] < width * (count + 1):
        raise RemoteProtocolError("binary frame offsets overlap its offset table")
    for start, stop in pairwise([*offsets, size]):
        if not start <= stop <= size:
            raise RemoteProtocolError("binary frame offsets are out of order or out of bounds")
    return offsets


def _channel(value: object) -> str:
    if value is None:
        return "shell"  # jupyter_server's rule for a message that names no channel
    if not isinstance(value, str) or value not in BROWSER_CHANNELS:
        raise RemoteProtocolError(
            f"cannot send on channel {value!r}: expected shell, control or stdin"
        )
    return str(value)


def decode_json(data: str | bytes) -> Incoming:
    """Read a JSON-framing frame from a browser: a text frame, or binary with buffers."""
    buffers: list[bytes] = []
    if isinstance(data, str):
        text = data
    else:
        # Legacy offsets are the starts of the chunks; the last one runs to the frame's end.
        offsets = _offsets(data, "!I", 4)
        chunks = [data[a:b] for a, b in pairwise([*offsets, len(data)])]
        try:
            text = chunks[0].decode()
        except UnicodeDecodeError:
            raise RemoteProtocolError("message JSON is not valid UTF-8") from None
        buffers = chunks[1:]
    try:
        msg: Any = _loads(text)
    except (ValueError, RecursionError) as exc:
        raise RemoteProtocolError(f"message is not valid JSON: {exc}") from None
    if type(msg) is not dict:
        raise RemoteProtocolError("message is not a JSON object")
    channel = _channel(msg.get("channel"))
    header = msg.get("header")
    if type(header) is not dict:
        raise RemoteProtocolError("message header is missing or not an object")
    check_header(header)
    parts = [pack(header, "header")]
    for what in ("parent_header", "metadata", "content"):
        value = msg.get(what)
        if value is None:
            value = {}
        elif type(value) is not dict:
            raise RemoteProtocolError(f"message {what} is not an object")
        try:
            parts.append(pack(value, what))
        except LocalProtocolError as exc:  # NaN, which JSON.parse would refuse
            raise RemoteProtocolError(f"message {what} cannot be re-encoded: {exc}") from None
    return Incoming(channel, header, (*parts, *buffers))  # type: ignore[arg-type]


def _looks_like_object(raw: bytes, what: str) -> bytes:
    stripped = raw.strip()
    if stripped == b"null" or not stripped:
        return b"{}"
    if stripped[:1] != b"{" or stripped[-1:] != b"}":
        raise RemoteProtocolError(f"message {what} is not a JSON object")
    return raw


def decode_v1(data: bytes) -> Incoming:
    """Read a v1-subprotocol frame from a browser (see the module docstring)."""
    if not isinstance(data, bytes):
        raise RemoteProtocolError("the v1 subprotocol sends binary frames only")
    # v1 offsets are the channel's start and then every chunk's end (bytes past the last are
    # ignored, as jupyter_server does).
    offsets = _offsets(data, "<Q", 8)
    chunks = [data[a:b] for a, b in pairwise(offsets)]
    if len(chunks) < 5:
        raise RemoteProtocolError(f"a v1 frame needs a channel and 4 parts, got {len(chunks)}")
    try:
        name = chunks[0].decode()
    except UnicodeDecodeError:
        raise RemoteProtocolError("v1 channel name is not valid UTF-8") from None
    channel = _channel(name)
    header = check_header(unpack(chunks[1], "header"))
    parts = (
        chunks[1],
        _looks_like_object(chunks[2], "parent_header"),
        _looks_like_object(chunks[3], "metadata"),
        _looks_like_object(chunks[4], "content"),
        *chunks[5:],
    )
    return Incoming(channel, header, parts)
