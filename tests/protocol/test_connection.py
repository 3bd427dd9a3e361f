"""Connection info and files: jupyter_client's keys, mode 0600, atomic writes, clear errors."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
from jupyter_client import BlockingKernelClient
from jupyter_client.connect import find_connection_file
from jupyter_client.connect import write_connection_file as jupyter_write

from kernelhub.connection import (
    CHANNELS,
    ConnectionInfo,
    new_key,
    read_connection_file,
    remove_connection_file,
    write_connection_file,
)
from kernelhub.errors import ConnectionFileError

PORTS = {
    "shell_port": 5001,
    "iopub_port": 5002,
    "stdin_port": 5003,
    "control_port": 5004,
    "hb_port": 5005,
}
INFO = ConnectionInfo(key=b"abc-123", kernel_name="python3", **PORTS)


def test_keys_and_bytes_identical_to_jupyter_client(tmp_path: Path) -> None:
    theirs, _ = jupyter_write(
        str(tmp_path / "theirs.json"),
        ip="127.0.0.1",
        key=b"abc-123",
        kernel_name="python3",
        **PORTS,
    )
    ours = write_connection_file(INFO, str(tmp_path / "ours.json"))
    assert Path(ours).read_text() == Path(theirs).read_text()
    assert list(json.loads(Path(ours).read_text())) == [
        *PORTS,
        "ip",
        "key",
        "transport",
        "signature_scheme",
        "kernel_name",
    ]


def test_default_path_is_in_the_runtime_dir_with_mode_0600(jupyter_dirs: Any) -> None:
    path = write_connection_file(INFO)
    assert Path(path).parent == jupyter_dirs.runtime
    assert Path(path).name.startswith("kernel-")
    assert Path(path).suffix == ".json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_runtime_dir_is_created_0700(jupyter_dirs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = jupyter_dirs.runtime / "deeper" / "runtime"
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    old = os.umask(0o022)
    try:
        path = write_connection_file(INFO)
    finally:
        os.umask(old)
    assert Path(path).parent == runtime
    assert stat.S_IMODE(os.stat(runtime).st_mode) & 0o777 == 0o700
    assert os.stat(runtime).st_mode & stat.S_ISVTX  # as jupyter_client: safe from tmp cleaners


def test_file_is_never_readable_by_others_even_with_a_lax_umask(tmp_path: Path) -> None:
    """Mode 0600 from creation: nothing in the directory ever has group/other bits."""
    seen: list[int] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            for entry in os.scandir(tmp_path):
                # A temporary file may be renamed under us.
                with contextlib.suppress(FileNotFoundError):
                    seen.append(stat.S_IMODE(entry.stat().st_mode))

    old = os.umask(0)
    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for i in range(200):
            write_connection_file(INFO, str(tmp_path / f"k{i % 3}.json"))
    finally:
        stop.set()
        watcher.join(timeout=10)
        os.umask(old)
    assert seen
    assert all(mode & 0o077 == 0 for mode in seen), {oct(m) for m in seen}


def test_write_is_atomic_readers_never_see_partial_files(tmp_path: Path) -> None:
    path = str(tmp_path / "kernel.json")
    write_connection_file(INFO, path)
    errors: list[Exception] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                info = read_connection_file(path)
                assert info.shell_port in (5001, 6001)
            except Exception as exc:
                errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(300):
            write_connection_file(INFO.with_ports(shell=5001 if i % 2 else 6001), path)
    finally:
        stop.set()
        reader.join(timeout=10)
    assert errors == []
    assert [p.name for p in tmp_path.iterdir()] == ["kernel.json"]  # no temporary left over


def test_jupyter_client_reads_ours(jupyter_dirs: Any) -> None:
    path = write_connection_file(INFO)
    found = find_connection_file(Path(path).name)
    assert found == path
    client = BlockingKernelClient()
    client.load_connection_file(found)
    assert client.shell_port == 5001
    assert client.hb_port == 5005
    assert client.session.key == b"abc-123"
    assert client.session.signature_scheme == "hmac-sha256"
    for channel in CHANNELS:
        assert client._make_url(channel) == INFO.url(channel)


def test_we_read_jupyter_clients(tmp_path: Path) -> None:
    fname, cfg = jupyter_write(str(tmp_path / "k.json"), key=b"x-y", signature_scheme="hmac-sha512")
    info = read_connection_file(fname)
    assert info.key == b"x-y"
    assert info.signature_scheme == "hmac-sha512"
    assert info.ports == {c: cfg[f"{c}_port"] for c in CHANNELS}  # type: ignore[literal-required]
    assert info.to_dict() == cfg
    assert info.session().signed


def test_extra_keys_are_kept(tmp_path: Path) -> None:
    data = {**INFO.to_dict(), "curve_publickey": "abc", "jupyter_session": "nb.ipynb"}
    path = tmp_path / "k.json"
    path.write_text(json.dumps(data))
    info = read_connection_file(str(path))
    assert info.extra == {"curve_publickey": "abc", "jupyter_session": "nb.ipynb"}
    assert info.to_dict() == data
    assert "abc-123" not in repr(info)  # the key stays out of logs


def test_ipc_urls_and_removal(tmp_path: Path) -> None:
    prefix = str(tmp_path / "kernel-ipc")
    info = ConnectionInfo(transport="ipc", ip=prefix, **PORTS)
    assert info.url("shell") == f"ipc://{prefix}-5001"
    assert info.url("hb") == f"ipc://{prefix}-5005"
    client = BlockingKernelClient(transport="ipc", ip=prefix, **PORTS)
    assert client._make_url("iopub") == info.url("iopub")
    for socket_file in info.ipc_paths():
        Path(socket_file).touch()
    path = write_connection_file(info, str(tmp_path / "k.json"))
    remove_connection_file(path)
    assert list(tmp_path.iterdir()) == []


def test_remove_missing_is_fine(tmp_path: Path) -> None:
    remove_connection_file(str(tmp_path / "gone.json"))
    remove_connection_file(str(tmp_path / "gone.json"), INFO)


def test_remove_unparsable_file(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    path.write_text("garbage")
    remove_connection_file(str(path))
    assert not path.exists()


def test_urls() -> None:
    assert INFO.url("shell") == "tcp://127.0.0.1:5001"
    assert ConnectionInfo(ip="*", hb_port=9).url("hb") == "tcp://127.0.0.1:9"
    with pytest.raises(ValueError, match="channel"):
        INFO.url("nope")  # type: ignore[arg-type]


def test_with_ports() -> None:
    info = INFO.with_ports(shell=1, hb_port=2)
    assert (info.shell_port, info.hb_port, info.iopub_port) == (1, 2, 5002)
    assert not ConnectionInfo().complete
    assert INFO.complete
    with pytest.raises(TypeError, match="unknown port"):
        INFO.with_ports(shel=1)
    with pytest.raises(ValueError, match="int"):
        INFO.with_ports(shell=-1)


def test_new_key_looks_like_jupyter_clients() -> None:
    key = new_key()
    head, tail = key.decode().split("-")
    assert (len(head), len(tail)) == (8, 24)
    int(head + tail, 16)
    assert new_key() != key


def test_session_uses_key_and_scheme() -> None:
    info = ConnectionInfo(key=b"k", signature_scheme="hmac-sha512")
    session = info.session(username="u")
    assert session.key == b"k"
    assert session.signature_scheme == "hmac-sha512"
    assert session.username == "u"


def test_defaults_for_optional_fields() -> None:
    info = ConnectionInfo.from_dict(PORTS)
    assert (info.ip, info.key, info.transport, info.signature_scheme, info.kernel_name) == (
        "127.0.0.1",
        b"",
        "tcp",
        "hmac-sha256",
        "",
    )
    assert ConnectionInfo.from_dict({**PORTS, "key": b"raw", "kernel_name": None}).key == b"raw"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({k: v for k, v in PORTS.items() if k != "iopub_port"}, "iopub_port"),
        ({**PORTS, "shell_port": "5001"}, "shell_port"),
        ({**PORTS, "hb_port": True}, "hb_port"),
        ({**PORTS, "control_port": 70000}, "control_port"),
        ({**PORTS, "stdin_port": -1}, "stdin_port"),
        ({**PORTS, "ip": 127}, "ip"),
        ({**PORTS, "ip": ""}, "ip"),
        ({**PORTS, "transport": "udp"}, "transport"),
        ({**PORTS, "transport": "ipc"}, "ip"),
        ({**PORTS, "key": 12}, "key"),
        ({**PORTS, "signature_scheme": "hmac-nope"}, "signature_scheme"),
        ({**PORTS, "signature_scheme": None}, "signature_scheme"),
        ({**PORTS, "kernel_name": ["x"]}, "kernel_name"),
    ],
)
def test_bad_fields_name_file_and_field(tmp_path: Path, data: dict[str, Any], field: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConnectionFileError) as info:
        read_connection_file(str(path))
    assert str(path) in str(info.value)
    assert repr(field) in str(info.value)


@pytest.mark.parametrize(
    ("content", "match"),
    [("", "JSON"), ("{", "JSON"), ("[1, 2]", "object"), ("null", "object"), (b"\xff\xfe", "read")],
)
def test_bad_files(tmp_path: Path, content: str | bytes, match: str) -> None:
    path = tmp_path / "bad.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(ConnectionFileError, match=match) as info:
        read_connection_file(str(path))
    assert str(path) in str(info.value)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ConnectionFileError, match="No such file"):
        read_connection_file(str(tmp_path / "missing.json"))
    with pytest.raises(ConnectionFileError, match="directory"):
        read_connection_file(str(tmp_path))


def test_write_errors_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(ConnectionFileError, match=r"dir\.json"):
        write_connection_file(INFO, str(tmp_path / "dir.json"))
    with pytest.raises(ConnectionFileError, match="nowhere"):
        write_connection_file(INFO, str(tmp_path / "nowhere" / "k.json"))
    assert [p.name for p in tmp_path.iterdir()] == ["dir.json"]  # no temporary left over


def test_errors_carry_the_path_and_field(tmp_path: Path) -> None:
    from kernelhub.connection import ConnectionInfo, read_connection_file
    from kernelhub.errors import ConnectionFileError

    with pytest.raises(ConnectionFileError) as caught:
        ConnectionInfo.from_dict({"shell_port": "x"}, source="conn.json")
    assert caught.value.path == "conn.json"
    assert caught.value.field == "shell_port"
    missing = str(tmp_path / "nope.json")
    with pytest.raises(ConnectionFileError) as caught:
        read_connection_file(missing)
    assert caught.value.path == missing
    assert caught.value.field is None
