"""Sessions: which notebook (path, name, type) uses which kernel. Kept in memory.

:class:`SessionStore` is the whole interface; a persistent store wraps or replaces it. Every
change is reported to :attr:`SessionStore.listeners` as ``listener(kind, session)`` with
``kind`` one of ``"created"``, ``"updated"``, ``"deleted"`` (the session after the change, or
the one removed), so that a state store can write it through; :meth:`SessionStore.load`
puts sessions back after a restart without reporting them.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from kernelhub.errors import NoSuchKernelError, close_matches

__all__ = ["ChangeKind", "Session", "SessionListener", "SessionStore"]

log = logging.getLogger("kernelhub.server")

ChangeKind = Literal["created", "updated", "deleted"]


@dataclass(frozen=True)
class Session:
    """One session: its id, the notebook's ``path``, ``name`` and ``type``, and its kernel."""

    id: str
    path: str
    name: str
    type: str
    kernel_id: str

    def to_json(self) -> dict[str, Any]:
        """A plain dict (for persistence)."""
        return dataclasses.asdict(self)


SessionListener = Callable[[ChangeKind, Session], None]


class SessionStore:
    """Sessions by id, in creation order (see the module docstring)."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        self.listeners: list[SessionListener] = []

    def _tell(self, kind: ChangeKind, session: Session) -> None:
        for listener in list(self.listeners):
            try:
                listener(kind, session)
            except Exception:
                log.exception("session listener %r failed", listener)

    def load(self, sessions: Iterable[Session]) -> None:
        """Put back sessions saved before (no listener is told)."""
        for session in sessions:
            self._sessions[session.id] = session

    def create(
        self, *, path: str, name: str, type: str, kernel_id: str, session_id: str | None = None
    ) -> Session:
        """A new session."""
        session = Session(session_id or str(uuid.uuid4()), path, name, type, kernel_id)
        self._sessions[session.id] = session
        self._tell("created", session)
        return session

    def get(self, session_id: str) -> Session:
        """The session with this id (NoSuchKernelError, with close ids, if none)."""
        session = self._sessions.get(session_id)
        if session is None:
            hint = close_matches(session_id, self._sessions)
            raise NoSuchKernelError(session_id, hint, what="session")
        return session

    def all(self) -> list[Session]:
        """Every session, oldest first."""
        return list(self._sessions.values())

    def find(self, *, path: str | None = None, kernel_id: str | None = None) -> list[Session]:
        """The sessions with this path and/or kernel."""
        return [
            s
            for s in self._sessions.values()
            if (path is None or s.path == path) and (kernel_id is None or s.kernel_id == kernel_id)
        ]

    def update(self, session_id: str, **changes: str) -> Session:
        """Change ``path``, ``name``, ``type`` or ``kernel_id`` of a session."""
        session = dataclasses.replace(self.get(session_id), **changes)
        self._sessions[session_id] = session
        self._tell("updated", session)
        return session

    def delete(self, session_id: str) -> Session:
        """Remove a session; return it."""
        session = self.get(session_id)
        del self._sessions[session_id]
        self._tell("deleted", session)
        return session
