"""The page at ``/``, ``/api/resolvePath``, ``/api/spec.yaml`` and Jupyter Server's security
headers, against a real server."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import TOKEN, Client, Served
from .test_rest_kernels import start

CSP = "frame-ancestors 'self'; report-uri /api/security/csp-report; default-src 'none'"


def test_the_page_shows_the_token_only_to_whoever_sent_it(served: Served, client: Client) -> None:
    url = f"http://127.0.0.1:{served.port}/"
    anonymous = client.get("/", token=None)
    assert anonymous.status == 200
    assert anonymous.headers["content-type"] == "text/html; charset=utf-8"
    page = anonymous.body.decode()
    assert TOKEN not in page
    assert f"jupyter lab --gateway-url={url} --GatewayClient.auth_token=&lt;token&gt;" in page
    assert f"{url}?token=&lt;token&gt;" in page  # VS Code's "existing server" URL
    assert "?token=..." in page  # how to get it filled in
    # A wrong token is no better than none.
    assert TOKEN not in client.get("/", token="wrong").body.decode()
    for shown in (client.get("/"), client.get(f"/?token={TOKEN}", token=None)):
        assert shown.status == 200
        text = shown.body.decode()
        assert f"--gateway-url={url} --GatewayClient.auth_token={TOKEN}" in text
        assert f"{url}?token={TOKEN}" in text
        assert shown.headers["cache-control"] == "no-store"
    # Links to the API; with the token when it came in the URL (a browser has no header).
    links = re.findall(r'href="([^"]+)"', client.get(f"/?token={TOKEN}", token=None).body.decode())
    assert f"/api/kernelspecs?token={TOKEN}" in links
    assert f"/api/spec.yaml?token={TOKEN}" in links
    assert "/api/kernels" in re.findall(r'href="([^"]+)"', page)
    for link in links:
        assert client.get(link, token=None).status == 200, link


def test_the_page_escapes_what_the_request_says(client: Client) -> None:
    reply = client.get("/", token=None, headers={"Host": '<script>alert("x")</script>'})
    assert reply.status == 200
    assert b"<script>" not in reply.body
    assert b"&lt;script&gt;" in reply.body
    # Nothing runs and nothing loads, whatever got in.
    assert "default-src 'none'" in reply.headers["content-security-policy"]
    assert "script-src" not in reply.headers["content-security-policy"]


def test_api_answers_carry_jupyter_servers_security_headers(client: Client) -> None:
    for reply in (
        client.get("/api/kernelspecs"),
        client.get("/api/kernelspecs"),  # the cached body too
        client.post("/api/kernels", {"name": "no-such"}),
        client.get("/api/status", token=None),  # refused
    ):
        assert reply.headers["content-security-policy"] == CSP
        assert reply.headers["x-content-type-options"] == "nosniff"


def _instantiate(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", template)


def test_spec_yaml_describes_every_route_and_only_those(served: Served, client: Client) -> None:
    reply = client.get("/api/spec.yaml")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/x-yaml")
    spec = yaml.safe_load(reply.body)
    assert spec["openapi"].startswith("3.")
    documented: dict[str, Any] = spec["paths"]
    router = served.app.router
    methods = {"get", "post", "patch", "delete", "put"}
    for template, operations in documented.items():
        for method in set(operations) & methods:
            if template.endswith("/channels"):
                continue  # a WebSocket: not in the HTTP router
            router.match(method.upper(), _instantiate(template))  # raises if not served
    served_static = {path for path in router._static if path not in {"/", "/api/"}}
    assert served_static <= set(documented)
    instances = [_instantiate(t) for t in documented]
    for pattern, _ in router._patterns:
        assert any(pattern.match(path) for path in instances), pattern.pattern


@pytest.fixture
def files(served: Served) -> Path:
    root = served.root
    (root / "hello.py").write_text("1")
    (root / "sub" / "deeper" / "hello.py").write_text("2")
    (root.parent / "outside.py").write_text("3")
    (root / "link-out.py").symlink_to(root.parent / "outside.py")
    return root


def resolve(client: Client, path: str, kernel: str | None = None) -> dict[str, Any]:
    from urllib.parse import urlencode

    query = {"path": path, **({"kernel": kernel} if kernel else {})}
    reply = client.get(f"/api/resolvePath?{urlencode(query)}")
    assert reply.status == 200, reply.body
    answer: dict[str, Any] = reply.json()
    return answer


@pytest.mark.usefixtures("files")
def test_resolve_path_in_the_server_and_in_a_kernel(
    served: Served, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = served.root
    assert resolve(client, "hello.py") == {"resolved": [{"scope": "server", "path": "hello.py"}]}
    assert resolve(client, "/sub/deeper/hello.py")["resolved"][0]["path"] == "sub/deeper/hello.py"
    # Nothing is said about files outside the root, by "..", a link or an absolute path.
    for outside in ("../outside.py", "link-out.py", str(root.parent / "outside.py"), "nope.py"):
        assert resolve(client, outside) == {"resolved": []}, outside
    monkeypatch.setenv("HOME", str(root / "sub"))
    assert resolve(client, "~/deeper/../deeper/hello.py")["resolved"] == [
        {"scope": "server", "path": "sub/deeper/hello.py"}  # an API path, normalised
    ]
    monkeypatch.setenv("HOME", str(root.parent))  # a home outside the root: nothing
    assert resolve(client, "~/outside.py") == {"resolved": []}
    # The kernel's scope: relative to its working directory, an absolute path.
    kid = start(client, {"path": "sub/deeper"})["id"]
    both = resolve(client, "hello.py", kernel=kid)["resolved"]
    assert both == [
        {"scope": "server", "path": "hello.py"},
        {"scope": "kernel", "path": (root / "sub" / "deeper" / "hello.py").as_posix()},
    ]
    assert resolve(client, "nothing.py", kernel=kid) == {"resolved": []}
    assert resolve(client, "hello.py", kernel="no-such") == {
        "resolved": [{"scope": "server", "path": "hello.py"}],
        "unresolved": [{"scope": "kernel", "reason": "Kernel no-such could not be found"}],
    }
    missing = client.get("/api/resolvePath")
    assert missing.status == 400
    assert "'path'" in missing.json()["message"]
