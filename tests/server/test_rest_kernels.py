"""``/api/kernels`` with real ipykernel kernels, as a client sees it."""

from __future__ import annotations

import os
import re
import select
import signal
import threading
from pathlib import Path
from typing import Any

import pytest

from .conftest import WAIT, Client, Served

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def wait_gone(pid: int, timeout: float = WAIT) -> None:
    """Wait until process ``pid`` has exited (a pidfd turns readable): no polling."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
    finally:
        os.close(fd)
    assert ready, f"process {pid} still runs {timeout} s later"


def pid_of(served: Served, kernel_id: str) -> int:
    pid = served.hub.get(kernel_id).manager.pid
    assert pid is not None
    return pid


def start(client: Client, body: Any = None) -> dict[str, Any]:
    reply = client.post("/api/kernels", body if body is not None else {})
    assert reply.status == 201, reply.body
    model: dict[str, Any] = reply.json()
    assert reply.headers["location"] == f"/api/kernels/{model['id']}"
    return model


def test_start_list_get_delete(served: Served, client: Client) -> None:
    model = start(client)
    assert set(model) == {"id", "name", "last_activity", "execution_state", "connections"}
    assert UUID.match(model["id"])
    assert ISO_Z.match(model["last_activity"])
    assert model["name"] == "python3"
    assert model["execution_state"] == "idle"
    assert model["connections"] == 0
    assert [k["id"] for k in client.get("/api/kernels").json()] == [model["id"]]
    assert client.get(f"/api/kernels/{model['id']}").json() == model
    pid = pid_of(served, model["id"])
    deleted = client.delete(f"/api/kernels/{model['id']}")
    assert deleted.status == 204
    assert deleted.body == b""
    assert client.get(f"/api/kernels/{model['id']}").status == 404
    assert client.get("/api/kernels").json() == []
    wait_gone(pid)
    served.recorder.wait_for("stopped", model["id"])


@pytest.mark.parametrize(
    ("asked", "api_name"),
    [("test-python", "test-python"), ("test/python", "test-python"), ("spec/python3", "python3")],
)
def test_start_by_api_name_or_id(client: Client, asked: str, api_name: str) -> None:
    assert start(client, {"name": asked})["name"] == api_name


def test_path_sets_the_working_directory_and_env_reaches_the_kernel(
    served: Served, client: Client
) -> None:
    model = start(
        client, {"name": "python3", "path": "sub/deeper", "env": {"KERNEL_USERNAME": "alice"}}
    )
    pid = pid_of(served, model["id"])
    assert os.readlink(f"/proc/{pid}/cwd") == str(served.root / "sub" / "deeper")
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    assert b"KERNEL_USERNAME=alice" in environ
    rooted = start(client, {"path": "/sub"})  # an API path: "/" is the root
    assert os.readlink(f"/proc/{pid_of(served, rooted['id'])}/cwd") == str(served.root / "sub")
    default = start(client)
    assert os.readlink(f"/proc/{pid_of(served, default['id'])}/cwd") == str(served.root)


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"{", 400, "Invalid JSON in body of request"),
        (b"[1, 2]", 400, "expected a JSON object"),
        (b'"python3"', 400, "expected a JSON object"),
        (b"\xff\xfe", 400, "Invalid JSON in body of request"),
        ({"name": 3}, 400, "'name' must be a string"),
        ({"path": ["a"]}, 400, "'path' must be a string"),
        ({"env": {"A": 1}}, 400, "'env' must be an object of strings"),
        ({"env": "A=1"}, 400, "'env' must be an object of strings"),
        ({"launch_params": []}, 400, "'launch_params' must be an object"),
        ({"launch_params": {"x": 1}}, 400, "takes no launch parameters"),
        ({"path": "../.."}, 400, "outside the server's root"),
        ({"path": "sub/../../x"}, 400, "outside the server's root"),
        ({"path": "x\x00"}, 400, "NUL"),
        ({"kernel_id": "../escape"}, 400, "'kernel_id' must be 1-128 letters"),
        ({"kernel_id": ""}, 400, "'kernel_id' must be"),
        ({"name": "pyhton3"}, 404, "Kernel spec pyhton3 not found; did you mean 'python3'"),
    ],
)
def test_bad_start_requests_start_nothing(
    served: Served, client: Client, body: Any, status: int, words: str
) -> None:
    before = len(served.recorder.events)
    reply = client.post("/api/kernels", body)
    assert reply.status == status, reply.body
    error = reply.json()
    assert set(error) == {"message", "reason"}
    assert words in error["message"]
    assert client.get("/api/kernels").json() == []
    assert served.recorder.events[before:] == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/kernels/{}"),
        ("DELETE", "/api/kernels/{}"),
        ("POST", "/api/kernels/{}/interrupt"),
        ("POST", "/api/kernels/{}/restart"),
    ],
)
def test_unknown_kernel_ids_are_404(client: Client, method: str, path: str) -> None:
    reply = client.request(method, path.format("00000000-0000-0000-0000-000000000000"))
    assert reply.status == 404
    # Jupyter Server's words, exactly: its own tests compare them.
    assert reply.json()["message"] == "Kernel does not exist: 00000000-0000-0000-0000-000000000000"


def test_unknown_paths_and_methods(client: Client) -> None:
    assert client.get("/api/nothing").status == 404
    wrong = client.request("PUT", "/api/kernels")
    assert wrong.status == 405
    assert wrong.headers["allow"] == "GET, POST"
    assert wrong.json()["reason"] == "Method Not Allowed"


def test_interrupt_and_restart(served: Served, client: Client) -> None:
    model = start(client)
    kid = model["id"]
    assert client.post(f"/api/kernels/{kid}/interrupt").status == 204
    old_pid = pid_of(served, kid)
    restarted = client.post(f"/api/kernels/{kid}/restart")
    assert restarted.status == 200
    assert restarted.headers["location"] == f"/api/kernels/{kid}"
    assert restarted.json()["id"] == kid
    assert restarted.json()["execution_state"] == "idle"
    wait_gone(old_pid)
    assert pid_of(served, kid) != old_pid


def test_a_dead_kernel_shows_why_and_refuses_cleanly(served: Served, client: Client) -> None:
    kid = start(client)["id"]
    pid = pid_of(served, kid)
    os.killpg(pid, signal.SIGKILL)
    served.recorder.wait_for("gave_up", kid)  # this server does not restart kernels
    model = client.get(f"/api/kernels/{kid}").json()
    assert model["execution_state"] == "dead"
    assert "SIGKILL" in model["reason"]
    interrupted = client.post(f"/api/kernels/{kid}/interrupt")
    assert interrupted.status == 409
    assert "not running" in interrupted.json()["message"]
    assert client.delete(f"/api/kernels/{kid}").status == 204
    assert client.get("/api/kernels").json() == []


def test_delete_while_the_kernel_is_being_killed(served: Served, client: Client) -> None:
    kid = start(client)["id"]
    pid = pid_of(served, kid)
    os.killpg(pid, signal.SIGKILL)
    assert client.delete(f"/api/kernels/{kid}").status == 204
    wait_gone(pid)
    assert client.get(f"/api/kernels/{kid}").status == 404


def test_two_deletes_at_once_one_wins(served: Served, client: Client) -> None:
    kid = start(client)["id"]
    pid = pid_of(served, kid)
    statuses: list[int] = []
    threads = [
        threading.Thread(
            target=lambda: statuses.append(client.delete(f"/api/kernels/{kid}").status)
        )
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert sorted(statuses) == [204, 404]
    wait_gone(pid)


def test_status_counts_kernels(client: Client) -> None:
    start(client)
    status = client.get("/api/status").json()
    assert status["kernels"] == 1
    assert status["connections"] == 0
    assert ISO_Z.match(status["started"])
    assert ISO_Z.match(status["last_activity"])
