"""The one exception tree of kernelhub.

Every error kernelhub raises on purpose is a :class:`KernelhubError`. Messages name the thing
at fault (a file, a field, a kernel) and say what was expected, so that the CLI can print them
as they are, on one line, without a traceback::

    KernelhubError
    ├── SpecError ............... a kernelspec could not be read, installed or removed
    │   ├── InvalidSpecError .... a kernel.json breaks the format (names file and field)
    │   ├── InvalidNameError .... a kernel name breaks the name rule
    │   └── SpecExistsError ..... install would replace a spec without replace=True
    ├── NoSuchKernelError ....... an unknown kernel name or id (with close-match suggestions)
    ├── ProviderError ........... a kernel provider failed to load or to list
    ├── ProtocolError ........... the Jupyter wire protocol was broken
    │   ├── LocalProtocolError .. we were asked to send something invalid
    │   └── RemoteProtocolError . a peer sent something invalid
    │       └── SignatureError .. a bad, missing or replayed HMAC signature
    ├── ConnectionFileError ..... a connection file could not be read or written
    ├── LaunchError ............. a kernel could not be started
    │   └── LaunchParamsError ... launch parameters failed the kernel type's schema
    ├── KernelDiedError ......... the kernel process is gone (``reason`` says why)
    ├── KernelTimeoutError ...... a bounded wait ran out (also a builtin TimeoutError)
    ├── ClientClosedError ....... a closed client or manager was used
    └── EnvError ................ a Python environment could not be read or changed
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "ClientClosedError",
    "ConnectionFileError",
    "EnvError",
    "InvalidNameError",
    "InvalidSpecError",
    "KernelDiedError",
    "KernelTimeoutError",
    "KernelhubError",
    "LaunchError",
    "LaunchParamsError",
    "LocalProtocolError",
    "NoSuchKernelError",
    "ProtocolError",
    "ProviderError",
    "RemoteProtocolError",
    "SignatureError",
    "SpecError",
    "SpecExistsError",
    "close_matches",
]


class KernelhubError(Exception):
    """Base class of every error kernelhub raises on purpose."""


class SpecError(KernelhubError):
    """A kernelspec could not be read, installed or removed."""


class InvalidSpecError(SpecError):
    """A ``kernel.json`` breaks the kernelspec format.

    ``path`` is the file and ``field`` the offending key (``None`` when the whole file is at
    fault, e.g. it is not JSON).
    """

    def __init__(self, path: str, field: str | None, problem: str) -> None:
        self.path = path
        self.field = field
        self.problem = problem
        where = f"{path}: field {field!r}" if field else path
        super().__init__(f"{where}: {problem}")


class InvalidNameError(SpecError):
    """A kernel name breaks the rule: ASCII letters, digits, ``-``, ``.`` and ``_`` only."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"invalid kernel name {name!r}: expected ASCII letters, digits, '-', '.' or '_'"
        )


class SpecExistsError(SpecError):
    """Installing would replace an existing kernelspec and ``replace`` was not given."""


def close_matches(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Return up to ``n`` candidates that look like ``word`` (case-insensitive), best first."""
    import difflib

    pool = {c.lower(): c for c in candidates}
    return [pool[m] for m in difflib.get_close_matches(word.lower(), list(pool), n, 0.6)]


class NoSuchKernelError(KernelhubError, LookupError):
    """No kernel type or running kernel has the given name or id."""

    def __init__(self, name: str, suggestions: Sequence[str] = (), what: str = "kernel") -> None:
        self.name = name
        self.suggestions = list(suggestions)
        message = f"no {what} named {name!r}"
        if self.suggestions:
            message += "; did you mean " + " or ".join(repr(s) for s in self.suggestions) + "?"
        super().__init__(message)


class ProviderError(KernelhubError):
    """A kernel provider failed to load, or failed while listing or launching."""


class ProtocolError(KernelhubError):
    """The Jupyter messaging protocol was broken."""


class LocalProtocolError(ProtocolError):
    """We were asked to send something that breaks the protocol (a bug on our side)."""


class RemoteProtocolError(ProtocolError):
    """A peer sent frames that break the protocol."""


class SignatureError(RemoteProtocolError):
    """A message has a bad, missing or replayed HMAC signature."""


class ConnectionFileError(KernelhubError):
    """A connection file could not be read, parsed or written.

    ``path`` names the file (or the source of a dict) and ``field`` the offending key, when
    known, so that callers can act on them without parsing the message.
    """

    def __init__(self, message: str, *, path: str | None = None, field: str | None = None) -> None:
        self.path = path
        self.field = field
        super().__init__(message)


class LaunchError(KernelhubError):
    """A kernel could not be started."""


class LaunchParamsError(LaunchError, ValueError):
    """Launch parameters do not satisfy the kernel type's JSON schema."""


class KernelDiedError(KernelhubError):
    """The kernel process is gone; ``reason`` is a human explanation of its death."""

    def __init__(self, reason: str, exit_code: int | None = None) -> None:
        self.reason = reason
        self.exit_code = exit_code
        super().__init__(f"kernel died: {reason}")


class KernelTimeoutError(KernelhubError, TimeoutError):
    """A bounded wait ran out before the kernel answered."""


class ClientClosedError(KernelhubError):
    """A client, manager or channel was used after it was closed."""


class EnvError(KernelhubError):
    """A Python environment could not be read or changed."""
