"""The server's state in SQLite: kernels and sessions, kept so that a new server re-attaches them.

One database file, ``kernelhub-state.db`` in ``config.state_dir`` (default: the Jupyter runtime
directory), mode 0600 because it holds each kernel's connection info and therefore its key
(which is never logged), in WAL mode so a write costs well under a millisecond. Tables:

- ``servers``: the servers using the file (id, pid, start time). Several ``kernelhub serve``
  may share one runtime directory; each owns its own kernels. A new server claims the kernels
  of servers that are gone (their pid is dead or reused), never those of a live one.
- ``kernels``: one row per kernel a server owns: API name, kernel type (its whole JSON form,
  so a restart runs the same argv even if the type has since vanished), connection info and
  file, the process's identity (pid, start time, argv: pids get reused), env and launch
  parameters (a restart needs them), cwd, times, state, reason, log path. Pool kernels are
  rows too (``pooled``): they run detached, and a crash must not leave them unmanaged.
- ``sessions``: every session (written through from :class:`SessionStore`'s listeners).

:class:`StateStore` is a hub :class:`~kernelhub.server.kernels.attachments.Attachment`: it writes
each start, event and stop through, and every ``FLUSH_INTERVAL`` seconds it writes the activity the
bridge records on the models (``last_activity``, ``execution_state``) without any event.
Re-attaching is :mod:`kernelhub.server.state.reattach`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sqlite3
import uuid
from datetime import datetime, timezone
from typing import Any

from kernelhub import paths
from kernelhub.aio import AsyncResource
from kernelhub.launchers.adopted import identify
from kernelhub.manager import KernelManager
from kernelhub.manager.events import KernelEvent
from kernelhub.server.kernels.served import ServedKernel
from kernelhub.server.kernels.sessions import ChangeKind, Session, SessionStore
from kernelhub.server.state.db import COLUMNS, JSON_COLUMNS, KernelRecord, open_db

__all__ = ["FLUSH_INTERVAL", "StateStore"]

log = logging.getLogger("kernelhub.server")

#: How often activity that raised no event is written (seconds).
FLUSH_INTERVAL = 10.0
_FILE = "kernelhub-state.db"


class StateStore(AsyncResource):
    """The state database (see the module docstring). Use :meth:`open`, then :meth:`aclose`."""

    def __init__(self, db: sqlite3.Connection, path: str) -> None:
        self.db = db
        self.path = path
        self.server_id = uuid.uuid4().hex
        self._kernels: dict[str, ServedKernel] = {}
        self._flusher: asyncio.Task[None] | None = None

    @classmethod
    def open(cls, state_dir: str | None) -> StateStore:
        """Open (create) the database in ``state_dir`` (``None``: the runtime dir) and
        register this server in it."""
        path = os.path.join(state_dir or paths.runtime_dir(), _FILE)
        store = cls(open_db(path), path)
        me = identify(os.getpid())
        store.db.execute(
            "INSERT INTO servers VALUES (?, ?, ?)",
            (store.server_id, os.getpid(), me.create_time if me else None),
        )
        return store

    # -- claiming kernels after a restart ------------------------------------------------

    def claim_orphans(self) -> list[KernelRecord]:
        """Take over the kernels of every server that is gone; return this server's rows."""
        with self._transaction():
            for server, pid, create_time in self.db.execute("SELECT * FROM servers").fetchall():
                if server == self.server_id or _alive(pid, create_time):
                    continue
                self.db.execute(
                    "UPDATE kernels SET server=? WHERE server=?", (self.server_id, server)
                )
                self.db.execute("DELETE FROM servers WHERE id=?", (server,))
            # Rows of a server that has no row: it stopped cleanly (it unregistered, leaving
            # its kernels running for the next server), or the file was edited by hand.
            self.db.execute(
                "UPDATE kernels SET server=? WHERE server NOT IN (SELECT id FROM servers)",
                (self.server_id,),
            )
        return self.records()

    def records(self) -> list[KernelRecord]:
        """This server's kernel rows, oldest first."""
        cursor = self.db.execute(
            f"SELECT {', '.join(COLUMNS)} FROM kernels WHERE server=? ORDER BY started",
            (self.server_id,),
        )
        rows = []
        for row in cursor.fetchall():
            values = dict(zip(COLUMNS, row, strict=True))
            for key in JSON_COLUMNS:
                values[key] = json.loads(values[key] or ("[]" if key == "cmdline" else "{}"))
            rows.append(KernelRecord(**values))
        return rows

    def sessions(self) -> list[Session]:
        """Every saved session."""
        rows = self.db.execute("SELECT id, path, name, type, kernel_id FROM sessions")
        return [Session(*row) for row in rows.fetchall()]

    # -- writing -------------------------------------------------------------------------

    def save_kernel(self, kernel: ServedKernel, *, pooled: bool = False) -> None:
        """Write ``kernel``'s row (insert or replace)."""
        self._kernels[kernel.id] = kernel
        self.save_manager(kernel.manager, kernel.name, pooled=pooled, kernel=kernel)

    def save_manager(
        self,
        manager: KernelManager,
        name: str,
        *,
        pooled: bool = False,
        kernel: ServedKernel | None = None,
    ) -> None:
        """Write the row of a running manager (a pool kernel has no ServedKernel yet)."""
        info = manager.connection_info
        if info is None or manager.pid is None:
            return
        me = identify(manager.pid)
        now = datetime.now(timezone.utc).timestamp()
        row = {
            "id": manager.kernel_id,
            "server": self.server_id,
            "name": name,
            "kernel_type": json.dumps(manager.kernel_type.to_json()),
            "connection": json.dumps(info.to_dict()),
            "connection_file": manager.connection_file,
            "pid": manager.pid,
            "create_time": me.create_time if me else None,
            "cmdline": json.dumps(list(me.cmdline) if me else []),
            "env": json.dumps(manager.env),
            "launch_params": json.dumps(manager.launch_params),
            "cwd": manager.cwd,
            "started": now,
            "last_activity": kernel.last_activity.timestamp() if kernel else now,
            "state": kernel.execution_state if kernel else "pooled",
            "reason": kernel.reason if kernel else None,
            "log_path": manager.log_path,
            "pooled": int(pooled),
        }
        old = self.db.execute("SELECT started FROM kernels WHERE id=?", (row["id"],)).fetchone()
        if old is not None:
            row["started"] = old[0]
        marks = ", ".join("?" for _ in row)
        self.db.execute(
            f"INSERT OR REPLACE INTO kernels ({', '.join(row)}) VALUES ({marks})",
            tuple(row.values()),
        )
        log.debug("state: kernel %s recorded (pid %s)", manager.kernel_id, manager.pid)

    def forget_kernel(self, kernel_id: str) -> None:
        """Remove a kernel's row (it was shut down, or is gone)."""
        self._kernels.pop(kernel_id, None)
        self.db.execute("DELETE FROM kernels WHERE id=?", (kernel_id,))

    def forget_sessions(self, kernel_id: str) -> list[str]:
        """Remove the sessions of a kernel that is gone; return their ids."""
        ids = [
            row[0]
            for row in self.db.execute("SELECT id FROM sessions WHERE kernel_id=?", (kernel_id,))
        ]
        self.db.execute("DELETE FROM sessions WHERE kernel_id=?", (kernel_id,))
        return ids

    def follow_sessions(self, sessions: SessionStore) -> None:
        """Write every later change of ``sessions`` through."""
        sessions.listeners.append(self._session_changed)

    def _session_changed(self, kind: ChangeKind, session: Session) -> None:
        if kind == "deleted":
            self.db.execute("DELETE FROM sessions WHERE id=?", (session.id,))
        else:
            self.db.execute(
                "INSERT OR REPLACE INTO sessions VALUES (?, ?, ?, ?, ?)",
                (session.id, session.path, session.name, session.type, session.kernel_id),
            )

    def flush(self) -> None:
        """Write every kernel's activity and execution state."""
        with self._transaction():
            for kernel in self._kernels.values():
                self.db.execute(
                    "UPDATE kernels SET last_activity=?, state=?, reason=? WHERE id=?",
                    (
                        kernel.last_activity.timestamp(),
                        kernel.execution_state,
                        kernel.reason,
                        kernel.id,
                    ),
                )

    # -- the Attachment protocol -----------------------------------------------------------

    async def kernel_started(self, kernel: ServedKernel) -> None:
        """Record a new (or re-attached, or taken from a pool) kernel."""
        self.save_kernel(kernel)

    async def kernel_stopped(self, kernel: ServedKernel) -> None:
        """A kernel was shut down or died for good: nothing to re-attach."""
        self.forget_kernel(kernel.id)

    async def kernel_event(self, kernel: ServedKernel, event: KernelEvent) -> None:
        """A restart is a new process (new pid and start time); other events change state."""
        if event.kind == "restarted" and kernel.manager.is_alive():
            self.save_kernel(kernel)
        elif kernel.id in self._kernels:
            self.flush()

    # -- life ----------------------------------------------------------------------------

    def start_flushing(self, interval: float = FLUSH_INTERVAL) -> None:
        """Start the periodic write of activity (stopped by :meth:`aclose`)."""
        self._flusher = asyncio.get_running_loop().create_task(
            self._flush_every(interval), name="kernelhub-state-flush"
        )

    async def _flush_every(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                self.flush()
            except sqlite3.Error as exc:
                log.warning("state database %s: could not write activity: %s", self.path, exc)

    async def aclose(self) -> None:
        """Stop flushing, write the last activity, unregister this server, close the file."""
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        with contextlib.suppress(sqlite3.Error):
            self.flush()
            # Our rows stay: they are claimed by the next server, as after a crash.
            self.db.execute("DELETE FROM servers WHERE id=?", (self.server_id,))
        self.db.close()

    @contextlib.contextmanager
    def _transaction(self) -> Any:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")


def _alive(pid: int | None, create_time: float | None) -> bool:
    """Whether the server with this pid and start time still runs."""
    if pid is None or create_time is None:
        return False
    now = identify(pid)
    return now is not None and abs(now.create_time - create_time) <= 1.0
