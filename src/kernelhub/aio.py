"""Two small async building blocks every layer uses: a resource base class and a deadline.

:class:`AsyncResource` is the one way a kernelhub object that holds something open (sockets, a
process, a task) is closed: ``await obj.aclose()``, or ``async with obj:``. Subclasses write
``aclose()`` only; a subclass whose ``async with`` must also *open* something overrides
``__aenter__`` and calls ``super().__aenter__()`` last. :class:`BlockingResource` is the same
for the blocking facades: ``close()``, or ``with obj:``.

:class:`Deadline` is one bound shared by several waits in a row (start a process, wait for its
ports, wait for its first reply): each wait asks ``remaining()`` instead of redoing the
arithmetic, and ``expired`` says when the bound has run out.
"""

from __future__ import annotations

import abc
import time
from types import TracebackType
from typing import TypeVar

__all__ = ["AsyncResource", "BlockingResource", "Deadline"]

_R = TypeVar("_R", bound="AsyncResource")
_B = TypeVar("_B", bound="BlockingResource")


class AsyncResource(abc.ABC):
    """Something that must be closed: ``aclose()``, also run on leaving ``async with``."""

    __slots__ = ()

    @abc.abstractmethod
    async def aclose(self) -> None:
        """Release what this object holds. Safe to call more than once."""

    async def __aenter__(self: _R) -> _R:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class BlockingResource(abc.ABC):
    """The blocking counterpart of :class:`AsyncResource`: ``close()``, also run on leaving
    ``with``."""

    __slots__ = ()

    @abc.abstractmethod
    def close(self) -> None:
        """Release what this object holds. Safe to call more than once."""

    def __enter__(self: _B) -> _B:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Deadline:
    """A point on the monotonic clock ``seconds`` from now (``None``: no bound at all)."""

    __slots__ = ("_at",)

    def __init__(self, seconds: float | None) -> None:
        self._at = None if seconds is None else time.monotonic() + seconds

    @classmethod
    def never(cls) -> Deadline:
        """A deadline that never runs out."""
        return cls(None)

    def remaining(self) -> float | None:
        """Seconds left (never negative), or ``None`` when there is no bound."""
        if self._at is None:
            return None
        return max(self._at - time.monotonic(), 0.0)

    def within(self, seconds: float) -> float:
        """The smaller of ``seconds`` and what is left: one step's bound inside this one."""
        left = self.remaining()
        return seconds if left is None else min(seconds, left)

    @property
    def expired(self) -> bool:
        """Whether the bound has run out."""
        return self._at is not None and time.monotonic() >= self._at

    def __repr__(self) -> str:
        left = self.remaining()
        return "Deadline(never)" if left is None else f"Deadline({left:.3f}s left)"
