"""The blocking client: :class:`AsyncKernelClient` driven from a background event loop.

Every method calls the async client's method of the same name through a
:class:`~kernelhub.client.portal.BlockingPortal`; nothing is implemented twice. Callbacks
(``on_output``, ``on_input``) run in the caller's thread, so they may block (``input()``) and
their exceptions reach the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

from kernelhub.aio import BlockingResource
from kernelhub.client.async_client import AsyncKernelClient
from kernelhub.client.blocking_streams import BlockingExecution, BlockingIOPub
from kernelhub.client.messages import (
    CommInfoReply,
    CompleteReply,
    HistoryReply,
    InspectReply,
    IsCompleteReply,
)
from kernelhub.client.portal import BlockingPortal
from kernelhub.client.results import ExecuteResult, InputRequest, Output
from kernelhub.client.subscription import IOPubSubscription
from kernelhub.connection import ConnectionInfo
from kernelhub.protocol import Message, Session

__all__ = ["BlockingExecution", "BlockingIOPub", "BlockingKernelClient"]


class BlockingKernelClient(BlockingResource):
    """The methods of :class:`AsyncKernelClient`, blocking; connected on construction.

    Use ``with BlockingKernelClient(info) as client:`` or call :meth:`close`, which closes the
    sockets and stops the background thread.
    """

    def __init__(
        self,
        info: ConnectionInfo,
        *,
        session: Session | None = None,
        is_alive: Callable[[], bool] | None = None,
    ) -> None:
        self._portal = BlockingPortal()
        self._owns_portal = True
        self.client = AsyncKernelClient(info, session=session, is_alive=is_alive)
        """The async client doing the work, on :attr:`portal`'s loop."""
        # The client is entered on the portal's loop and left by close().
        self._opened = AsyncExitStack()
        try:
            self._portal.call(self._opened.enter_async_context, self.client)
        except BaseException:
            self._portal.stop()
            raise

    @classmethod
    def wrap(cls, client: AsyncKernelClient, portal: BlockingPortal) -> BlockingKernelClient:
        """A blocking view of an open ``client`` that lives on ``portal``'s loop.

        :meth:`close` then closes the client but leaves the portal to its owner.
        """
        self = cls.__new__(cls)
        self._portal = portal
        self._owns_portal = False
        self.client = client
        self._opened = AsyncExitStack()
        self._opened.push_async_callback(client.aclose)
        return self

    @property
    def portal(self) -> BlockingPortal:
        """The portal whose loop runs the async client."""
        return self._portal

    def close(self) -> None:
        """Close the client and stop its thread."""
        try:
            if not self.client.closed:
                self._portal.call(self._opened.aclose)
        finally:
            if self._owns_portal:
                self._portal.stop()

    def wait_for_ready(self, timeout: float = 60) -> dict[str, Any]:
        """See :meth:`AsyncKernelClient.wait_for_ready`."""
        return self._portal.call(self.client.wait_for_ready, timeout)

    def kernel_info(self, timeout: float | None = None) -> dict[str, Any]:
        """See :meth:`AsyncKernelClient.kernel_info`."""
        return self._portal.call(self.client.kernel_info, timeout)

    def shutdown_request(
        self, restart: bool = False, timeout: float | None = 5
    ) -> dict[str, Any] | None:
        """See :meth:`AsyncKernelClient.shutdown_request`."""
        return self._portal.call(self.client.shutdown_request, restart, timeout)

    def interrupt_request(self, timeout: float | None = 5) -> dict[str, Any] | None:
        """See :meth:`AsyncKernelClient.interrupt_request`."""
        return self._portal.call(self.client.interrupt_request, timeout)

    def heartbeat(self, timeout: float = 1) -> bool:
        """See :meth:`AsyncKernelClient.heartbeat`."""
        return self._portal.call(self.client.heartbeat, timeout)

    def execute(
        self,
        code: str,
        *,
        on_output: Callable[[Output], Any] | None = None,
        on_input: Callable[[InputRequest], str] | None = None,
        **kwargs: Any,
    ) -> ExecuteResult:
        """See :meth:`AsyncKernelClient.execute`; callbacks run in this thread."""
        if on_output is None and on_input is None:
            return self._portal.call(self.client.execute, code, **kwargs)
        with self.stream(code, on_input=on_input, **kwargs) as execution:
            for out in execution:
                if on_output is not None:
                    on_output(out)
            return execution.result

    def stream(
        self, code: str, *, on_input: Callable[[InputRequest], str] | None = None, **kwargs: Any
    ) -> BlockingExecution:
        """See :meth:`AsyncKernelClient.stream`: iterate over outputs, then ``.result``."""
        return BlockingExecution(self._portal, self.client, code, on_input, kwargs)

    def complete(self, code: str, cursor_pos: int | None = None, **kw: Any) -> CompleteReply:
        """See :meth:`AsyncKernelClient.complete`."""
        return self._portal.call(self.client.complete, code, cursor_pos, **kw)

    def inspect(
        self, code: str, cursor_pos: int | None = None, detail_level: int = 0, **kw: Any
    ) -> InspectReply:
        """See :meth:`AsyncKernelClient.inspect`."""
        return self._portal.call(self.client.inspect, code, cursor_pos, detail_level, **kw)

    def is_complete(self, code: str, **kw: Any) -> IsCompleteReply:
        """See :meth:`AsyncKernelClient.is_complete`."""
        return self._portal.call(self.client.is_complete, code, **kw)

    def history(self, **kw: Any) -> HistoryReply:
        """See :meth:`AsyncKernelClient.history`."""
        return self._portal.call(self.client.history, **kw)

    def comm_info(self, target_name: str | None = None, **kw: Any) -> CommInfoReply:
        """See :meth:`AsyncKernelClient.comm_info`."""
        return self._portal.call(self.client.comm_info, target_name, **kw)

    def comm_open(self, target_name: str, data: dict[str, Any] | None = None, **kw: Any) -> str:
        """See :meth:`AsyncKernelClient.comm_open`."""
        return self._portal.call(self.client.comm_open, target_name, data, **kw)

    def comm_msg(self, comm_id: str, data: dict[str, Any] | None = None, **kw: Any) -> None:
        """See :meth:`AsyncKernelClient.comm_msg`."""
        self._portal.call(self.client.comm_msg, comm_id, data, **kw)

    def comm_close(self, comm_id: str, data: dict[str, Any] | None = None, **kw: Any) -> None:
        """See :meth:`AsyncKernelClient.comm_close`."""
        self._portal.call(self.client.comm_close, comm_id, data, **kw)

    def request(
        self, channel: str, msg_type: str, content: dict[str, Any], *, timeout: float | None = None
    ) -> Message:
        """See :meth:`AsyncKernelClient.request`."""
        return self._portal.call(self.client.request, channel, msg_type, content, timeout=timeout)

    def iopub(self, maxsize: int = 10_000) -> BlockingIOPub:
        """See :meth:`AsyncKernelClient.iopub`."""

        async def subscribe() -> IOPubSubscription:
            return self.client.iopub(maxsize)

        return BlockingIOPub(self._portal, self._portal.call(subscribe))

    def notify_died(self, reason: str, exit_code: int | None = None) -> None:
        """See :meth:`AsyncKernelClient.notify_died` (safe from any thread)."""
        self._portal.loop.call_soon_threadsafe(self.client.notify_died, reason, exit_code)
