"""The few ZeroMQ calls on the hot path, made as cheap as pyzmq allows."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import cast

import zmq
import zmq.asyncio

__all__ = [
    "EVENTS",
    "NOBLOCK",
    "POLLIN",
    "raw_get",
    "recv_frames",
    "selector",
    "send_frames",
]

# Plain ints: pyzmq's constants are enums, and mixing them into the per-message calls (flags,
# EVENTS & POLLIN) costs an enum construction each time.
POLLIN = int(zmq.POLLIN)
EVENTS = int(zmq.EVENTS)
RCVMORE = int(zmq.RCVMORE)
NOBLOCK = int(zmq.NOBLOCK)
_MORE_NOBLOCK = int(zmq.SNDMORE) | NOBLOCK
# The compiled socket methods, without pyzmq's Python layer (``send_multipart`` and
# ``recv_multipart`` cost several times more per message through it).
_raw_send = zmq.backend.Socket.send
_raw_recv = zmq.backend.Socket.recv
raw_get = cast(Callable[[zmq.Socket[bytes], int], int], zmq.backend.Socket.get)


def recv_frames(sock: zmq.Socket[bytes]) -> list[bytes]:
    """One multipart message (the socket must have one ready: EVENTS said POLLIN)."""
    frames = [_raw_recv(sock, NOBLOCK)]
    while raw_get(sock, RCVMORE):
        frames.append(_raw_recv(sock, NOBLOCK))
    return frames


def send_frames(sock: zmq.Socket[bytes], frames: list[bytes]) -> None:
    """Send a multipart message without blocking; zmq.Again if the queue is full.

    Only the first part can meet the high-water mark: a message is accepted whole or not.
    """
    last = len(frames) - 1
    for i, frame in enumerate(frames):
        _raw_send(sock, frame, _MORE_NOBLOCK if i < last else NOBLOCK)


def selector(loop: asyncio.AbstractEventLoop) -> asyncio.AbstractEventLoop:
    """Something with ``add_reader``: the loop itself, or (on loops without it, such as
    Windows' Proactor loop) the selector thread pyzmq's asyncio support runs."""
    get: Callable[[asyncio.AbstractEventLoop], asyncio.AbstractEventLoop] | None
    get = getattr(zmq.asyncio, "_get_selector", None)
    return get(loop) if get is not None else loop
