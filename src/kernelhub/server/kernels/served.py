"""What the hub records of each kernel, and what a start asks for.

:class:`ServedKernel` is the live model of one running kernel (the REST API's Kernel model):
the hub sets ``execution_state`` at start, restart and death; beyond those, whoever reads
IOPub (the WebSocket bridge) sets it and calls :meth:`ServedKernel.touch`, and keeps
``connections``. :class:`StartRequest` and :data:`Starter` are the pool hook's request and
signature (see :mod:`kernelhub.server.kernels.hub`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from kernelhub.manager import KernelManager
from kernelhub.providers.base import KernelType

__all__ = ["ServedKernel", "StartRequest", "Starter", "iso", "utcnow"]


def utcnow() -> datetime:
    """Now, UTC-aware."""
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    """``moment`` as the API writes times: UTC, microseconds, ``Z``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(eq=False)
class ServedKernel:
    """The live model of one running kernel (mutable; see the module docstring)."""

    id: str
    name: str
    kernel_type: KernelType
    manager: KernelManager
    path: str | None
    last_activity: datetime = field(default_factory=utcnow)
    execution_state: str = "starting"
    connections: int = 0
    reason: str | None = None

    def touch(self) -> None:
        """Record activity now."""
        self.last_activity = utcnow()

    def model(self) -> dict[str, Any]:
        """The Kernel model of Jupyter Server's api.yaml."""
        model: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "last_activity": iso(self.last_activity),
            "execution_state": self.execution_state,
            "connections": self.connections,
        }
        if self.reason is not None:
            model["reason"] = self.reason
        return model


@dataclass(frozen=True)
class StartRequest:
    """A resolved start: the type, its API name, the absolute working directory, extra
    environment, launch parameters and the kernel id asked for (``None``: a new one)."""

    kernel_type: KernelType
    name: str
    cwd: str | None
    env: Mapping[str, str]
    launch_params: Mapping[str, Any]
    kernel_id: str | None = None


#: The pool hook's signature (see :mod:`kernelhub.server.kernels.hub`).
Starter = Callable[[StartRequest], Awaitable[KernelManager | None]]
