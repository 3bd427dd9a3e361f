"""The ``spec`` provider: every kernelspec directory, as jupyter_client sees them."""

from __future__ import annotations

import sys
from collections.abc import Iterator

from kernelhub.providers.base import KernelType
from kernelhub.specs import SpecEntry, SpecRegistry, is_python_alias
from kernelhub.specs.resources import list_resources

__all__ = ["SpecProvider", "entry_to_type"]

# (provider id, resource dir) -> (entry, resources, type): the registry hands back the very same
# entry and resource tuple while nothing changed, so an unchanged spec's type is reused as is.
_types: dict[tuple[str, str], tuple[SpecEntry, tuple[str, ...], KernelType]] = {}


def entry_to_type(entry: SpecEntry, provider: str = "spec") -> KernelType:
    """The kernel type of one registry entry (invalid entries keep their name and diagnostics)."""
    resources = list_resources(entry.resource_dir)
    key = (provider, entry.resource_dir)
    cached = _types.get(key)
    if cached is not None and cached[0] is entry and cached[1] is resources:
        return cached[2]
    kernel = _build(entry, provider, resources)
    _types[key] = (entry, resources, kernel)
    return kernel


def _interpreter(entry: SpecEntry) -> str | None:
    """The Python interpreter a spec runs: kernelhub's own for ``python``/``python3``, the
    program itself when argv[0] names a Python (``/home/u/proj/.venv/bin/python``), else none
    (an R or Julia kernel belongs to no Python, even when it lives next to one)."""
    from kernelhub.providers.envspecs import is_python_program

    spec = entry.spec
    if spec is None or not spec.argv:
        return None
    if is_python_alias(spec.argv[0]):
        return sys.executable
    if entry.executable is not None and is_python_program(spec.argv[0], entry.executable):
        return entry.executable
    return None


def _build(entry: SpecEntry, provider: str, resources: tuple[str, ...]) -> KernelType:
    spec = entry.spec
    interpreter = _interpreter(entry)
    return KernelType(
        id=f"{provider}/{entry.name}",
        provider=provider,
        name=entry.name,
        display_name=(spec.display_name if spec is not None else "") or entry.name,
        language=spec.language if spec is not None else "",
        argv=spec.argv if spec is not None else (),
        env=spec.env if spec is not None else {},
        interrupt_mode=spec.interrupt_mode if spec is not None else "signal",
        resource_dir=entry.resource_dir,
        resources=resources,
        executable=entry.executable,
        interpreter=interpreter,
        kernel_protocol_version=spec.kernel_protocol_version if spec is not None else None,
        metadata=spec.metadata if spec is not None else {},
        status=entry.status,
        diagnostics=entry.diagnostics,
        origin=entry.kernel_file or f"ipykernel in {sys.executable}",
    )


class SpecProvider:
    """Kernel types from kernelspec directories: ids ``spec/<name>``.

    ``registry`` defaults to the standard search path (:class:`SpecRegistry`).
    """

    id = "spec"

    def __init__(self, registry: SpecRegistry | None = None) -> None:
        self.registry = registry or SpecRegistry()

    def find(self, *, include_hidden: bool = False) -> Iterator[KernelType]:
        """Yield one kernel type per entry of the registry (see :meth:`SpecRegistry.entries`)."""
        for entry in self.registry.entries(include_hidden=include_hidden):
            yield entry_to_type(entry, self.id)
