"""Talking to a running kernel: the async client, its blocking facade, and execution results.

:class:`AsyncKernelClient` is the implementation; :class:`BlockingKernelClient` runs it on an
event loop in a background thread and offers the same methods without ``await``.
"""

from __future__ import annotations

from kernelhub.client.async_client import AsyncKernelClient
from kernelhub.client.blocking import BlockingExecution, BlockingIOPub, BlockingKernelClient
from kernelhub.client.execution import Execution, InputHandler, OutputHandler
from kernelhub.client.portal import BlockingPortal
from kernelhub.client.results import (
    DisplayOutput,
    ErrorOutput,
    ExecuteResult,
    InputRequest,
    Output,
    ResultOutput,
    StreamOutput,
)
from kernelhub.client.subscription import IOPubSubscription

__all__ = [
    "AsyncKernelClient",
    "BlockingExecution",
    "BlockingIOPub",
    "BlockingKernelClient",
    "BlockingPortal",
    "DisplayOutput",
    "ErrorOutput",
    "ExecuteResult",
    "Execution",
    "IOPubSubscription",
    "InputHandler",
    "InputRequest",
    "Output",
    "OutputHandler",
    "ResultOutput",
    "StreamOutput",
]
