"""Requests answered by a reply (introspection) and comm messages, over a generic request."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

from kernelhub.client.messages import (
    CommInfoReply,
    CompleteReply,
    HistoryReply,
    InspectReply,
    IsCompleteReply,
)
from kernelhub.protocol import Message, Session

__all__ = ["RequestMethods"]


class RequestMethods:
    """The simple request/reply methods, shared by every client built on :meth:`request`."""

    session: Session

    async def request(
        self,
        channel: str,
        msg_type: str,
        content: dict[str, Any],
        *,
        timeout: float | None = None,
    ) -> Message:
        """Send a request on ``channel`` and return its reply message."""
        raise NotImplementedError

    async def send(
        self,
        channel: str,
        msg_type: str,
        content: dict[str, Any],
        *,
        metadata: dict[str, Any] | None = None,
        buffers: Sequence[bytes] = (),
    ) -> None:
        """Send a message that has no reply (comm messages) on ``channel``."""
        raise NotImplementedError

    async def _content(
        self, msg_type: str, content: dict[str, Any], timeout: float | None, channel: str = "shell"
    ) -> dict[str, Any]:
        reply = await self.request(channel, msg_type, content, timeout=timeout)
        return reply.content

    # -- introspection ---------------------------------------------------------------------

    async def complete(
        self, code: str, cursor_pos: int | None = None, *, timeout: float | None = None
    ) -> CompleteReply:
        """Completions at ``cursor_pos`` (default: the end of ``code``)."""
        pos = len(code) if cursor_pos is None else cursor_pos
        content = {"code": code, "cursor_pos": pos}
        return cast(CompleteReply, await self._content("complete_request", content, timeout))

    async def inspect(
        self,
        code: str,
        cursor_pos: int | None = None,
        detail_level: int = 0,
        *,
        timeout: float | None = None,
    ) -> InspectReply:
        """Documentation of the object at ``cursor_pos`` (``detail_level`` 1: with source)."""
        pos = len(code) if cursor_pos is None else cursor_pos
        content = {"code": code, "cursor_pos": pos, "detail_level": detail_level}
        return cast(InspectReply, await self._content("inspect_request", content, timeout))

    async def is_complete(self, code: str, *, timeout: float | None = None) -> IsCompleteReply:
        """Whether ``code`` is a complete statement, needs more lines, or is invalid."""
        reply = await self._content("is_complete_request", {"code": code}, timeout)
        return cast(IsCompleteReply, reply)

    async def history(
        self,
        *,
        raw: bool = True,
        output: bool = False,
        hist_access_type: str = "tail",
        n: int = 10,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> HistoryReply:
        """The kernel's input history (``tail`` of ``n`` by default; ``range``/``search`` too)."""
        content = {
            "raw": raw,
            "output": output,
            "hist_access_type": hist_access_type,
            "n": n,
            **kwargs,
        }
        return cast(HistoryReply, await self._content("history_request", content, timeout))

    async def comm_info(
        self, target_name: str | None = None, *, timeout: float | None = None
    ) -> CommInfoReply:
        """The comms open in the kernel, optionally only those of ``target_name``."""
        content = {} if target_name is None else {"target_name": target_name}
        return cast(CommInfoReply, await self._content("comm_info_request", content, timeout))

    # -- comms and IOPub -------------------------------------------------------------------

    async def comm_open(
        self,
        target_name: str,
        data: dict[str, Any] | None = None,
        *,
        comm_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        buffers: Sequence[bytes] = (),
    ) -> str:
        """Open a comm to ``target_name`` in the kernel; returns its ``comm_id``."""
        comm_id = comm_id or uuid.uuid4().hex
        content = {"comm_id": comm_id, "target_name": target_name, "data": data or {}}
        await self.send("shell", "comm_open", content, metadata=metadata, buffers=buffers)
        return comm_id

    async def comm_msg(
        self,
        comm_id: str,
        data: dict[str, Any] | None = None,
        *,
        metadata: dict[str, Any] | None = None,
        buffers: Sequence[bytes] = (),
    ) -> None:
        """Send ``data`` on an open comm (the kernel's answers arrive on :meth:`iopub`)."""
        content = {"comm_id": comm_id, "data": data or {}}
        await self.send("shell", "comm_msg", content, metadata=metadata, buffers=buffers)

    async def comm_close(
        self,
        comm_id: str,
        data: dict[str, Any] | None = None,
        *,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Close a comm."""
        content = {"comm_id": comm_id, "data": data or {}}
        await self.send("shell", "comm_close", content, metadata=metadata)
