"""The hub is built on the library's registry: its kernels' managers are the registry's, and a
taken id is the registry's one error."""

from __future__ import annotations

import pytest

from kernelhub.errors import KernelExistsError
from kernelhub.manager import KernelManager
from kernelhub.providers.finder import KernelFinder
from kernelhub.server.config import ServerConfig
from kernelhub.server.kernels.hub import KernelHub, ServedKernel

from .test_cull import TYPE


def served(kernel_id: str) -> ServedKernel:
    """A kernel model whose manager never started (registering needs no process)."""
    return ServedKernel(kernel_id, "python", TYPE, KernelManager(TYPE, kernel_id=kernel_id), None)


async def test_adopted_kernels_are_the_registrys() -> None:
    hub = KernelHub(ServerConfig(port=0, token="t"), KernelFinder([]))
    first = served("k")
    await hub.adopt(first)
    assert hub.registry.get("k") is first.manager
    with pytest.raises(KernelExistsError, match="'k' is already running"):
        await hub.adopt(served("k"))
    assert hub.get("k") is first
    await hub.shutdown_kernel("k", now=True)
    assert "k" not in hub.registry
    assert "k" not in hub
    await hub.aclose()
