"""What an execution produces: output records and the final :class:`ExecuteResult`.

Records are frozen and hold the kernel's own dicts (``data``, ``metadata``) without copying:
the client never mutates a message after parsing it, and copying every output costs CPU on the
hot path that the benchmark measures. What a kernel sent is read by :mod:`._fields`' rule, so a
record built from a message always has the types it declares; a field that cannot be read
raises :class:`~kernelhub.errors.RemoteProtocolError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from kernelhub.client import _fields

__all__ = [
    "DisplayOutput",
    "ErrorOutput",
    "ExecuteResult",
    "InputRequest",
    "Output",
    "ResultOutput",
    "StreamOutput",
    "output_from_iopub",
]


@dataclass(frozen=True)
class StreamOutput:
    """Text the kernel wrote to ``stdout`` or ``stderr`` (``name``)."""

    name: str
    text: str
    output_type: Literal["stream"] = "stream"

    def to_nbformat(self) -> dict[str, Any]:
        """The notebook-format output dict."""
        return {"output_type": "stream", "name": self.name, "text": self.text}


@dataclass(frozen=True)
class DisplayOutput:
    """A ``display_data`` (or, with ``update`` true, ``update_display_data``) output."""

    data: Mapping[str, Any]
    metadata: Mapping[str, Any] = field(default_factory=dict)
    transient: Mapping[str, Any] = field(default_factory=dict)
    update: bool = False

    @property
    def output_type(self) -> Literal["display_data", "update_display_data"]:
        """The IOPub message type this output came from."""
        return "update_display_data" if self.update else "display_data"

    @property
    def text(self) -> str:
        """The ``text/plain`` representation ("" when the kernel sent none)."""
        return _fields.plain(self.data)

    def to_nbformat(self) -> dict[str, Any]:
        """The notebook-format output dict (transient data is not saved, by definition)."""
        return {
            "output_type": "display_data",
            "data": dict(self.data),
            "metadata": dict(self.metadata),
        }


@dataclass(frozen=True)
class ResultOutput:
    """An ``execute_result``: the value of the cell's last expression."""

    data: Mapping[str, Any]
    metadata: Mapping[str, Any] = field(default_factory=dict)
    execution_count: int | None = None
    output_type: Literal["execute_result"] = "execute_result"

    @property
    def text(self) -> str:
        """The ``text/plain`` representation ("" when the kernel sent none)."""
        return _fields.plain(self.data)

    def to_nbformat(self) -> dict[str, Any]:
        """The notebook-format output dict."""
        return {
            "output_type": "execute_result",
            "data": dict(self.data),
            "metadata": dict(self.metadata),
            "execution_count": self.execution_count,
        }


@dataclass(frozen=True)
class ErrorOutput:
    """An exception raised by the code: its name, value and (ANSI-coloured) traceback lines."""

    ename: str
    evalue: str
    traceback: tuple[str, ...] = ()
    output_type: Literal["error"] = "error"

    def to_nbformat(self) -> dict[str, Any]:
        """The notebook-format output dict."""
        return {
            "output_type": "error",
            "ename": self.ename,
            "evalue": self.evalue,
            "traceback": list(self.traceback),
        }

    @classmethod
    def from_content(cls, content: Mapping[str, Any], what: str = "error") -> ErrorOutput:
        """Build from an ``error`` message or an error reply (``what``), tolerating missing
        fields; raises RemoteProtocolError for fields that cannot be read."""
        return cls(
            _fields.text(content, "ename", what),
            _fields.text(content, "evalue", what),
            _fields.lines(content, "traceback", what),
        )


Output = StreamOutput | DisplayOutput | ResultOutput | ErrorOutput
"""Any one output of an execution."""


@dataclass(frozen=True)
class InputRequest:
    """The kernel asks for a line of input (``input()``, ``getpass()`` when ``password``)."""

    prompt: str
    password: bool = False


def output_from_iopub(msg_type: str, content: Mapping[str, Any]) -> Output | None:
    """The output an IOPub message carries, or ``None`` for messages that are not outputs.

    Raises :class:`~kernelhub.errors.RemoteProtocolError` when a field the output is made of
    has a type that cannot be read (see :mod:`kernelhub.client._fields`).
    """
    if msg_type == "stream":
        return StreamOutput(
            _fields.text(content, "name", msg_type, "stdout"),
            _fields.text(content, "text", msg_type),
        )
    if msg_type == "execute_result":
        return ResultOutput(
            _fields.mapping(content, "data", msg_type),
            _fields.aux(content, "metadata"),
            _fields.count(content),
        )
    if msg_type in ("display_data", "update_display_data"):
        return DisplayOutput(
            _fields.mapping(content, "data", msg_type),
            _fields.aux(content, "metadata"),
            _fields.aux(content, "transient"),
            msg_type == "update_display_data",
        )
    if msg_type == "error":
        return ErrorOutput.from_content(content)
    return None


@dataclass(frozen=True)
class ExecuteResult:
    """The outcome of one ``execute_request``.

    ``status`` is always ``"ok"``, ``"error"`` (the code raised; ``error`` says what) or
    ``"aborted"`` (an earlier cell failed with ``stop_on_error``): a reply without one is read
    from its outputs, and one with any other is a
    :class:`~kernelhub.errors.RemoteProtocolError`. ``outputs`` are in the order the kernel
    published them; ``reply`` is the raw ``execute_reply`` content.
    """

    status: str
    execution_count: int | None
    outputs: tuple[Output, ...] = ()
    error: ErrorOutput | None = None
    reply: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the code ran without raising."""
        return self.status == "ok"

    @property
    def text(self) -> str:
        """Everything the code printed plus the ``text/plain`` of its displays and results.

        Streams are concatenated as they are; each rich output starts on a new line.
        """
        parts: list[str] = []
        for out in self.outputs:
            if isinstance(out, StreamOutput):
                parts.append(out.text)
            elif isinstance(out, (ResultOutput, DisplayOutput)) and out.text:
                if parts and not parts[-1].endswith("\n"):
                    parts.append("\n")
                parts.append(out.text)
        return "".join(parts)

    @property
    def stdout(self) -> str:
        """Everything the code wrote to stdout."""
        return "".join(
            o.text for o in self.outputs if isinstance(o, StreamOutput) and o.name == "stdout"
        )

    @property
    def stderr(self) -> str:
        """Everything the code wrote to stderr."""
        return "".join(
            o.text for o in self.outputs if isinstance(o, StreamOutput) and o.name == "stderr"
        )
