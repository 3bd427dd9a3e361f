"""The JEP 66 kernel handshake: kernels bind their own ports and tell us which.

We keep a ZeroMQ ROUTER socket bound (the *registration socket*; binding it to port 0 is safe
because we keep it). The kernel's connection file then carries, besides ``transport``, ``ip``,
``key`` and ``signature_scheme``, three more keys: ``kernel_id``, ``registration_ip`` and
``registration_port`` (a string, as xeus reads it). The kernel binds free ports and sends::

    [b"<IDS|MSG>", signature, content]      content = {"kernel_id": ..., "shell_port": "5123", ...}

where ``signature`` is the HMAC of ``content`` alone; we answer ``[b"<IDS|MSG>", signature,
b"ACK"]`` and the kernel carries on. This is the wire format of xeus (xeus-zmq), the one
implementation on PyPI; the JEP itself leaves the format open.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import zmq
import zmq.asyncio

from kernelhub.aio import AsyncResource
from kernelhub.connection import ConnectionInfo
from kernelhub.errors import ClientClosedError, RemoteProtocolError
from kernelhub.protocol.signing import Signer

__all__ = ["Registrar"]

log = logging.getLogger("kernelhub")
_DELIMITER = b"<IDS|MSG>"
_PORT_KEYS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")


class Registrar(AsyncResource):
    """A registration socket that many kernels (and their restarts) can report to.

    Call :meth:`expect` before launching a kernel, write :meth:`connection_info` into its
    connection file, then await the returned future for the kernel's ports. The socket and
    its receiving task live until :meth:`aclose`.
    """

    def __init__(self, ip: str = "127.0.0.1") -> None:
        self.ip = ip
        self._socket: zmq.asyncio.Socket | None = None
        self._port = 0
        self._task: asyncio.Task[None] | None = None
        self._waiting: dict[str, tuple[Signer, asyncio.Future[dict[str, int]]]] = {}
        self._closed = False

    @property
    def port(self) -> int:
        """The registration socket's port (0 before the first :meth:`expect`)."""
        return self._port

    def _open(self) -> None:
        if self._closed:
            raise ClientClosedError("the registration socket is closed")
        if self._socket is None:
            sock = zmq.asyncio.Context.instance().socket(zmq.ROUTER)
            sock.linger = 0
            self._port = sock.bind_to_random_port(f"tcp://{self.ip}")
            self._socket = sock
            self._task = asyncio.get_running_loop().create_task(
                self._receive(sock), name="kernelhub-registrar"
            )

    def connection_info(self, info: ConnectionInfo, kernel_id: str) -> ConnectionInfo:
        """``info`` with the registration keys added (ports left at 0 for the kernel)."""
        self._open()
        extra = dict(info.extra)
        extra.update(
            kernel_id=kernel_id, registration_ip=self.ip, registration_port=str(self._port)
        )
        return ConnectionInfo(
            transport=info.transport,
            ip=info.ip,
            key=info.key,
            signature_scheme=info.signature_scheme,
            kernel_name=info.kernel_name,
            extra=extra,
        )

    def expect(self, kernel_id: str, info: ConnectionInfo) -> asyncio.Future[dict[str, int]]:
        """Get ready for ``kernel_id`` to register; the future resolves to its five ports."""
        self._open()
        future: asyncio.Future[dict[str, int]] = asyncio.get_running_loop().create_future()
        self._waiting[kernel_id] = (Signer(info.key, info.signature_scheme), future)
        future.add_done_callback(lambda _: self._waiting.pop(kernel_id, None))
        return future

    async def _receive(self, sock: zmq.asyncio.Socket) -> None:
        while True:
            frames: list[bytes] = await sock.recv_multipart()
            try:
                reply = self._handle(frames)
            except (RemoteProtocolError, ValueError, KeyError, TypeError) as exc:
                log.warning("ignored a bad kernel registration: %s", exc)
                continue
            if reply is not None:
                await sock.send_multipart(reply)

    def _handle(self, frames: list[bytes]) -> list[bytes] | None:
        split = frames.index(_DELIMITER)
        identities, signature, content = frames[:split], frames[split + 1], frames[split + 2]
        data: dict[str, Any] = json.loads(content)
        kernel_id = str(data["kernel_id"])
        entry = self._waiting.get(kernel_id)
        if entry is None:
            raise RemoteProtocolError(f"no kernel {kernel_id!r} is expected to register")
        signer, future = entry
        if not signer.verify(signature, content, b"", b"", b""):
            raise RemoteProtocolError(
                f"kernel {kernel_id!r} sent a registration with a bad signature"
            )
        ports = {key: int(data[key]) for key in _PORT_KEYS}
        if not future.done():
            future.set_result(ports)
        return [*identities, _DELIMITER, signer.sign(b"ACK", b"", b"", b""), b"ACK"]

    async def aclose(self) -> None:
        """Close the registration socket; kernels still expected will never register."""
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        for _, future in list(self._waiting.values()):
            future.cancel()
