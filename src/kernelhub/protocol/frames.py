"""Message frames: JSON in and out of them, and a message's frames split into their parts.

The public frame API for code that relays messages without building :class:`Message` records
(the server's WebSocket bridge): :func:`pack` and :func:`unpack` apply the protocol's JSON
rules below to one part, :func:`split` finds the routing identities, the signature and the
parts of one multipart message, and :func:`~kernelhub.protocol.message.check_header` checks a
peer's header. :class:`~kernelhub.protocol.Session` is built on the same functions.

Outgoing frames are strict JSON: compact, UTF-8, no ``NaN``/``Infinity`` (browsers'
``JSON.parse`` rejects them, and jupyter_client refuses them too). ``datetime``/``date`` values
become ISO 8601 strings and numeric types such as NumPy scalars become plain numbers, as
jupyter_client does; anything else that is not JSON, ``bytes`` included, is a
:class:`~kernelhub.errors.LocalProtocolError` (binary data belongs in buffers; jupyter_client
would silently base64 it, which the receiver cannot tell apart from a string).

Incoming frames are decoded as strict UTF-8, and ``NaN``/``Infinity`` are tolerated because a
peer's sloppiness should not cost the user the message.
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Sequence
from datetime import date, datetime, timezone
from typing import Any

from kernelhub.errors import LocalProtocolError, RemoteProtocolError
from kernelhub.protocol.message import DELIMITER

__all__ = ["EMPTY", "pack", "split", "unpack"]

EMPTY = b"{}"


def _default(obj: object) -> Any:
    if isinstance(obj, datetime):
        if obj.tzinfo is not None and obj.utcoffset() == timezone.utc.utcoffset(None):
            return obj.replace(tzinfo=None).isoformat() + "Z"
        return obj.isoformat()
    if isinstance(obj, date):
        return obj.isoformat()
    # bool is Integral too, but json handles real bools before calling us.
    if isinstance(obj, numbers.Integral):
        return int(obj)
    if isinstance(obj, numbers.Real):
        return float(obj)
    hint = " (send binary data as buffers)" if isinstance(obj, bytes | bytearray) else ""
    raise TypeError(f"{type(obj).__name__} is not JSON serializable{hint}")


_encode = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_default
).encode
# The ASCII encoder is the fallback for strings holding lone surrogates, which UTF-8 cannot
# carry but JSON's \\uXXXX escapes can (Python and JavaScript both read them back).
_encode_ascii = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=True, allow_nan=False, default=_default
).encode
_decode = json.JSONDecoder().decode


def pack(obj: Any, what: str) -> bytes:
    """Serialize ``obj`` (a message part named ``what``) to compact UTF-8 JSON."""
    if type(obj) is dict and not obj:
        return EMPTY
    try:
        try:
            return _encode(obj).encode()
        except UnicodeEncodeError:
            return _encode_ascii(obj).encode()
    except (TypeError, ValueError, RecursionError) as exc:
        raise LocalProtocolError(f"cannot serialize message {what}: {exc}") from None


def unpack(frame: bytes, what: str) -> dict[str, Any]:
    """Parse one JSON frame that must hold an object (``null`` is read as ``{}``)."""
    if frame == EMPTY:
        return {}
    try:
        value = _decode(frame.decode())
    except UnicodeDecodeError:
        raise RemoteProtocolError(f"message {what} is not valid UTF-8") from None
    except (ValueError, RecursionError) as exc:
        # RecursionError: deeply nested arrays exhaust the C scanner's stack guard.
        raise RemoteProtocolError(f"message {what} is not valid JSON: {exc}") from None
    except (AttributeError, TypeError):
        raise RemoteProtocolError(f"message {what} is not a bytes frame") from None
    if type(value) is dict:
        return value
    if value is None:
        return {}
    raise RemoteProtocolError(f"message {what} is a JSON {type(value).__name__}, not an object")


def split(frames: Sequence[bytes]) -> tuple[list[bytes], bytes, list[bytes]]:
    """``(identities, signature, parts)`` of one multipart message: the frames before the
    ``<IDS|MSG>`` delimiter, the one after it, and the rest (header, parent header, metadata,
    content, then the buffers). Raises :class:`~kernelhub.errors.RemoteProtocolError` when
    there is no delimiter or fewer than the four JSON parts follow the signature."""
    try:
        at = frames.index(DELIMITER)
    except (ValueError, TypeError, AttributeError):
        raise RemoteProtocolError("no <IDS|MSG> delimiter in the frames") from None
    if len(frames) < at + 6:
        raise RemoteProtocolError(
            f"a message needs 5 frames after the delimiter, got {len(frames) - at - 1}"
        )
    return list(frames[:at]), frames[at + 1], list(frames[at + 2 :])
