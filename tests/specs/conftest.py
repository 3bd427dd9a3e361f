"""Fixtures for the kernelspec tests: spec trees on disk, registries over them."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kernelhub.specs import SpecRegistry, clear_caches
from kernelhub.specs.reader import RACY_NS


def good_spec(**fields: Any) -> dict[str, Any]:
    """A valid kernel.json whose argv[0] is the python alias (always resolvable)."""
    data: dict[str, Any] = {
        "argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Good",
        "language": "python",
    }
    data.update(fields)
    return data


def write_spec(kernels: Path, name: str, content: dict[str, Any] | bytes | str) -> Path:
    """Create ``kernels/name/kernel.json`` holding ``content`` (JSON-encoded unless bytes/str)."""
    spec_dir = kernels / name
    spec_dir.mkdir(parents=True, exist_ok=True)
    kernel_file = spec_dir / "kernel.json"
    if isinstance(content, bytes):
        kernel_file.write_bytes(content)
    elif isinstance(content, str):
        kernel_file.write_text(content, encoding="utf-8")
    else:
        kernel_file.write_text(json.dumps(content), encoding="utf-8")
    return spec_dir


def age(*paths: Path) -> None:
    """Set mtimes well into the past, so that the caches trust what they read (not racy)."""
    old = time.time_ns() - 10 * RACY_NS
    for path in paths:
        os.utime(path, ns=(old, old), follow_symlinks=False)


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    clear_caches()
    yield
    clear_caches()


@pytest.fixture
def kernels(jupyter_dirs: Any) -> Path:
    """The JUPYTER_PATH kernels directory, created."""
    path: Path = jupyter_dirs.path_kernels
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def registry(kernels: Path) -> SpecRegistry:
    """A registry over the JUPYTER_PATH kernels directory only (no venv, no native spec dirs)."""
    return SpecRegistry([str(kernels)])
