"""``/api/sessions`` with real kernels: create, reuse, list, get, patch, delete."""

from __future__ import annotations

import os
from typing import Any

import pytest

from .conftest import Client, Served
from .test_rest_kernels import pid_of, start, wait_gone


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
    unknown = client.post("/api/sessions", {"path": "b.ipynb", "kernel": {"id": "nope"}})
    assert unknown.status == 404


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


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{", "malformed JSON"),
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
