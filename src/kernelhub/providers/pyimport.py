"""The ``pyimport`` provider: ipykernel importable in the current interpreter."""

from __future__ import annotations

import sys
from collections.abc import Iterator

from kernelhub.providers.base import KernelType
from kernelhub.specs import native_spec
from kernelhub.specs.resources import list_resources

__all__ = ["PyImportProvider"]


class PyImportProvider:
    """Exactly one kernel type, ``pyimport/kernel``, when ipykernel can be imported here.

    It runs ipykernel in this very interpreter, whatever kernelspecs say; ipykernel is found
    without being imported (see :mod:`kernelhub.specs.native`).
    """

    id = "pyimport"

    def find(self, *, include_hidden: bool = False) -> Iterator[KernelType]:
        """Yield ``pyimport/kernel`` if ipykernel is importable, else nothing."""
        spec = native_spec()
        if spec is None:
            return
        yield KernelType(
            id=f"{self.id}/kernel",
            provider=self.id,
            name="kernel",
            display_name=spec.display_name,
            language=spec.language,
            argv=spec.argv,
            interrupt_mode=spec.interrupt_mode,
            resource_dir=spec.resource_dir,
            resources=list_resources(spec.resource_dir),
            executable=sys.executable,
            interpreter=sys.executable,
            kernel_protocol_version=spec.kernel_protocol_version,
            metadata=spec.metadata,
            origin=f"ipykernel in {sys.executable}",
        )
