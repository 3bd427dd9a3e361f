"""The one exception tree of kernelhub.

Every error kernelhub raises on purpose is a :class:`KernelhubError`. Messages name the thing
at fault (a file, a field, a kernel) and say what was expected, so that the CLI can print them
as they are, on one line, without a traceback::

    KernelhubError
    ├── SpecError ............... a kernelspec could not be read, installed or removed
    │   ├── InvalidSpecError .... a kernel.json breaks the format (names file and field)
    │   ├── InvalidNameError .... a kernel name breaks the name rule
    │   └── SpecExistsError ..... install would replace a spec without replace=True
    ├── NoSuchKernelError ....... an unknown kernel name or id, with suggestions (a LookupError)
    ├── ProviderError ........... a kernel provider failed to load or to list
    ├── ProtocolError ........... the Jupyter wire protocol was broken
    │   ├── LocalProtocolError .. we were asked to send something invalid
    │   └── RemoteProtocolError . a peer sent something invalid
    │       └── SignatureError .. a bad, missing or replayed HMAC signature
    ├── ConnectionFileError ..... a connection file could not be read or written
    ├── LaunchError ............. a kernel could not be started
    │   ├── LaunchParamsError ... launch parameters failed the kernel type's schema (a ValueError)
    │   └── KernelExistsError ... a kernel with that id is already running (a ValueError)
    ├── KernelDiedError ......... the kernel process is gone (``reason`` says why)
    ├── KernelTimeoutError ...... a bounded wait ran out (also a builtin TimeoutError)
    ├── ClientClosedError ....... a closed client or manager was used
    ├── EnvError ................ a Python environment could not be read or changed
    ├── ConfigError ............. a server setting is unknown or of the wrong kind (a ValueError)
    ├── PathError ............... a working directory outside the server's root (a ValueError)
    └── UsageError .............. kernelhub was called in a way it does not accept
        ├── InvalidArgumentError  an argument's value is not one accepted (a ValueError)
        ├── UnknownArgumentError  an argument's name is not one accepted (a TypeError)
        └── WrongStateError ..... called at the wrong moment (a RuntimeError)

Where a caller may already catch the builtin (``ValueError`` for a bad value, ``TimeoutError``
for a wait), the class is that builtin too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "ClientClosedError",
    "ConfigError",
    "ConnectionFileError",
    "EnvError",
    "InvalidArgumentError",
    "InvalidNameError",
    "InvalidSpecError",
    "KernelDiedError",
    "KernelExistsError",
    "KernelTimeoutError",
    "KernelhubError",
    "LaunchError",
    "LaunchParamsError",
    "LocalProtocolError",
    "NoSuchKernelError",
    "PathError",
    "ProtocolError",
    "ProviderError",
    "RemoteProtocolError",
    "SignatureError",
    "SpecError",
    "SpecExistsError",
    "UnknownArgumentError",
    "UsageError",
    "WrongStateError",
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


def _edits(a: str, b: str, limit: int) -> int:
    """The edit distance of ``a`` and ``b`` (a swap of neighbours counts as one), or
    ``limit + 1`` as soon as it is known to be over ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if before is not None and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return previous[-1]


def _allowed(a: str, b: str) -> int:
    # A typo, not a resemblance: nothing when either has one or two letters (any two-letter
    # name is two edits from any other), then one edit, two from 9 letters, three from 13.
    n = min(len(a), len(b))
    return 0 if n <= 2 else 1 if n <= 8 else 2 if n <= 12 else 3


def _distance(word: str, candidate: str) -> int | None:
    """How far ``candidate`` is from what ``word`` was meant to be, or ``None`` if not close."""
    w, c = word.lower(), candidate.lower()
    w_tail, c_tail = w.rpartition("/")[2], c.rpartition("/")[2]
    if w_tail == c_tail:
        return 0  # the name without its provider (``datasci``), or with another one
    # A shared ``provider/`` says nothing: ``spec/ab`` is not close to ``spec/ir``.
    while "/" in w and "/" in c and w.split("/", 1)[0] == c.split("/", 1)[0]:
        w, c = w.split("/", 1)[1], c.split("/", 1)[1]
    for extra, (a, b) in enumerate(((w, c), (w_tail, c_tail))):
        limit = _allowed(a, b)
        if (d := _edits(a, b, limit)) <= limit:
            return d + extra
    return None


def close_matches(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Return up to ``n`` candidates that ``word`` is a typo of (case-insensitive), best first.

    Close means a few edits away (none when either has one or two letters, one up to eight
    letters, then two, then three), compared after a shared ``provider/`` prefix; a
    candidate whose last ``/`` part is ``word``'s is closest of all.
    """
    scored = []
    for candidate in dict.fromkeys(candidates):
        d = _distance(word, candidate)
        if d is not None and candidate.lower() != word.lower():
            scored.append((d, candidate))
    scored.sort(key=lambda item: item[0])
    return [c for _, c in scored[:n]]


class NoSuchKernelError(KernelhubError, LookupError):
    """No kernel type or running kernel has the given name or id."""

    def __init__(self, name: str, suggestions: Sequence[str] = (), what: str = "kernel") -> None:
        self.name = name
        self.suggestions = list(suggestions)
        self.what = what
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


class KernelExistsError(LaunchError, ValueError):
    """A kernel with the requested id is already running (in the registry or the server)."""

    def __init__(self, kernel_id: str) -> None:
        super().__init__(f"a kernel with id {kernel_id!r} is already running")
        self.kernel_id = kernel_id


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


class ConfigError(KernelhubError, ValueError):
    """A setting is unknown or has a value of the wrong kind (the message names both)."""


class PathError(KernelhubError, ValueError):
    """A kernel working directory is outside the server's root or not a directory."""


class UsageError(KernelhubError):
    """kernelhub was called in a way it does not accept: a bug in the calling code."""


class InvalidArgumentError(UsageError, ValueError):
    """An argument's value is not one the function accepts (the message says which are)."""


class UnknownArgumentError(UsageError, TypeError):
    """An argument's name is not one the function accepts (the message says which are)."""


class WrongStateError(UsageError, RuntimeError):
    """Something was asked at a moment it cannot be given: a result before it is finished, a
    blocking call from the thread that would have to answer it."""
