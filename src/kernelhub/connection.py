"""Connection info and connection files, with exactly jupyter_client's keys.

A connection file is the JSON object a kernel reads to know where to listen and how to sign::

    {"shell_port": 0, "iopub_port": 0, "stdin_port": 0, "control_port": 0, "hb_port": 0,
     "ip": "127.0.0.1", "key": "...", "transport": "tcp", "signature_scheme": "hmac-sha256",
     "kernel_name": ""}

Files are written mode 0600 from the moment they exist and atomically (a temporary file in
the same directory, then ``os.replace``), so a kernel never reads a half-written file and no
other user ever reads the key.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, get_args

from kernelhub import paths
from kernelhub.errors import (
    ConnectionFileError,
    InvalidArgumentError,
    LocalProtocolError,
    UnknownArgumentError,
)
from kernelhub.protocol.signing import Signer

if TYPE_CHECKING:
    from kernelhub.protocol import Session

__all__ = [
    "CHANNELS",
    "Channel",
    "ConnectionInfo",
    "new_key",
    "read_connection_file",
    "remove_connection_file",
    "write_connection_file",
]

Channel = Literal["shell", "iopub", "stdin", "control", "hb"]
Transport = Literal["tcp", "ipc"]

#: The five channels, in jupyter_client's connection-file order.
CHANNELS: tuple[Channel, ...] = ("shell", "iopub", "stdin", "control", "hb")
_PORT_KEYS = tuple(f"{c}_port" for c in CHANNELS)
_KNOWN_KEYS = frozenset((*_PORT_KEYS, "ip", "key", "transport", "signature_scheme", "kernel_name"))


@dataclass(frozen=True)
class ConnectionInfo:
    """Where a kernel listens and how its messages are signed.

    A port of 0 means "not chosen yet" (ipykernel binds such ports itself and writes the real
    ones back into the file). For the ``ipc`` transport, ``ip`` is a path prefix and the
    "ports" are suffixes: the shell socket is the file ``<ip>-<shell_port>``. ``extra`` holds
    keys of a connection file that are not ours (CurveZMQ keys, a kernel's own additions);
    they are written back unchanged. The key is left out of ``repr`` so it stays out of logs.
    """

    transport: Transport = "tcp"
    ip: str = "127.0.0.1"
    shell_port: int = 0
    iopub_port: int = 0
    stdin_port: int = 0
    control_port: int = 0
    hb_port: int = 0
    key: bytes = field(default=b"", repr=False)
    signature_scheme: str = "hmac-sha256"
    kernel_name: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False, repr=False)

    def port(self, channel: Channel) -> int:
        """The port (or ipc suffix) of ``channel``."""
        if channel not in CHANNELS:
            raise InvalidArgumentError(f"unknown channel {channel!r}: expected one of {CHANNELS}")
        port: int = getattr(self, f"{channel}_port")
        return port

    @property
    def ports(self) -> dict[Channel, int]:
        """Every channel's port, in connection-file order."""
        return {c: self.port(c) for c in CHANNELS}

    @property
    def complete(self) -> bool:
        """Whether every channel has a port (none is still 0)."""
        return all(self.port(c) > 0 for c in CHANNELS)

    def url(self, channel: Channel) -> str:
        """The ZeroMQ address to connect ``channel`` to, as jupyter_client builds it.

        ``tcp://<ip>:<port>``, or ``ipc://<ip>-<port>``. A wildcard ip (``*`` or
        ``0.0.0.0``, which kernels bind to) is connected to on ``127.0.0.1``.
        """
        port = self.port(channel)
        if self.transport == "ipc":
            return f"ipc://{self.ip}-{port}"
        ip = "127.0.0.1" if self.ip in ("*", "0.0.0.0") else self.ip
        return f"tcp://{ip}:{port}"

    def ipc_paths(self) -> list[str]:
        """The socket files of the ``ipc`` transport (none for ``tcp``)."""
        if self.transport != "ipc":
            return []
        return [f"{self.ip}-{self.port(c)}" for c in CHANNELS]

    def to_dict(self) -> dict[str, Any]:
        """The connection-file object: jupyter_client's keys and order, ``key`` as text.

        Keys from :attr:`extra` follow; they never override ours.
        """
        data: dict[str, Any] = {k: getattr(self, k) for k in _PORT_KEYS}
        data["ip"] = self.ip
        data["key"] = self.key.decode()
        data["transport"] = self.transport
        data["signature_scheme"] = self.signature_scheme
        data["kernel_name"] = self.kernel_name
        for key, value in self.extra.items():
            data.setdefault(key, value)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<dict>") -> ConnectionInfo:
        """Read and check a connection-file object (``source`` names it in errors).

        The five ports are required; ``ip`` defaults to ``127.0.0.1`` (it is required for
        ``ipc``), ``key`` to empty (unsigned), ``transport`` to ``tcp``,
        ``signature_scheme`` to ``hmac-sha256`` and ``kernel_name`` to ``""``, as
        jupyter_client does. ``key`` may be text or bytes. Unknown keys go to :attr:`extra`.
        Raises :class:`~kernelhub.errors.ConnectionFileError` naming ``source`` and the field.
        """
        if not isinstance(data, Mapping):
            raise ConnectionFileError(
                f"{source}: expected a JSON object, got {type(data).__name__}", path=source
            )

        def bad(name: str, expected: str) -> ConnectionFileError:
            got = repr(data[name]) if name in data else "nothing"
            return ConnectionFileError(
                f"{source}: field {name!r}: expected {expected}, got {got}", path=source, field=name
            )

        transport = data.get("transport", "tcp")
        if transport not in get_args(Transport):
            raise bad("transport", "'tcp' or 'ipc'")
        ports: dict[str, int] = {}
        for name in _PORT_KEYS:
            value = data.get(name)
            limit = 65535 if transport == "tcp" else 2**31 - 1
            if type(value) is not int or not 0 <= value <= limit:
                raise bad(name, f"an integer port from 0 to {limit}")
            ports[name] = value
        ip = data.get("ip", "127.0.0.1" if transport == "tcp" else None)
        if not isinstance(ip, str) or not ip:
            raise bad("ip", "an address (a path prefix for ipc)")
        key = data.get("key", b"")
        if isinstance(key, str):
            try:
                key = key.encode()
            except UnicodeEncodeError:
                raise bad("key", "text") from None
        if not isinstance(key, bytes):
            raise bad("key", "text")
        scheme = data.get("signature_scheme", "hmac-sha256")
        if not isinstance(scheme, str):
            raise bad("signature_scheme", "'hmac-<digest>'")
        try:
            Signer(key, scheme)
        except LocalProtocolError as exc:
            raise ConnectionFileError(
                f"{source}: field 'signature_scheme': {exc}", path=source, field="signature_scheme"
            ) from None
        kernel_name = data.get("kernel_name")
        if kernel_name is None:  # some writers put null for "no name"
            kernel_name = ""
        if not isinstance(kernel_name, str):
            raise bad("kernel_name", "text")
        return cls(
            transport=transport,
            ip=ip,
            key=key,
            signature_scheme=scheme,
            kernel_name=kernel_name,
            extra={k: v for k, v in data.items() if k not in _KNOWN_KEYS},
            **ports,
        )

    def session(self, **kwargs: Any) -> Session:
        """A :class:`~kernelhub.protocol.Session` with this key and signature scheme.

        ``kwargs`` go to the session (``session_id``, ``username``, ``replay_history``).
        """
        from kernelhub.protocol import Session

        return Session(self.key, self.signature_scheme, **kwargs)

    def with_ports(self, **ports: int) -> ConnectionInfo:
        """A copy with some ports changed: ``with_ports(shell=5555)`` or ``shell_port=5555``."""
        changes: dict[str, Any] = {}
        for name, value in ports.items():
            key = name if name.endswith("_port") else f"{name}_port"
            if key not in _PORT_KEYS:
                raise UnknownArgumentError(f"unknown port {name!r}: expected one of {CHANNELS}")
            if type(value) is not int or value < 0:
                raise InvalidArgumentError(f"port {name!r} must be an int >= 0, not {value!r}")
            changes[key] = value
        return replace(self, **changes)


def new_key() -> bytes:
    """A fresh random signing key, in jupyter_client's format (``8hex-24hex``, ASCII)."""
    raw = secrets.token_hex(16)
    return f"{raw[:8]}-{raw[8:]}".encode()


def _ensure_runtime_dir(directory: str) -> None:
    try:
        os.mkdir(directory, 0o700)
    except FileExistsError:
        return
    except FileNotFoundError:
        os.makedirs(directory, 0o700, exist_ok=True)
    # mkdir's mode is filtered by the umask; the runtime dir must not be readable by others.
    os.chmod(directory, 0o700)


def write_connection_file(info: ConnectionInfo, path: str | None = None) -> str:
    """Write ``info`` as a connection file and return its path.

    The default path is ``<runtime dir>/kernel-<uuid>.json``; the runtime directory is
    created (mode 0700) when missing and, as jupyter_client does, given the sticky bit so
    that ``/tmp`` cleaners leave it alone. The file is mode 0600 from creation and appears
    atomically. Raises :class:`~kernelhub.errors.ConnectionFileError`.
    """
    runtime = paths.runtime_dir()
    if path is None:
        path = os.path.join(runtime, f"kernel-{uuid.uuid4()}.json")
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    text = json.dumps(info.to_dict(), indent=2)
    tmp = None
    try:
        if directory == os.path.abspath(runtime):
            _ensure_runtime_dir(directory)
            _set_sticky(directory)
        # mkstemp creates the file 0600 (O_EXCL, owner only), so the key is never exposed.
        fd, tmp = tempfile.mkstemp(prefix=".kernelhub-", suffix=".json.tmp", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        # No fsync: a connection file is worthless after a crash of the machine, and the
        # flush would cost milliseconds on every kernel start.
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise ConnectionFileError(
            f"{path}: cannot write connection file: {exc}", path=path
        ) from None
    return path


def _set_sticky(directory: str) -> None:
    with contextlib.suppress(OSError):  # not our directory: leave it as it is
        mode = os.stat(directory).st_mode
        if not mode & stat.S_ISVTX:
            os.chmod(directory, mode | stat.S_ISVTX)


def read_connection_file(path: str) -> ConnectionInfo:
    """Read and check a connection file; errors name the file and the field at fault."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConnectionFileError(
            f"{path}: cannot read connection file: {reason}", path=path
        ) from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ConnectionFileError(f"{path}: not a JSON connection file: {exc}", path=path) from None
    return ConnectionInfo.from_dict(data, source=path)


def remove_connection_file(path: str, info: ConnectionInfo | None = None) -> None:
    """Remove a connection file and, for the ``ipc`` transport, its socket files.

    ``info`` saves reading the file to learn the transport. Files already gone are fine;
    other failures raise :class:`~kernelhub.errors.ConnectionFileError`.
    """
    if info is None:
        with contextlib.suppress(ConnectionFileError):
            info = read_connection_file(path)
    for name in [*(info.ipc_paths() if info else []), path]:
        try:
            os.unlink(name)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise ConnectionFileError(f"{name}: cannot remove: {exc.strerror}", path=name) from None
