"""Kernel providers and the finder that walks them.

:class:`KernelFinder` is the entry point: ``KernelFinder.from_entrypoints().find_kernels()``
lists every kernel type of every registered provider. Provider classes are imported on first
use, so that importing this package stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernelhub._lazy import load
from kernelhub.providers.base import KernelType, Provider

if TYPE_CHECKING:  # pragma: no cover
    from kernelhub.providers.finder import KernelFinder, ProviderProblem
    from kernelhub.providers.pyimport import PyImportProvider
    from kernelhub.providers.spec import SpecProvider

__all__ = [
    "KernelFinder",
    "KernelType",
    "Provider",
    "ProviderProblem",
    "PyImportProvider",
    "SpecProvider",
]

_LAZY = {
    "KernelFinder": "kernelhub.providers.finder",
    "ProviderProblem": "kernelhub.providers.finder",
    "PyImportProvider": "kernelhub.providers.pyimport",
    "SpecProvider": "kernelhub.providers.spec",
}


def __getattr__(name: str) -> Any:
    return load(__name__, _LAZY, name, globals())


def __dir__() -> list[str]:
    return sorted(__all__)
