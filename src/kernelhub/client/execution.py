"""One ``execute_request`` in flight: its outputs, its input requests, its end.

The end of an execution is the IOPub ``status: idle`` whose parent is our request *and* the
shell ``execute_reply``: they travel on different sockets, so either may come first, and the
reply often overtakes the last outputs. Only both together mean every output has been seen.

Messages are processed as they arrive, inside the channel's receiver; the task that awaits the
execution is woken only when it has something to do (an output to hand to a callback or an
iterator, an input request, the end), not once per message.
"""

from __future__ import annotations

import asyncio
import inspect
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from kernelhub.aio import AsyncResource
from kernelhub.client import _fields
from kernelhub.client.channels import Channels, Failable
from kernelhub.client.messages import ExecuteRequestContent
from kernelhub.client.results import (
    ErrorOutput,
    ExecuteResult,
    InputRequest,
    Output,
    output_from_iopub,
)
from kernelhub.errors import KernelTimeoutError, RemoteProtocolError, WrongStateError
from kernelhub.protocol import Message

__all__ = ["Execution", "InputHandler", "OutputHandler"]

OutputHandler = Callable[[Output], Any]
"""Called with each output as it arrives; may return an awaitable, which is awaited."""
InputHandler = Callable[[InputRequest], "str | Awaitable[str]"]
"""Answers the kernel's ``input()``: returns (or resolves to) the line, without newline."""


class Execution(Failable, AsyncResource):
    """An execution, iterated for its outputs as they arrive; ``result`` once it is over.

    Returned by :meth:`AsyncKernelClient.stream`. Use it as ``async with client.stream(code) as
    outputs: async for out in outputs: ...``; leaving the block early stops listening (the code
    keeps running in the kernel). ``on_output`` and ``on_input`` callbacks run in the task that
    iterates, so their exceptions propagate to it.
    """

    wants_outputs = True

    def __init__(
        self,
        channels: Channels,
        content: ExecuteRequestContent,
        *,
        timeout: float | None = None,
        on_output: OutputHandler | None = None,
        on_input: InputHandler | None = None,
        before_send: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self._channels = channels
        self._content = content
        self._timeout = timeout
        self._on_output = on_output
        self._on_input = on_input
        self._before_send = before_send
        # Whether the awaiting task wants each output as it comes (iteration, callbacks).
        self._per_output = on_output is not None
        self._outputs: list[Output] = []
        self._handed = 0  # outputs already handed to the iterator / callback
        self._inputs: deque[Message] = deque()
        self._wake: asyncio.Future[None] | None = None
        self._error: BaseException | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._reply: Message | None = None
        self._idle = False
        self._lazy = False  # counted by channels.route(lazy=True)
        self._done = False
        self._started = False
        self._closed = False
        self._result: ExecuteResult | None = None
        self.msg_id = ""

    # -- fed by the channel receivers ----------------------------------------------------

    def _notify(self) -> None:
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)

    def _on_iopub(self, msg: Message) -> None:
        msg_type = msg.msg_type
        # Called by the channel's receiver, which only logs what escapes: the execution's
        # own task must hear that a message of its own could not be read.
        try:
            if msg_type == "status":
                state = _fields.text(msg.content, "execution_state", msg_type)
                if state == "idle":
                    self._idle = True
                    if self._reply is not None:
                        self._done = True
                        self._notify()
                return
            out = output_from_iopub(msg_type, msg.content)
        except RemoteProtocolError as exc:
            self.fail(exc)
            return
        if out is not None:
            self._outputs.append(out)
            if self._per_output:
                self._notify()

    def _on_reply(self, msg: Message) -> None:
        self._reply = msg
        if self._lazy:
            # Now the outputs are wanted: read what IOPub has queued (idle may be there).
            self._lazy = False
            self._channels.hurry()
            self._channels.drain_iopub()
        # Aborted requests may get no busy/idle pair from some kernels.
        if self._idle or msg.content.get("status") in ("aborted", "abort"):
            self._done = True
            self._notify()

    def _on_stdin(self, msg: Message) -> None:
        if msg.msg_type == "input_request":
            self._inputs.append(msg)
            self._notify()

    def fail(self, exc: BaseException) -> None:
        """Stop waiting: the awaiting task raises ``exc``."""
        if self._error is None:
            self._error = exc
        self._notify()

    def _expire(self) -> None:
        self.fail(
            KernelTimeoutError(
                f"execute_request: the kernel did not finish within {self._timeout:g} s"
            )
        )

    # -- lifecycle -----------------------------------------------------------------------

    async def _start(self) -> None:
        self._started = True
        channels = self._channels
        channels.check_open()
        if self._before_send is not None:
            await self._before_send()
        msg = channels.session.message("execute_request", self._content)
        self.msg_id = msg_id = msg.msg_id
        self._lazy = not self._per_output
        channels.route(
            msg_id,
            reply=self._on_reply,
            iopub=self._on_iopub,
            stdin=self._on_stdin,
            owner=self,
            lazy=self._lazy,
        )
        channels.watch(self)
        if self._per_output:
            channels.listen_iopub()
        if self._timeout is not None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self._timeout, self._expire)
        await channels.send("shell", msg)

    def _stop(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
        channels = self._channels
        channels.unroute(self.msg_id, lazy=self._lazy)
        channels.unwatch(self)
        self._lazy = False

    async def aclose(self) -> None:
        """Stop listening for this execution (the kernel is not interrupted)."""
        self._stop()

    @property
    def result(self) -> ExecuteResult:
        """The final result; available once iteration has ended."""
        if self._result is None:
            raise WrongStateError("the execution has not finished: iterate over it first")
        return self._result

    # -- waiting -------------------------------------------------------------------------

    async def _sleep(self) -> None:
        self._wake = asyncio.get_running_loop().create_future()
        try:
            await self._wake
        finally:
            self._wake = None

    async def _step(self) -> Output | None:
        """The next output for the awaiting task, or ``None`` when the execution is over."""
        if not self._started:
            await self._start()
        while True:
            if self._handed < len(self._outputs) and self._per_output:
                out = self._outputs[self._handed]
                self._handed += 1
                if self._on_output is not None:
                    ret = self._on_output(out)
                    if inspect.isawaitable(ret):
                        await ret
                return out
            if self._inputs:
                await self._answer(self._inputs.popleft())
                continue
            if self._error is not None:
                self._stop()
                raise self._error
            if self._done and self._reply is not None:
                self._stop()
                self._result = self._build(self._reply)
                return None
            if self._closed:
                return None
            await self._sleep()

    def __aiter__(self) -> Execution:
        self._per_output = True
        return self

    async def __anext__(self) -> Output:
        out = await self._step()
        if out is None:
            raise StopAsyncIteration
        return out

    async def run(self) -> ExecuteResult:
        """Run to the end (callbacks still see each output) and return the result."""
        try:
            while await self._step() is not None:
                pass
        finally:
            self._stop()
        return self.result

    async def _answer(self, msg: Message) -> None:
        content = msg.content
        try:
            request = InputRequest(
                _fields.text(content, "prompt", "input_request"),
                _fields.flag(content, "password", "input_request"),
            )
        except RemoteProtocolError:
            await self._reply_input(msg, "")  # the kernel must not wait for ever either
            raise
        if self._on_input is None:
            value = ""  # allow_stdin was forced on without a handler: answer, never hang
        else:
            answer = self._on_input(request)
            value = await answer if inspect.isawaitable(answer) else answer
        await self._reply_input(msg, str(value))

    async def _reply_input(self, msg: Message, value: str) -> None:
        channels = self._channels
        reply = channels.session.message("input_reply", {"value": value}, parent=msg)
        await channels.send("stdin", reply)

    def _build(self, reply: Message) -> ExecuteResult:
        content = reply.content
        outputs = self._outputs
        error = None
        status = _fields.status(content, "execute_reply")
        if status is None and any(isinstance(o, ErrorOutput) for o in outputs):
            status = "error"
        if status == "error":
            if "ename" in content:
                error = ErrorOutput.from_content(content, "execute_reply")
            else:
                error = next((o for o in reversed(outputs) if isinstance(o, ErrorOutput)), None)
        return ExecuteResult(
            status=status or "ok",
            execution_count=_fields.count(content),
            outputs=tuple(outputs),
            error=error,
            reply=content,
        )
