"""The heartbeat channel: a REQ socket whose ``ping`` the kernel echoes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import zmq

__all__ = ["Heartbeat"]


class Heartbeat:
    """Pings a kernel's heartbeat; owned and closed by the client's channels.

    ``connect`` makes a connected REQ socket. A REQ socket whose reply never came cannot send
    again, so after a missed echo the socket is dropped and the next ping makes a fresh one.
    """

    def __init__(
        self,
        connect: Callable[[], zmq.Socket[bytes]],
        selector: asyncio.AbstractEventLoop,
    ) -> None:
        self._connect = connect
        self._selector = selector
        self._sock: zmq.Socket[bytes] | None = None
        self._lock = asyncio.Lock()

    async def ping(self, timeout: float) -> bool:
        """Whether the echo came back within ``timeout`` seconds."""
        async with self._lock:
            if self._sock is None:
                self._sock = self._connect()
            sock = self._sock
            echo: asyncio.Future[None] = asyncio.get_running_loop().create_future()

            def readable() -> None:
                if int(sock.getsockopt(zmq.EVENTS)) & zmq.POLLIN and not echo.done():
                    echo.set_result(None)

            self._selector.add_reader(sock.FD, readable)
            try:
                sock.send(b"ping")
                readable()  # the echo may be in already: the FD only reports edges
                await asyncio.wait_for(echo, timeout)
                sock.recv(zmq.NOBLOCK)
                return True
            except asyncio.TimeoutError:  # not the builtin TimeoutError before Python 3.11
                self.close()
                return False
            finally:
                if self._sock is not None:
                    self._selector.remove_reader(sock.FD)

    def close(self) -> None:
        """Close the socket (linger 0)."""
        if self._sock is not None:
            self._selector.remove_reader(self._sock.FD)
            self._sock.close(linger=0)
            self._sock = None
