"""Python environments as kernel types (``conda/datasci``, ``venv/myproject``, ...)."""

from __future__ import annotations

from collections.abc import Iterator

from kernelhub.providers.base import KernelType

__all__ = ["EnvProvider"]


class EnvProvider:
    """Every environment with ipykernel becomes a launchable kernel type."""

    id = "envs"

    def find(self, *, include_hidden: bool = False) -> Iterator[KernelType]:
        """Yield one kernel type per environment (not built yet)."""
        return iter(())
