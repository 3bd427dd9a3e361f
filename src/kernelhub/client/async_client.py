"""The asynchronous kernel client: every request of the Jupyter messaging protocol."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from kernelhub.aio import AsyncResource
from kernelhub.client.channels import Channels
from kernelhub.client.execution import Execution, InputHandler, OutputHandler
from kernelhub.client.messages import (
    ExecuteRequestContent,
)
from kernelhub.client.requests import RequestMethods
from kernelhub.client.results import ExecuteResult
from kernelhub.client.subscription import IOPubSubscription
from kernelhub.connection import ConnectionInfo
from kernelhub.errors import ClientClosedError, KernelDiedError, KernelTimeoutError
from kernelhub.protocol import Message, Session

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["AsyncKernelClient"]

# How often the optional ``is_alive`` hook is consulted while requests are waiting.
_LIVENESS_INTERVAL = 0.2


class AsyncKernelClient(RequestMethods, AsyncResource):
    """A connection to one running kernel over its five ZeroMQ channels.

    Sockets are created and connected in ``__aenter__`` and closed (linger 0) by :meth:`aclose`.
    Requests may run concurrently: replies are routed to their requests by parent ``msg_id``.
    ``is_alive``, when given, is consulted while requests wait, so that a dead kernel raises
    :class:`~kernelhub.errors.KernelDiedError` instead of hanging; a manager that knows *why*
    the kernel died calls :meth:`notify_died` instead.
    """

    def __init__(
        self,
        info: ConnectionInfo,
        *,
        session: Session | None = None,
        is_alive: Callable[[], bool] | None = None,
    ) -> None:
        self.info = info
        self.session = session if session is not None else info.session()
        self._is_alive = is_alive
        self._channels: Channels | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._ready = False
        self._closed = False

    async def __aenter__(self) -> Self:
        if self._closed:
            raise ClientClosedError("a closed kernel client cannot be reopened")
        if self._channels is None:
            self._channels = Channels(self.info, self.session)
            try:
                self._channels.open()
            except BaseException:
                await self.aclose()  # no __aexit__ follows a failed __aenter__
                raise
            if self._is_alive is not None:
                self._watchdog = asyncio.create_task(self._watch(), name="kernelhub-liveness")
        return await super().__aenter__()

    async def aclose(self) -> None:
        """Close the sockets; pending and later requests raise ClientClosedError."""
        self._closed = True
        if self._watchdog is not None:
            self._watchdog.cancel()
            await asyncio.gather(self._watchdog, return_exceptions=True)
            self._watchdog = None
        if self._channels is not None:
            await self._channels.aclose()

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has been called."""
        return self._closed

    @property
    def _ch(self) -> Channels:
        channels = self._channels
        if channels is None or channels.closed:
            if self._closed:
                raise ClientClosedError("the kernel client is closed")
            raise ClientClosedError("the kernel client is not open: use 'async with client'")
        if self._is_alive is not None and not self._is_alive():
            raise KernelDiedError("the kernel process is no longer running")
        return channels

    # -- liveness ------------------------------------------------------------------------

    def notify_died(self, reason: str, exit_code: int | None = None) -> None:
        """Fail every request now waiting with :class:`KernelDiedError` (``reason`` says why)."""
        if self._channels is not None:
            self._channels.notify_died(KernelDiedError(reason, exit_code))

    def ignore_iopub(self) -> None:
        """Receive nothing on IOPub from now on (the kernel filters it out at its end), for a
        client that only makes requests and reads their replies, as a manager's own does:
        else it reads, parses and drops every output message, and under a flood they pile up
        in ZeroMQ's queue, which has no bound for clients. Executions and subscriptions on
        this client see no output after it."""
        if self._channels is not None:
            self._channels.ignore_iopub()

    async def _watch(self) -> None:
        assert self._is_alive is not None
        assert self._channels is not None
        channels = self._channels
        while True:
            await asyncio.sleep(_LIVENESS_INTERVAL)
            if channels.waiting and not self._is_alive():
                channels.notify_died(KernelDiedError("the kernel process is no longer running"))

    # -- generic requests ------------------------------------------------------------------

    async def request(
        self,
        channel: str,
        msg_type: str,
        content: dict[str, Any],
        *,
        timeout: float | None = None,
    ) -> Message:
        """Send a request on ``channel`` ("shell" or "control") and return its reply message."""
        ch = self._ch
        msg = self.session.message(msg_type, content)
        return await ch.request(channel, msg, timeout)

    async def kernel_info(self, timeout: float | None = None) -> dict[str, Any]:
        """The kernel's ``kernel_info_reply`` content (language, versions, banner...)."""
        return await self._content("kernel_info_request", {}, timeout)

    async def wait_for_ready(self, timeout: float = 60) -> dict[str, Any]:
        """Wait until the kernel answers on shell *and* our IOPub socket is proven connected.

        A SUB socket only receives what is published after its subscription reached the
        kernel (ZeroMQ's "slow joiner"), so a shell reply alone does not mean outputs will be
        seen. Proof is an ``iopub_welcome`` (kernels with an XPUB socket) or any IOPub message
        caused by one of our ``kernel_info_request``s, which we keep sending until one shows
        up. Returns the ``kernel_info_reply`` content.
        """
        ch = self._ch
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        proof = asyncio.Event()

        def prove(msg: Message) -> None:
            proof.set()

        def welcome(msg: Message) -> None:
            if msg.msg_type == "iopub_welcome":
                proof.set()

        probes: list[str] = []
        ch.subscribe(welcome)
        interval = 0.01
        try:
            while True:
                msg = self.session.message("kernel_info_request", {})
                probes.append(msg.msg_id)
                ch.route(msg.msg_id, iopub=prove)
                ch.listen_iopub()
                remaining = deadline - loop.time()
                reply = await ch.request("shell", msg, max(remaining, 0.0), "wait_for_ready")
                if not proof.is_set():
                    remaining = deadline - loop.time()
                    try:
                        await asyncio.wait_for(proof.wait(), max(min(interval, remaining), 0))
                    # asyncio.TimeoutError: a class of its own before Python 3.11.
                    except asyncio.TimeoutError:
                        if loop.time() >= deadline:
                            raise KernelTimeoutError(
                                f"wait_for_ready: the kernel's IOPub channel did not answer "
                                f"within {timeout:g} s"
                            ) from None
                        interval = min(interval * 2, 0.25)
                        continue
                self._ready = True
                return reply.content
        finally:
            ch.unsubscribe(welcome)
            for msg_id in probes:
                ch.unroute(msg_id)

    async def _ensure_ready(self, timeout: float | None) -> None:
        if not self._ready:
            await self.wait_for_ready(60 if timeout is None else timeout)

    async def shutdown_request(
        self, restart: bool = False, timeout: float | None = 5
    ) -> dict[str, Any] | None:
        """Ask the kernel to exit (on control); its reply content, or None if it did not answer."""
        try:
            return await self._content("shutdown_request", {"restart": restart}, timeout, "control")
        except KernelTimeoutError:
            return None

    async def interrupt_request(self, timeout: float | None = 5) -> dict[str, Any] | None:
        """Interrupt the running code by message (on control); the reply, or None if none came."""
        try:
            return await self._content("interrupt_request", {}, timeout, "control")
        except KernelTimeoutError:
            return None

    async def heartbeat(self, timeout: float = 1) -> bool:
        """Whether the kernel's heartbeat echoes a ping within ``timeout`` seconds."""
        return await self._ch.heartbeat(timeout)

    # -- execution -----------------------------------------------------------------------

    def stream(
        self,
        code: str,
        *,
        silent: bool = False,
        store_history: bool = True,
        user_expressions: dict[str, str] | None = None,
        allow_stdin: bool | None = None,
        stop_on_error: bool = True,
        timeout: float | None = None,
        on_output: OutputHandler | None = None,
        on_input: InputHandler | None = None,
    ) -> Execution:
        """Run ``code``; iterate over the returned :class:`Execution` for outputs as they come.

        The request is sent when iteration starts; ``.result`` holds the
        :class:`ExecuteResult` once iteration has ended. See :meth:`execute` for the arguments.
        """
        ch = self._ch
        content: ExecuteRequestContent = {
            "code": code,
            "silent": silent,
            "store_history": store_history,
            "user_expressions": user_expressions or {},
            "allow_stdin": on_input is not None if allow_stdin is None else allow_stdin,
            "stop_on_error": stop_on_error,
        }
        return Execution(
            ch,
            content,
            timeout=timeout,
            on_output=on_output,
            on_input=on_input,
            before_send=None if self._ready else lambda: self._ensure_ready(timeout),
        )

    async def execute(
        self,
        code: str,
        *,
        silent: bool = False,
        store_history: bool = True,
        user_expressions: dict[str, str] | None = None,
        allow_stdin: bool | None = None,
        stop_on_error: bool = True,
        timeout: float | None = None,
        on_output: OutputHandler | None = None,
        on_input: InputHandler | None = None,
    ) -> ExecuteResult:
        """Run ``code`` and return its result once the kernel is done with it.

        ``on_output`` sees each output as it arrives; ``on_input`` answers ``input()`` (without
        it, and unless ``allow_stdin`` says otherwise, the kernel is told stdin is not
        available). ``timeout`` bounds the whole execution and raises
        :class:`~kernelhub.errors.KernelTimeoutError` (the code keeps running: interrupt it).
        """
        execution = self.stream(
            code,
            silent=silent,
            store_history=store_history,
            user_expressions=user_expressions,
            allow_stdin=allow_stdin,
            stop_on_error=stop_on_error,
            timeout=timeout,
            on_output=on_output,
            on_input=on_input,
        )
        return await execution.run()

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
        ch = self._ch
        msg = self.session.message(msg_type, content, metadata=metadata, buffers=buffers)
        await ch.send(channel, msg)

    def iopub(self, maxsize: int = 10_000) -> IOPubSubscription:
        """Subscribe to every IOPub message from now on (a bounded queue; oldest dropped)."""
        return IOPubSubscription(self._ch, maxsize)
