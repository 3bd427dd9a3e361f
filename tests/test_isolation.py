"""Tests never see the user's real Jupyter directories, whatever the fixture scope."""

from __future__ import annotations

import os

import pytest

VARIABLES = ("HOME", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_CONFIG_DIR")


@pytest.fixture(scope="module")
def module_scope_environment() -> dict[str, str]:
    # Set up before the per-test autouse fixture: only the session-wide isolation covers it.
    return {key: os.environ[key] for key in VARIABLES}


def test_module_scoped_fixtures_are_isolated_too(
    module_scope_environment: dict[str, str],
) -> None:
    for key, value in module_scope_environment.items():
        assert "kernelhub-tests-" in value, (key, value)


def test_each_test_gets_its_own_directories(jupyter_dirs: object) -> None:
    assert "kernelhub-tests-" not in os.environ["JUPYTER_RUNTIME_DIR"]
    assert os.environ["JUPYTER_RUNTIME_DIR"].endswith("runtime")
