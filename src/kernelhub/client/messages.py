"""TypedDicts for the message contents the client builds and reads (messaging protocol 5.x).

Reply contents come from kernels we do not control, so every key the client reads is read with
``.get`` and a default (FACTS: real kernels omit ``status`` and other "required" fields).
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

__all__ = [
    "CommInfoReply",
    "CompleteReply",
    "DisplayDataContent",
    "ErrorContent",
    "ExecuteReplyContent",
    "ExecuteRequestContent",
    "ExecuteResultContent",
    "HistoryReply",
    "InputRequestContent",
    "InspectReply",
    "IsCompleteReply",
    "StreamContent",
]


class ExecuteRequestContent(TypedDict):
    """``execute_request`` content, as sent."""

    code: str
    silent: bool
    store_history: bool
    user_expressions: dict[str, str]
    allow_stdin: bool
    stop_on_error: bool


class ExecuteReplyContent(TypedDict, total=False):
    """``execute_reply`` content; ``ename``/``evalue``/``traceback`` only when status is error."""

    status: Literal["ok", "error", "aborted"]
    execution_count: int | None
    user_expressions: dict[str, Any]
    payload: list[dict[str, Any]]
    ename: str
    evalue: str
    traceback: list[str]


class StreamContent(TypedDict):
    """``stream`` content on IOPub."""

    name: str
    text: str


class DisplayDataContent(TypedDict, total=False):
    """``display_data`` / ``update_display_data`` content on IOPub."""

    data: dict[str, Any]
    metadata: dict[str, Any]
    transient: dict[str, Any]


class ExecuteResultContent(DisplayDataContent, total=False):
    """``execute_result`` content on IOPub."""

    execution_count: int | None


class ErrorContent(TypedDict, total=False):
    """``error`` content on IOPub (and the error fields of a reply)."""

    ename: str
    evalue: str
    traceback: list[str]


class InputRequestContent(TypedDict, total=False):
    """``input_request`` content on stdin."""

    prompt: str
    password: bool


class CompleteReply(TypedDict, total=False):
    """``complete_reply`` content."""

    status: str
    matches: list[str]
    cursor_start: int
    cursor_end: int
    metadata: dict[str, Any]


class InspectReply(TypedDict, total=False):
    """``inspect_reply`` content."""

    status: str
    found: bool
    data: dict[str, Any]
    metadata: dict[str, Any]


class IsCompleteReply(TypedDict, total=False):
    """``is_complete_reply`` content; ``indent`` only with status ``incomplete``."""

    status: Literal["complete", "incomplete", "invalid", "unknown"]
    indent: str


class HistoryReply(TypedDict, total=False):
    """``history_reply`` content: ``(session, line_number, input)`` or ``(.., (input, output))``."""

    status: str
    history: list[list[Any]]


class CommInfoReply(TypedDict, total=False):
    """``comm_info_reply`` content (``comms`` may be missing, FACTS)."""

    status: str
    comms: dict[str, dict[str, str]]
