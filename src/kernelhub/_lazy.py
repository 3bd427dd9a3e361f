"""Names a package exports but imports on first use (PEP 562), so that importing it stays cheap.

Used by ``kernelhub``, ``kernelhub.specs`` and ``kernelhub.providers``: each keeps a table of
name -> defining module and writes ``def __getattr__(name): return load(...)``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, MutableMapping
from typing import Any

__all__ = ["load"]


def load(
    package: str, exports: Mapping[str, str], name: str, namespace: MutableMapping[str, Any]
) -> Any:
    """Import ``name`` from the module ``exports`` names for it and keep it in ``namespace``
    (the package's globals), so that the next access is a plain lookup.

    Raises :class:`AttributeError`, as a module does, for a name ``package`` does not export.
    """
    module = exports.get(name)
    if module is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    namespace[name] = value
    return value
