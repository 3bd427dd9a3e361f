"""Reading the fields of contents a kernel sent: coerce what has one reading, refuse the rest.

The protocol layer guarantees that a content is a dict; what is inside comes from kernels we do
not control. The rule, as for kernelspecs (be lenient in what you read):

- a missing or ``null`` field takes its default, as if the kernel had left it out;
- nbformat's other spellings are read as nbformat reads them: a multiline string given as a
  list of strings is joined, and a traceback given as one string is one line;
- a field that is not needed to understand an output (``metadata``, ``transient``,
  ``execution_count``) and has the wrong type is ignored;
- anything else of the wrong type is a :class:`~kernelhub.errors.RemoteProtocolError` that
  names the message, the field and what was expected: guessing would show the user something
  the kernel never meant.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeGuard

from kernelhub.errors import RemoteProtocolError

__all__ = ["EMPTY", "aux", "bad", "count", "flag", "lines", "mapping", "plain", "status", "text"]

EMPTY: Mapping[str, Any] = MappingProxyType({})

#: The documented ``status`` values of an ``execute_reply``, and the old spelling of one.
_STATUSES = {"ok": "ok", "error": "error", "aborted": "aborted", "abort": "aborted"}


def bad(what: str, field: str, value: object, expected: str) -> RemoteProtocolError:
    """The error for ``field`` of a ``what`` message holding ``value`` instead of ``expected``."""
    shown = repr(value) if len(repr(value)) <= 40 else type(value).__name__
    return RemoteProtocolError(
        f"{what} message from the kernel: {field!r} is {shown}, expected {expected}"
    )


def _strings(value: list[Any] | tuple[Any, ...]) -> bool:
    return all(type(v) is str for v in value)


def _multiline(value: object) -> TypeGuard[list[str] | tuple[str, ...]]:
    # nbformat's multiline string: a list of strings, to be joined.
    return isinstance(value, list | tuple) and _strings(value)


def text(content: Mapping[str, Any], field: str, what: str, default: str = "") -> str:
    """A string field; a list of strings (nbformat's multiline form) is joined."""
    value = content.get(field)
    if type(value) is str:
        return value
    if value is None:
        return default
    if _multiline(value):
        return "".join(value)
    raise bad(what, field, value, "a string")


def lines(content: Mapping[str, Any], field: str, what: str) -> tuple[str, ...]:
    """A list-of-strings field (a traceback); one string is one line."""
    value = content.get(field)
    if isinstance(value, list | tuple) and _strings(value):
        return tuple(value)
    if value is None:
        return ()
    if type(value) is str:
        return (value,)
    raise bad(what, field, value, "a list of strings")


def mapping(content: Mapping[str, Any], field: str, what: str) -> Mapping[str, Any]:
    """A dict field the output is made of (``data``): missing is empty, another type an error.

    Its ``text/plain``, which :attr:`text` shows, is checked too (a string or a list of them).
    """
    value = content.get(field)
    if value is None:
        return EMPTY
    if type(value) is not dict:
        raise bad(what, field, value, "an object")
    shown = value.get("text/plain")
    if shown is not None and type(shown) is not str and not _multiline(shown):
        raise bad(what, f"{field}.text/plain", shown, "a string")
    return value


def plain(data: Mapping[str, Any]) -> str:
    """The ``text/plain`` of a mime bundle checked by :func:`mapping` ("" when absent)."""
    value = data.get("text/plain")
    if type(value) is str:
        return value
    if _multiline(value):
        return "".join(value)
    return ""


def aux(content: Mapping[str, Any], field: str) -> Mapping[str, Any]:
    """A dict field nothing depends on (``metadata``, ``transient``): ignored if not a dict."""
    value = content.get(field)
    return value if type(value) is dict else EMPTY


def count(content: Mapping[str, Any], field: str = "execution_count") -> int | None:
    """An execution count: an int, or an integral float or digit string read as one; else None."""
    value = content.get(field)
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    if type(value) is str and value.isascii() and value.isdigit():
        return int(value)
    return None


def flag(content: Mapping[str, Any], field: str, what: str) -> bool:
    """A boolean field; missing is false, and 0 and 1 are read as false and true."""
    value = content.get(field)
    if value is None:
        return False
    if type(value) is bool:
        return value
    if type(value) is int and value in (0, 1):
        return bool(value)
    raise bad(what, field, value, "true or false")


def status(content: Mapping[str, Any], what: str) -> str | None:
    """A reply's ``status``: one of "ok", "error", "aborted", or None when it has none."""
    value = content.get("status")
    if value is None:
        return None
    if type(value) is str:
        known = _STATUSES.get(value.strip().lower())
        if known is not None:
            return known
    raise bad(what, "status", value, "'ok', 'error' or 'aborted'")
