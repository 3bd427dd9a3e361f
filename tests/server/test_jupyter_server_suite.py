"""Jupyter Server's own REST tests, run black-box against a ``kernelhub serve`` process.

The pinned Jupyter Server source distribution is downloaded once with pip (``pip download
--no-binary``) into a cache outside the repository (``$KERNELHUB_TEST_CACHE``, default
``/tmp/kernelhub-test-cache``: the tests' HOME is a fresh temporary directory, so the user's
own cache cannot be found from here), and its
``tests/services/{kernels,kernelspecs,sessions}/test_api.py`` (with the ``tests/utils.py``
they import) are extracted into a temporary directory for each run, next to our black-box
conftest (:mod:`tests.server.jsuite_conftest`, which lists what cannot pass from outside and
why). pytest runs them in a subprocess; this test asserts exactly which passed, so that a
regression (or an xfail that starts passing) fails it.

The server runs with HOME set to its root directory: the ``~`` expansion tests set HOME in
the test process only, and expect it to name the server's root (or, in one, a directory
outside it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.server.conftest import TOKEN
from tests.server.serve_process import serve, serve_processes

__all__ = ["serve_processes"]  # the fixture, imported for the test of this module

VERSION = "2.21.1"
SUITES = ("kernels", "kernelspecs", "sessions")
BASE_URL = "/kh-suite/"
SUITE_TIMEOUT = 900.0

#: Every test of the three files that runs (the first parametrisation of each).
PASSING = {
    "kernels": {
        "test_no_kernels",
        "test_default_kernels",
        "test_post_kernel_with_client_supplied_id",
        "test_main_kernel_handler",
        "test_resolve_path_kernel",
        "test_resolve_path_server_traversal",
        "test_resolve_path_server",
        "test_resolve_path_server_expands_user",
        "test_resolve_path_server_expands_user_normalizes_path",
        "test_resolve_path_server_expands_user_rejects_outside_root",
        "test_resolve_path_server_and_kernel",
        "test_resolve_path_missing",
        "test_resolve_path_missing_kernel_reports_unresolved",
        "test_kernel_handler",
        "test_kernel_handler_startup_error",
        "test_kernel_handler_startup_error_pending",
        "test_connection",
    },
    "kernelspecs": {
        "test_list_kernelspecs_bad",
        "test_list_kernelspecs",
        "test_get_kernelspecs",
        "test_get_nonexistant_kernelspec",
        "test_get_kernel_resource_file",
        "test_get_nonexistant_resource",
    },
    "sessions": {
        "test_create",
        "test_create_bad_pending",
        "test_create_file_session",
        "test_create_console_session",
        "test_create_deprecated",
        "test_create_with_kernel_id",
        "test_create_with_bad_kernel_id",
        "test_create_with_client_supplied_kernel_id",
        "test_create_attach_to_existing_kernel_via_kernel_id",
        "test_create_session_without_kernel_id_mints_uuid",
        "test_delete",
        "test_modify_path",
        "test_modify_path_deprecated",
        "test_modify_type",
        "test_modify_kernel_name",
        "test_modify_kernel_id",
        "test_restart_kernel",
    },
}
#: Those that need Jupyter Server's internals (reasons in jsuite_conftest.XFAIL).
XFAILED = {"sessions": {"test_create_bad", "test_create_session_duplicate_kernel_id_returns_409"}}


def cache_dir() -> Path:
    """Where the source distribution is kept between runs."""
    return Path(os.environ.get("KERNELHUB_TEST_CACHE", "/tmp/kernelhub-test-cache"))


def sdist() -> Path:
    """The cached source distribution (downloaded with pip the first time)."""
    cache = cache_dir()
    target = cache / f"jupyter_server-{VERSION}.tar.gz"
    if target.exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as scratch:
        argv = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
        argv += [f"jupyter_server=={VERSION}", "-d", scratch, "--quiet"]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
        got = Path(scratch) / target.name
        assert done.returncode == 0, f"pip download failed: {done.stderr}"
        assert got.exists(), f"pip download left no {got.name}: {done.stdout}"
        os.replace(got, target)  # atomic: a concurrent run sees all of it or nothing
    return target


def extract(archive: Path, into: Path) -> None:
    """The three test files and what they import from Jupyter Server's ``tests`` package."""
    prefix = f"jupyter_server-{VERSION}/"
    wanted = {"tests/__init__.py", "tests/utils.py", "tests/services/__init__.py"}
    for suite in SUITES:
        wanted |= {f"tests/services/{suite}/__init__.py", f"tests/services/{suite}/test_api.py"}
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.name.removeprefix(prefix) in wanted]
        assert len(members) == len(wanted), sorted(wanted - {m.name for m in members})
        for member in members:
            member.name = member.name.removeprefix(prefix)
            tar.extract(member, into, filter="data")
    shutil.copy(Path(__file__).with_name("jsuite_conftest.py"), into / "conftest.py")
    (into / "pytest.ini").write_text(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
        "timeout = 120\nxfail_strict = true\n"
    )


def outcomes(junit: Path) -> dict[str, dict[str, str]]:
    """suite -> test name (without its parameter) -> passed, failed, skipped or xfailed."""
    found: dict[str, dict[str, str]] = {}
    for case in ET.parse(junit).iter("testcase"):
        suite = case.get("classname", "").split(".")[2]
        name = case.get("name", "").split("[")[0]
        children = {child.tag: child for child in case}
        if "failure" in children or "error" in children:
            outcome = "failed"
        elif "skipped" in children:
            kind = children["skipped"].get("type", "")
            outcome = "xfailed" if kind == "pytest.xfail" else "skipped"
        else:
            outcome = "passed"
        found.setdefault(suite, {})[name] = outcome
    return found


@pytest.mark.slow
@pytest.mark.timeout(SUITE_TIMEOUT + 60)
def test_jupyter_servers_rest_tests_pass(
    tmp_path: Path, jupyter_dirs: Any, serve_processes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = sdist()
    suite = tmp_path / "suite"
    suite.mkdir()
    extract(archive, suite)
    root = tmp_path / "beside" / "root"
    root.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(root))  # see the module docstring
    server = serve(tmp_path / "state", root, "--base-url", BASE_URL, "--shutdown-kernels-on-exit")
    monkeypatch.setenv("HOME", str(jupyter_dirs.home))
    env = dict(os.environ)
    for leaky in ("PYTHONPATH", "PYTEST_ADDOPTS", "PYTEST_PLUGINS"):
        env.pop(leaky, None)
    env.update(
        KERNELHUB_SUITE_URL=f"http://127.0.0.1:{server.port}{BASE_URL}",
        KERNELHUB_SUITE_TOKEN=TOKEN,
        KERNELHUB_SUITE_ROOT=str(root),
        KERNELHUB_SUITE_DATA=str(jupyter_dirs.data),
    )
    junit = tmp_path / "junit.xml"
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rfE"]
    argv += ["--rootdir", str(suite), "-c", str(suite / "pytest.ini"), f"--junitxml={junit}"]
    argv += [f"tests/services/{name}/test_api.py" for name in SUITES]
    done = subprocess.run(
        argv,
        cwd=suite,
        env=env,
        capture_output=True,
        text=True,
        timeout=SUITE_TIMEOUT,
        check=False,
    )
    report = f"{done.stdout[-8000:]}\n{done.stderr[-4000:]}\nserver log:\n{server.log_text()}"
    assert junit.exists(), report
    got = outcomes(junit)
    for name in SUITES:
        passed = {t for t, outcome in got.get(name, {}).items() if outcome == "passed"}
        xfailed = {t for t, outcome in got.get(name, {}).items() if outcome == "xfailed"}
        assert passed == PASSING[name], (name, sorted(PASSING[name] - passed), report)
        assert xfailed == XFAILED.get(name, set()), (name, xfailed, report)
    assert done.returncode == 0, report
    assert server.stop() == 0
