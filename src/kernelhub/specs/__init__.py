"""Kernelspecs: the kernel.json records, the directories that hold them, install and remove.

The registry finds specs exactly where and as jupyter_client does (see :mod:`.scan`);
records are frozen :class:`KernelSpec` objects; listings are cheap to repeat because everything
read is cached on its ``stat`` (see :mod:`.reader`). Names are imported on first use, so that
listing never pays for the install machinery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernelhub._lazy import load

if TYPE_CHECKING:  # pragma: no cover
    from kernelhub.specs.install import install_spec, remove_specs, stale_spec_names
    from kernelhub.specs.model import KernelSpec, check_name, is_valid_name, parse_spec
    from kernelhub.specs.native import ALIASES, NATIVE_NAME, native_spec
    from kernelhub.specs.reader import MAX_SPEC_BYTES
    from kernelhub.specs.registry import SpecEntry, SpecRegistry
    from kernelhub.specs.resolve import is_python_alias

__all__ = [
    "ALIASES",
    "MAX_SPEC_BYTES",
    "NATIVE_NAME",
    "KernelSpec",
    "SpecEntry",
    "SpecRegistry",
    "check_name",
    "clear_caches",
    "install_spec",
    "is_python_alias",
    "is_valid_name",
    "native_spec",
    "parse_spec",
    "remove_specs",
    "stale_spec_names",
]

_LAZY = {
    "ALIASES": "kernelhub.specs.native",
    "MAX_SPEC_BYTES": "kernelhub.specs.reader",
    "NATIVE_NAME": "kernelhub.specs.native",
    "KernelSpec": "kernelhub.specs.model",
    "SpecEntry": "kernelhub.specs.registry",
    "SpecRegistry": "kernelhub.specs.registry",
    "check_name": "kernelhub.specs.model",
    "install_spec": "kernelhub.specs.install",
    "is_python_alias": "kernelhub.specs.resolve",
    "is_valid_name": "kernelhub.specs.model",
    "native_spec": "kernelhub.specs.native",
    "parse_spec": "kernelhub.specs.model",
    "remove_specs": "kernelhub.specs.install",
    "stale_spec_names": "kernelhub.specs.install",
}


def __getattr__(name: str) -> Any:
    return load(__name__, _LAZY, name, globals())


def __dir__() -> list[str]:
    return sorted(__all__)


def clear_caches() -> None:
    """Forget everything read so far: listings, parsed specs, resources, where ipykernel is.

    Never needed for correctness (caches check ``stat``); for tests and memory-minded hosts.
    """
    from kernelhub.specs import native, reader, resources, scan

    reader.clear_cache()
    scan.clear_cache()
    resources.clear_cache()
    native.ipykernel_resources.cache_clear()
    native.native_spec.cache_clear()
