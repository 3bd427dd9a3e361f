"""The native kernel: ipykernel in the current interpreter, listed even with no python3 dir.

ipykernel is located with ``importlib.util.find_spec`` and never imported: importing it costs
about 200 ms. The spec is the one ``ipykernel.kernelspec.get_kernel_dict()`` (ipykernel 7)
returns, which is what jupyter_client reports for ``python3`` when no directory provides it;
its ``metadata`` differs between ipykernel versions, told apart by the name of ipykernel's
``.dist-info`` directory beside the package (a file listing, no import).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from types import MappingProxyType

from kernelhub.specs.model import KernelSpec

__all__ = ["ALIASES", "NATIVE_NAME", "ipykernel_resources", "native_spec"]

NATIVE_NAME = "python3"
# Other names that mean the native kernel when no spec of that name exists.
ALIASES: dict[str, str] = {"python": NATIVE_NAME}


@functools.cache
def ipykernel_resources() -> str | None:
    """ipykernel's ``resources`` directory (its logos), or ``None`` if it is not importable."""
    try:
        found = importlib.util.find_spec("ipykernel")
    except (ImportError, ValueError):
        return None
    if found is None or not found.submodule_search_locations:
        return None
    return os.path.join(next(iter(found.submodule_search_locations)), "resources")


def _version(resources: str) -> tuple[int, ...] | None:
    """ipykernel's version, from the ``ipykernel-X.Y.Z.dist-info`` beside its package."""
    site = os.path.dirname(os.path.dirname(resources))
    try:
        names = os.listdir(site)
    except OSError:
        return None
    for name in names:
        if name.startswith("ipykernel-") and name.endswith(".dist-info"):
            release = name[len("ipykernel-") : -len(".dist-info")].split(".")
            digits = [int(part) for part in release[:2] if part.isdigit()]
            return tuple(digits) if len(digits) == 2 else None
    return None


def _metadata(version: tuple[int, ...] | None) -> dict[str, object]:
    """What ``get_kernel_dict()`` puts in ``metadata``, by ipykernel version."""
    if version is not None and version < (7, 3):
        return {"debugger": True}
    if version == (7, 3):
        return {"debugger": True, "supported_encryption": "curve"}  # 7.3 wrote a string
    return {"debugger": True, "supported_encryption": ["curve"]}


@functools.cache
def native_spec() -> KernelSpec | None:
    """The native ``python3`` spec, or ``None`` when ipykernel is not importable here."""
    resources = ipykernel_resources()
    if resources is None:
        return None
    return KernelSpec(
        name=NATIVE_NAME,
        resource_dir=resources,
        argv=(sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"),
        display_name=f"Python {sys.version_info[0]} (ipykernel)",
        language="python",
        metadata=MappingProxyType(_metadata(_version(resources))),
        kernel_protocol_version="5.5",
    )
