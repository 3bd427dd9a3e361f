"""The state database: its file's mode, write-through of kernels and sessions, the key kept
out of logs, and which server's kernels a new server may claim."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kernelhub.launchers.adopted import identify
from kernelhub.providers.finder import KernelFinder
from kernelhub.providers.spec import SpecProvider
from kernelhub.server.config import ServerConfig
from kernelhub.server.kernels.hub import KernelHub
from kernelhub.server.kernels.sessions import SessionStore
from kernelhub.server.state.db import kernel_type_from_json
from kernelhub.server.state.store import StateStore


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[KernelHub]:
    config = ServerConfig(port=0, token="t", root_dir=str(tmp_path), shutdown_kernels_on_exit=True)
    hub = KernelHub(config, KernelFinder([SpecProvider()]))
    yield hub
    await hub.aclose()


def modes(state_dir: Path) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in state_dir.iterdir()}


async def test_kernels_and_sessions_are_written_through(
    hub: KernelHub, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = StateStore.open(str(tmp_path / "state"))
    hub.add_attachment(store)
    sessions = SessionStore()
    store.follow_sessions(sessions)
    with caplog.at_level(logging.DEBUG):
        kernel = await hub.start_kernel("python3")
        (record,) = store.records()
        key = kernel.manager.connection_info.key.decode()  # type: ignore[union-attr]
        assert (record.id, record.name, record.pid) == (kernel.id, "python3", kernel.manager.pid)
        assert record.connection["key"] == key
        assert record.cwd == str(tmp_path)
        assert kernel_type_from_json(record.kernel_type) == kernel.kernel_type
        assert record.identity == identify(kernel.manager.pid)  # type: ignore[arg-type]
        # The file holds the key: nobody else may read it, nor its WAL.
        assert set(modes(tmp_path / "state").values()) == {0o600}
        session = sessions.create(path="a.ipynb", name="a", type="notebook", kernel_id=kernel.id)
        assert store.sessions() == [session]
        sessions.update(session.id, path="b.ipynb")
        assert [s.path for s in store.sessions()] == ["b.ipynb"]
        sessions.delete(session.id)
        assert store.sessions() == []
        kernel.execution_state = "busy"
        store.flush()
        assert store.records()[0].state == "busy"
        await hub.shutdown_kernel(kernel.id)
        assert store.records() == []
    await store.aclose()
    assert key not in caplog.text


def test_a_new_server_claims_only_the_kernels_of_servers_that_are_gone(tmp_path: Path) -> None:
    first = StateStore.open(str(tmp_path))  # this process: alive
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                          capture_output=True, text=True)  # fmt: skip
    dead_pid = int(gone.stdout)
    first.db.execute("INSERT INTO servers VALUES ('dead', ?, 1.0)", (dead_pid,))
    for kernel_id, server in (("k-live", first.server_id), ("k-dead", "dead"), ("k-none", "x")):
        _insert(first.db, kernel_id, server)
    second = StateStore.open(str(tmp_path))
    claimed = {r.id for r in second.claim_orphans()}
    assert claimed == {"k-dead", "k-none"}
    assert {r.id for r in first.records()} == {"k-live"}
    servers = {row[0] for row in second.db.execute("SELECT id FROM servers")}
    assert servers == {first.server_id, second.server_id}
    second.db.close()
    first.db.close()


def test_a_closed_server_unregisters_and_leaves_its_rows(tmp_path: Path) -> None:
    import asyncio

    store = StateStore.open(str(tmp_path))
    _insert(store.db, "k", store.server_id)
    asyncio.run(store.aclose())
    db = sqlite3.connect(tmp_path / "kernelhub-state.db")
    try:
        assert db.execute("SELECT id FROM servers").fetchall() == []
        assert db.execute("SELECT id FROM kernels").fetchall() == [("k",)]
    finally:
        db.close()


def _insert(db: sqlite3.Connection, kernel_id: str, server: str) -> None:
    db.execute(
        "INSERT INTO kernels (id, server, name, kernel_type, connection, connection_file,"
        " started, last_activity, state) VALUES (?, ?, 'n', '{}', '{}', 'f', 0, 0, 'idle')",
        (kernel_id, server),
    )


def test_the_state_file_is_private_even_with_a_lax_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        store = StateStore.open(str(tmp_path / "s"))
    finally:
        os.umask(old)
    store.db.close()
    assert stat.S_IMODE((tmp_path / "s" / "kernelhub-state.db").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "s").stat().st_mode) & 0o077 == 0
