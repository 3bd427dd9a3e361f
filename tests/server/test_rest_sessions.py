"""``/api/sessions`` with real kernels: create, reuse, list, get, patch, delete."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from .conftest import Client, Served
from .test_rest_kernels import pid_of, start, wait_gone


def run_code(served: Served, kernel_id: str, code: str) -> str:
    """Run ``code`` in a kernel of the server through its connection file; its stdout."""
    from tests.server.serve_process import run_code as run

    manager = served.hub.get(kernel_id).manager
    return run(Path(manager.connection_file).parent, kernel_id, code)


def create(client: Client, body: dict[str, Any]) -> dict[str, Any]:
    reply = client.post("/api/sessions", body)
    assert reply.status == 201, reply.body
    model: dict[str, Any] = reply.json()
    assert reply.headers["location"] == f"/api/sessions/{model['id']}"
    return model


def test_create_list_get_delete(served: Served, client: Client) -> None:
    model = create(
        client,
        {
            "path": "sub/nb.ipynb",
            "name": "nb.ipynb",
            "type": "notebook",
            "kernel": {"name": "python3"},
        },
    )
    assert model["path"] == "sub/nb.ipynb"
    assert model["name"] == "nb.ipynb"
    assert model["type"] == "notebook"
    assert model["notebook"] == {"path": "sub/nb.ipynb", "name": "nb.ipynb"}
    kernel = model["kernel"]
    assert kernel["name"] == "python3"
    assert set(kernel) == {"id", "name", "last_activity", "execution_state", "connections"}
    pid = pid_of(served, kernel["id"])
    # The kernel runs in the notebook's directory.
    assert os.readlink(f"/proc/{pid}/cwd") == str(served.root / "sub")
    assert client.get("/api/sessions").json() == [model]
    assert client.get(f"/api/sessions/{model['id']}").json() == model
    # The same path again: the same session.
    assert create(client, {"path": "sub/nb.ipynb", "type": "notebook"})["id"] == model["id"]
    assert client.request("DELETE", f"/api/sessions/{model['id']}").status == 204
    assert client.get(f"/api/sessions/{model['id']}").status == 404
    assert client.get("/api/kernels").json() == []
    wait_gone(pid)


def test_a_session_reuses_a_kernel_by_id(client: Client) -> None:
    kernel = start(client)
    model = create(client, {"path": "a.ipynb", "type": "notebook", "kernel": {"id": kernel["id"]}})
    assert model["kernel"]["id"] == kernel["id"]
    assert len(client.get("/api/kernels").json()) == 1
    bad = client.post("/api/sessions", {"path": "b.ipynb", "kernel": {"id": "a/b"}})
    assert bad.status == 400
    assert "'kernel.id' must be" in bad.json()["message"]


def test_a_client_supplied_kernel_id_starts_the_kernel_under_it(
    served: Served, client: Client
) -> None:
    # As Jupyter Server 2.x: an id no kernel has is the id of the new kernel, not a 404.
    wanted = "12345678-1234-5678-1234-567812345678"
    model = create(client, {"path": "e.ipynb", "type": "notebook", "kernel": {"id": wanted}})
    assert model["kernel"]["id"] == wanted
    assert model["kernel"]["name"] == "python3"  # the default type
    assert client.get(f"/api/kernels/{wanted}").json()["id"] == wanted
    assert run_code(served, wanted, "print(6 * 7)") == "42\n"
    # The same id for a new path attaches to that kernel instead.
    again = create(client, {"path": "f.ipynb", "kernel": {"id": wanted, "name": "test-python"}})
    assert again["kernel"]["id"] == wanted
    assert [k["id"] for k in client.get("/api/kernels").json()] == [wanted]
    # POST /api/kernels with an id in use: Jupyter Server's 409.
    taken = client.post("/api/kernels", {"kernel_id": wanted})
    assert taken.status == 409
    assert taken.json()["message"] == f"Kernel already exists: {wanted}"


def test_the_older_session_bodies(served: Served, client: Client) -> None:
    # Jupyter Server's deprecated forms: the path under "notebook", and a kernel with both
    # a name and an id ("python" is jupyter_client's old name of python3).
    body = {"notebook": {"path": "old.ipynb"}, "kernel": {"name": "python", "id": "foo"}}
    model = create(client, body)
    assert model["path"] == "old.ipynb"
    assert model["type"] == "notebook"
    assert model["notebook"]["path"] == "old.ipynb"
    assert model["kernel"]["id"] == "foo"
    assert model["kernel"]["name"] == "python3"
    moved = client.request(
        "PATCH", f"/api/sessions/{model['id']}", {"notebook": {"path": "n.ipynb"}}
    )
    assert moved.status == 200
    assert moved.json()["path"] == "n.ipynb"
    assert moved.json()["notebook"]["path"] == "n.ipynb"
    assert moved.json()["kernel"]["id"] == "foo"


def test_a_missing_directory_runs_the_kernel_in_the_nearest_one(
    served: Served, client: Client
) -> None:
    model = create(client, {"path": "sub/new/dir/x.ipynb", "kernel": {"name": "test-python"}})
    pid = pid_of(served, model["kernel"]["id"])
    assert os.readlink(f"/proc/{pid}/cwd") == str(served.root / "sub")
    assert model["kernel"]["name"] == "test-python"


def test_patch_renames_and_moves_and_changes_the_kernel(served: Served, client: Client) -> None:
    model = create(client, {"path": "a.ipynb", "name": "a", "type": "notebook"})
    sid, old = model["id"], model["kernel"]["id"]
    renamed = client.request("PATCH", f"/api/sessions/{sid}", {"path": "b.ipynb", "name": "b"})
    assert renamed.status == 200
    assert renamed.json()["path"] == "b.ipynb"
    assert renamed.json()["name"] == "b"
    assert renamed.json()["kernel"]["id"] == old
    old_pid = pid_of(served, old)
    changed = client.request("PATCH", f"/api/sessions/{sid}", {"kernel": {"name": "test-python"}})
    assert changed.status == 200
    new = changed.json()["kernel"]
    assert new["name"] == "test-python"
    assert new["id"] != old
    wait_gone(old_pid)  # the kernel no session uses any more is shut down
    assert [k["id"] for k in client.get("/api/kernels").json()] == [new["id"]]
    # The same type again is "change kernel" too: a new kernel, the old one shut down.
    newer_pid = pid_of(served, new["id"])
    same = client.request("PATCH", f"/api/sessions/{sid}", {"kernel": {"name": "test-python"}})
    assert same.status == 200
    newest = same.json()["kernel"]
    assert newest["name"] == "test-python"
    assert newest["id"] != new["id"]
    wait_gone(newer_pid)
    assert [k["id"] for k in client.get("/api/kernels").json()] == [newest["id"]]
    # An id wins over a name, and must be a running kernel's (Jupyter Server's 400).
    unknown = client.request(
        "PATCH", f"/api/sessions/{sid}", {"kernel": {"id": "no-such", "name": "python3"}}
    )
    assert unknown.status == 400
    assert unknown.json()["message"] == "No such kernel: no-such"
    other = start(client)
    attached = client.request(
        "PATCH", f"/api/sessions/{sid}", {"kernel": {"id": other["id"], "name": "foo"}}
    )
    assert attached.json()["kernel"]["id"] == other["id"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{", "Invalid JSON in body of request"),
        (b"[]", "expected a JSON object"),
        ({"type": "notebook"}, "needs a 'path'"),
        ({"path": 3}, "'path' must be a string"),
        ({"path": "x.ipynb", "kernel": "python3"}, "'kernel' must be an object"),
        ({"path": "../x.ipynb"}, "outside the server's root"),
    ],
)
def test_bad_session_bodies(client: Client, body: Any, words: str) -> None:
    reply = client.post("/api/sessions", body)
    assert reply.status == 400, reply.body
    assert words in reply.json()["message"]
    assert client.get("/api/kernels").json() == []


def test_unknown_sessions_and_empty_patches(client: Client) -> None:
    assert client.get("/api/sessions/nope").status == 404
    assert client.request("DELETE", "/api/sessions/nope").status == 404
    assert client.request("PATCH", "/api/sessions/nope", {"name": "x"}).status == 404
    sid = create(client, {"path": "c.ipynb"})["id"]
    assert client.request("PATCH", f"/api/sessions/{sid}", {}).status == 400


def test_a_session_goes_with_its_kernel(client: Client) -> None:
    model = create(client, {"path": "d.ipynb"})
    assert client.delete(f"/api/kernels/{model['kernel']['id']}").status == 204
    assert client.get("/api/sessions").json() == []
    assert client.get(f"/api/sessions/{model['id']}").status == 404
