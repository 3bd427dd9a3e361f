"""How a kernel's five ports are chosen, without "bind port 0, close it, hope".

Three strategies, best first (:func:`strategy_for` picks one per kernel type):

``"handshake"``
    JEP 66: kernels whose kernelspec declares ``kernel_protocol_version`` >= 5.5 bind free
    ports themselves and report them to a registration socket that we keep bound (see
    :mod:`kernelhub.manager.handshake`). No window for a race at all.
``"kernel"``
    ipykernel (and kernels built on its ``IPKernelApp``) given port 0 binds free ports itself
    and writes the real ones back into the connection file; :func:`wait_for_ports` notices.
    No race either.
``"chosen"``
    Every other kernel: we choose the ports. They are drawn from *outside* the system's
    ephemeral range (where every ``bind(0)`` and outgoing connection of every other process
    lands), checked free, and never handed out twice in a row; a kernel that still dies with
    "Address already in use" is restarted on new ports by the manager (:func:`address_in_use`).

A kernel type can force a strategy with ``"kernelhub": {"ports": "<strategy>"}`` in its
kernelspec metadata (for example ``"kernel"`` for a kernel built on ipykernel).
"""

from __future__ import annotations

import asyncio
import collections
import os
import random
import re
import socket
import sys
import time
from typing import Literal, get_args

from kernelhub.connection import ConnectionInfo, read_connection_file
from kernelhub.errors import ConnectionFileError, KernelTimeoutError
from kernelhub.launchers.base import KernelProcess
from kernelhub.providers.base import KernelType

__all__ = [
    "PortStrategy",
    "address_in_use",
    "choose_ports",
    "strategy_for",
    "supports_handshake",
    "wait_for_ports",
]

PortStrategy = Literal["handshake", "kernel", "chosen"]

_IPYKERNEL = re.compile(r"(^|[/\\.\s])ipykernel(_launcher)?($|[.\s])")
_IN_USE = re.compile(r"address already in use|EADDRINUSE|errno 98\b", re.IGNORECASE)

# Ports we handed out recently: two kernels started at once must not be given the same port
# before either has bound it.
_recent: collections.deque[int] = collections.deque(maxlen=1024)
_HIGHEST_PORT = 65535


def supports_handshake(kernel_type: KernelType) -> bool:
    """Whether the kernelspec declares protocol 5.5 or later (JEP 66: the kernel handshake)."""
    version = kernel_type.kernel_protocol_version or ""
    match = re.match(r"^(\d+)\.(\d+)", version)
    if match is None:
        return False
    return (int(match.group(1)), int(match.group(2))) >= (5, 5)


def strategy_for(kernel_type: KernelType) -> PortStrategy:
    """How ports are chosen for ``kernel_type`` (see the module docstring)."""
    own = kernel_type.metadata.get("kernelhub")
    forced = own.get("ports") if isinstance(own, dict) else None
    for strategy in get_args(PortStrategy):
        if forced == strategy:
            return strategy  # type: ignore[no-any-return]
    # ipykernel first: since 7.0 its own kernelspec declares protocol 5.5, yet it does not
    # implement the JEP 66 handshake (it would never register); it does bind ports given as 0.
    if any(_IPYKERNEL.search(arg) for arg in kernel_type.argv[:4]):
        return "kernel"
    if supports_handshake(kernel_type):
        return "handshake"
    return "chosen"


def address_in_use(output: str) -> bool:
    """Whether a dead kernel's output says it could not bind a port that was taken."""
    return bool(_IN_USE.search(output))


def _ephemeral_range() -> tuple[int, int]:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as f:
            low, high = (int(x) for x in f.read().split())
            return low, high
    except (OSError, ValueError):
        # The IANA range, which macOS and Windows use.
        return (49152, 65535) if sys.platform != "linux" else (32768, 60999)


def _candidate_range() -> tuple[int, int]:
    low, high = _ephemeral_range()
    # Below the ephemeral range, but above the ports well-known services like to use.
    if low - 1 - 20000 >= 2000:
        return 20000, low - 1
    if _HIGHEST_PORT - high >= 2000:
        return high + 1, _HIGHEST_PORT
    return 1024, _HIGHEST_PORT


def _is_free(ip: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        try:
            s.bind((ip, port))
        except OSError:
            return False
    return True


def choose_ports(ip: str = "127.0.0.1", count: int = 5) -> list[int]:
    """``count`` distinct free ports on ``ip``, outside the ephemeral range when possible."""
    low, high = _candidate_range()
    bind_ip = "0.0.0.0" if ip in ("*", "") else ip
    ports: list[int] = []
    for _ in range(count * 200):
        port = random.randint(low, high)
        if port in ports or port in _recent or not _is_free(bind_ip, port):
            continue
        ports.append(port)
        _recent.append(port)
        if len(ports) == count:
            return ports
    raise OSError(f"no free ports found on {ip} between {low} and {high}")


async def wait_for_ports(
    path: str, process: KernelProcess, timeout: float
) -> ConnectionInfo | None:
    """Wait until the kernel has written its real ports into ``path``; return the new info.

    Returns ``None`` if the process died first (the caller explains the death). Raises
    :class:`~kernelhub.errors.KernelTimeoutError` after ``timeout`` seconds.

    The file is checked with ``stat`` (microseconds) at an interval that grows with the time
    already waited (1/25 of it, between 2 and 20 ms): a rewrite is noticed within ~4 % of
    the start-up time, at a cost of a few dozen stats per kernel even when 30 start at once.
    """
    start = time.monotonic()
    died = asyncio.ensure_future(process.wait())
    seen: tuple[int, int, int] | None = None
    try:
        while True:
            try:
                st = os.stat(path)
            except FileNotFoundError:
                st = None
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino) if st else None
            if stamp is not None and stamp != seen:
                seen = stamp
                try:
                    info = read_connection_file(path)
                except ConnectionFileError:
                    info = None  # half-written: ipykernel rewrites the file in place
                if info is not None and info.complete:
                    return info
            elapsed = time.monotonic() - start
            if elapsed > timeout:
                raise KernelTimeoutError(
                    f"kernel (pid {process.pid}) did not write its ports into {path} "
                    f"within {timeout:g} s"
                )
            await asyncio.wait({died}, timeout=min(max(elapsed / 25, 0.002), 0.02))
            if died.done():
                return None
    finally:
        died.cancel()
