"""``/api/kernelspecs`` and ``/kernelspecs/<name>/<file>`` as a client sees them."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import TOKEN, Client, Served
from .serve_process import sigint_default


def test_listing_has_every_provider_under_url_safe_names(served: Served, client: Client) -> None:
    reply = client.get("/api/kernelspecs")
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    data = reply.json()
    assert data["default"] == "python3"
    specs = data["kernelspecs"]
    assert {"python3", "test-python", "test-ipy-kernel"} <= set(specs)
    for name, model in specs.items():
        assert "/" not in name
        assert model["name"] == name
        assert set(model) == {"name", "spec", "resources"}
    spec = specs["test-python"]["spec"]
    assert spec["display_name"] == "Test python"
    assert spec["argv"][-1] == "{connection_file}"
    assert specs["test-python"]["resources"] == {
        "kernel.js": "/kernelspecs/test-python/kernel.js",
        "logo-64x64": "/kernelspecs/test-python/logo-64x64.png",
    }


def test_one_spec_by_api_name_or_id(client: Client) -> None:
    by_name = client.get("/api/kernelspecs/test-python")
    assert by_name.status == 200
    assert by_name.json()["name"] == "test-python"
    assert client.get("/api/kernelspecs/python3").json()["spec"]["language"] == "python"
    missing = client.get("/api/kernelspecs/pyton3")
    assert missing.status == 404
    assert "python3" in missing.json()["message"]  # a close-match suggestion


def test_resources_get_and_head(served: Served, client: Client) -> None:
    logo = client.get("/kernelspecs/test-python/logo-64x64.png")
    assert logo.status == 200
    assert logo.headers["content-type"] == "image/png"
    assert logo.body == (served.resources / "logo-64x64.png").read_bytes()
    head = client.request("HEAD", "/kernelspecs/test-python/logo-64x64.png")
    assert head.status == 200
    assert head.body == b""
    assert head.headers["content-length"] == str(len(logo.body))
    js = client.get("/kernelspecs/test-python/kernel.js")
    assert js.headers["content-type"] in ("application/javascript", "text/javascript")
    spec_logo = client.get("/kernelspecs/python3/logo-64x64.png")
    assert spec_logo.status == 200
    assert spec_logo.body.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    "path",
    [
        "/kernelspecs/test-python/../../secret.txt",
        "/kernelspecs/test-python/%2e%2e/secret.txt",
        "/kernelspecs/test-python/%2E%2E%2Fsecret.txt",
        "/kernelspecs/test-python/..%2f..%2fsecret.txt",
        "/kernelspecs/test-python//etc/passwd",
        "/kernelspecs/test-python/%2fetc%2fpasswd",
        "/kernelspecs/test-python/link-out.txt",
        "/kernelspecs/test-python/nothing.png",
        "/kernelspecs/test-ipy-kernel/logo-64x64.png",
        "/kernelspecs/no-such-kernel/logo-64x64.png",
    ],
)
def test_resource_escapes_and_misses_are_404(client: Client, path: str) -> None:
    reply = client.get(path)
    assert reply.status == 404, reply.body
    assert b"not for clients" not in reply.body
    assert set(reply.json()) == {"message", "reason"}


def test_listing_is_cached_until_the_kernel_types_change(
    served: Served, client: Client, jupyter_dirs: object
) -> None:
    first = client.get("/api/kernelspecs").body
    assert client.get("/api/kernelspecs").body == first
    kernels = Path(os.environ["JUPYTER_DATA_DIR"], "kernels", "added")
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(
        '{"argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],'
        ' "display_name": "Added", "language": "python", "env": {"ADDED": "1"}}'
    )  # (its env makes it another kernel than python3, which it would be listed under)
    assert "added" in client.get("/api/kernelspecs").json()["kernelspecs"]  # the next request


# -- the same spec directory through Jupyter Server ------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _until_answering(proc: subprocess.Popen[str], client: Client) -> None:
    """Jupyter Server may say it runs a moment before it answers: retry, waiting on the
    process itself between attempts (so that its exit ends the wait), 30 s at most."""
    for _ in range(600):
        try:
            client.get("/api/status")
            return
        except ConnectionRefusedError:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(0.05)
                pytest.fail(f"jupyter_server exited with {proc.returncode}")
    pytest.fail("jupyter_server never answered")


@pytest.fixture
def jupyter_server(tmp_path: Path) -> Iterator[Client]:
    """A real Jupyter Server on a free port, with the same (isolated) Jupyter directories."""
    port = _free_port()
    argv = [
        sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
        f"--port={port}", "--ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={tmp_path}",
    ]  # fmt: skip
    with sigint_default():  # it is stopped with a Ctrl-C
        proc = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=tmp_path
        )
    client = Client(port)
    drain: threading.Thread | None = None
    try:
        # Jupyter Server says it is ready on stderr; every line is read, bounded by the timeout
        # of the test (pytest-timeout).
        assert proc.stderr is not None
        for line in proc.stderr:
            # It moves to another port if this one was taken meanwhile: believe its URL.
            found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            if found:
                client = Client(int(found[1]))
            if "Use Control-C to stop this server" in line:
                break
        else:
            pytest.fail("jupyter_server exited before it was ready")
        # Keep its log flowing so that it never blocks on a full pipe.
        drain = threading.Thread(target=proc.stderr.read, daemon=True)
        drain.start()
        _until_answering(proc, client)
        yield client
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        if drain is not None:
            drain.join(10)
        if proc.stderr is not None:
            proc.stderr.close()


def test_kernelspec_models_match_jupyter_server(client: Client, jupyter_server: Client) -> None:
    # What ipykernel 7.3 (Python 3.10) writes: metadata that breaks its documented shape is
    # served as written, as Jupyter Server serves it (kernelhub only warns about it).
    odd = Path(os.environ["JUPYTER_DATA_DIR"], "kernels", "ipykernel73")
    odd.mkdir(parents=True)
    (odd / "kernel.json").write_text(
        '{"argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],'
        ' "display_name": "Python 3 (7.3)", "language": "python", "env": {"SEVEN": "3"},'
        ' "metadata": {"debugger": true, "supported_encryption": "curve"}}'
    )
    ours = client.get("/api/kernelspecs").json()
    theirs = jupyter_server.get("/api/kernelspecs").json()
    assert set(theirs) == set(ours) == {"default", "kernelspecs"}
    assert ours["default"] == theirs["default"]
    assert theirs["kernelspecs"], "jupyter_server found no kernelspec"
    odd_meta = theirs["kernelspecs"]["ipykernel73"]["spec"]["metadata"]
    assert odd_meta["supported_encryption"] == "curve"
    for name, model in theirs["kernelspecs"].items():
        assert ours["kernelspecs"][name] == model, name
        one = jupyter_server.get(f"/api/kernelspecs/{name}").json()
        assert client.get(f"/api/kernelspecs/{name}").json() == one
        for url in model["resources"].values():
            assert client.get(url).body == jupyter_server.get(url).body
