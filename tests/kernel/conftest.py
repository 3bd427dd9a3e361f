"""Kernel types for the kernel tests: real ipykernel and bash_kernel, and tiny fake kernels."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import pytest

from kernelhub.providers.base import InterruptMode, KernelType

IPYKERNEL_ARGV = ("python", "-m", "ipykernel_launcher", "-f", "{connection_file}")
BASH_ARGV = ("python", "-m", "bash_kernel", "-f", "{connection_file}")


def make_type(
    argv: tuple[str, ...],
    *,
    name: str = "test",
    language: str = "python",
    interrupt_mode: InterruptMode = "signal",
    env: Mapping[str, str] | None = None,
    **extra: Any,
) -> KernelType:
    """A kernel type built by hand, running on the test interpreter."""
    return KernelType(
        id=f"test/{name}",
        provider="test",
        name=name,
        display_name=name,
        language=language,
        argv=argv,
        env=dict(env or {}),
        interrupt_mode=interrupt_mode,
        interpreter=sys.executable,
        **extra,
    )


def script_type(code: str, **kw: Any) -> KernelType:
    """A fake kernel: ``python -c CODE {connection_file}``."""
    return make_type(("python", "-c", code, "{connection_file}"), **kw)


@pytest.fixture(name="make_type")
def make_type_fixture() -> Any:
    """The :func:`make_type` factory (test modules here are not a package, so no imports)."""
    return make_type


@pytest.fixture(name="script_type")
def script_type_fixture() -> Any:
    """The :func:`script_type` factory."""
    return script_type


@pytest.fixture
def ipykernel_type() -> KernelType:
    """ipykernel, as its own kernelspec starts it."""
    return make_type(IPYKERNEL_ARGV, name="python3")


@pytest.fixture
def bash_type() -> KernelType:
    """bash_kernel, as its kernelspec starts it (its ports are chosen by us)."""
    return make_type(BASH_ARGV, name="bash", language="bash")
