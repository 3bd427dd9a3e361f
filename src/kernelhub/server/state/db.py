"""The state database's file and rows (see :mod:`kernelhub.server.state.store`)."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, fields
from typing import Any

from kernelhub.launchers.adopted import Identity
from kernelhub.providers.base import KernelType

__all__ = ["COLUMNS", "JSON_COLUMNS", "KernelRecord", "kernel_type_from_json", "open_db"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS servers (id TEXT PRIMARY KEY, pid INTEGER, create_time REAL);
CREATE TABLE IF NOT EXISTS kernels (
    id TEXT PRIMARY KEY, server TEXT NOT NULL, name TEXT NOT NULL, kernel_type TEXT NOT NULL,
    connection TEXT NOT NULL, connection_file TEXT NOT NULL, pid INTEGER, create_time REAL,
    cmdline TEXT, env TEXT, launch_params TEXT, cwd TEXT, started REAL, last_activity REAL,
    state TEXT, reason TEXT, log_path TEXT, pooled INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, path TEXT, name TEXT, type TEXT, kernel_id TEXT NOT NULL);
"""


@dataclass(frozen=True)
class KernelRecord:
    """One row of ``kernels`` (JSON columns decoded; times are POSIX timestamps)."""

    id: str
    server: str
    name: str
    kernel_type: dict[str, Any]
    connection: dict[str, Any]
    connection_file: str
    pid: int | None
    create_time: float | None
    cmdline: list[str]
    env: dict[str, str]
    launch_params: dict[str, Any]
    cwd: str | None
    started: float
    last_activity: float
    state: str
    reason: str | None
    log_path: str | None
    pooled: int

    @property
    def identity(self) -> Identity | None:
        """The recorded process identity, if the row has one."""
        if self.pid is None or self.create_time is None:
            return None
        return Identity(self.pid, self.create_time, tuple(self.cmdline))


JSON_COLUMNS = ("kernel_type", "connection", "cmdline", "env", "launch_params")
COLUMNS = tuple(f.name for f in fields(KernelRecord))


def kernel_type_from_json(data: dict[str, Any]) -> KernelType:
    """The :class:`KernelType` of ``KernelType.to_json()`` output."""
    known = {f.name for f in fields(KernelType)}
    values = {k: v for k, v in data.items() if k in known}
    for key in ("argv", "resources", "diagnostics"):
        values[key] = tuple(values.get(key) or ())
    return KernelType(**values)


def open_db(path: str) -> sqlite3.Connection:
    """Open (create, mode 0600, WAL) the database at ``path``."""
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    # Created 0600 before SQLite opens it (its -wal and -shm files copy the mode).
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)
    db = sqlite3.connect(path, isolation_level=None, timeout=10.0)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable against a crash of ours
    db.executescript(_SCHEMA)
    return db
