"""API names for kernel types, and the cached listing they come from.

Jupyter's API names kernelspecs by a plain name that cannot contain ``/``. Kernelspecs keep
their own name (``python3``); other providers' types are named ``<provider>-<name>`` with every
character outside ``[A-Za-z0-9._-]`` replaced by ``-`` (``venv/main`` -> ``venv-main``). A real
kernelspec always wins a clash: the other type gets ``~2``, ``~3``, ... in listing order (the
finder's order is fixed: built-in providers first, then by name), so names are stable from run
to run. ``~`` is unreserved in URLs and can never occur in a kernelspec name, so a suffixed
name never collides with a spec created later.

Listing kernel types touches the file system, so a :class:`KernelNames` keeps the last listing
for ``ttl`` seconds and rescans in a worker thread; :attr:`Listing.generation` changes only
when the listing does, for callers that cache what they derive from it.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from kernelhub.errors import NoSuchKernelError, close_matches
from kernelhub.providers.base import KernelType
from kernelhub.providers.finder import KernelFinder

__all__ = ["KernelNames", "Listing", "api_name_for"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def api_name_for(kernel_type: KernelType) -> str:
    """The API name before clash resolution (``python3``, ``venv-main``)."""
    if kernel_type.provider == "spec":
        return kernel_type.name
    return _UNSAFE.sub("-", f"{kernel_type.provider}-{kernel_type.name}")


@dataclass(frozen=True)
class Listing:
    """One snapshot of the kernel types, by API name, in listing order."""

    by_name: Mapping[str, KernelType]
    generation: int
    names_by_id: Mapping[str, str] = field(default_factory=dict)

    def name_of(self, kernel_type: KernelType) -> str:
        """The API name of ``kernel_type`` (computed if it is not in this listing)."""
        return self.names_by_id.get(kernel_type.id) or api_name_for(kernel_type)


def _build(kernels: list[KernelType], generation: int) -> Listing:
    by_name: dict[str, KernelType] = {}
    lowered: set[str] = set()
    # Specs first so that a real kernelspec always keeps its name.
    ordered = sorted(kernels, key=lambda k: k.provider != "spec")
    for kernel in ordered:
        base = name = api_name_for(kernel)
        n = 1
        while name.lower() in lowered:
            n += 1
            name = f"{base}~{n}"
        lowered.add(name.lower())
        by_name[name] = kernel
    # Back to the finder's order for the listing itself.
    position = {k.id: i for i, k in enumerate(kernels)}
    by_name = dict(sorted(by_name.items(), key=lambda item: position[item[1].id]))
    names_by_id = {k.id: name for name, k in by_name.items()}
    return Listing(by_name, generation, names_by_id)


class KernelNames:
    """The kernel types of ``finder`` under their API names (see the module docstring)."""

    def __init__(self, finder: KernelFinder, *, ttl: float = 2.0) -> None:
        self.finder = finder
        self.ttl = ttl
        self._listing: Listing | None = None
        self._stamp = 0.0
        self._refresh: asyncio.Future[Listing] | None = None

    def listing_now(self) -> Listing:
        """The listing, rescanned synchronously if it is older than ``ttl``."""
        if self._listing is None or time.monotonic() - self._stamp > self.ttl:
            self._store(self.finder.find_kernels())
        assert self._listing is not None
        return self._listing

    async def listing(self) -> Listing:
        """The listing; a stale one is rescanned in a worker thread (one scan at a time)."""
        if self._listing is not None and time.monotonic() - self._stamp <= self.ttl:
            return self._listing
        if self._refresh is None or self._refresh.done():
            self._refresh = asyncio.ensure_future(self._rescan())
        return await asyncio.shield(self._refresh)

    async def _rescan(self) -> Listing:
        kernels = await asyncio.to_thread(self.finder.find_kernels)
        return self._store(kernels)

    def _store(self, kernels: list[KernelType]) -> Listing:
        old = self._listing
        ids = [(k.id, k) for k in kernels]
        if old is not None and ids == [(k.id, k) for k in old.by_name.values()]:
            # Unchanged: keep the generation so cached responses stay valid.
            listing = old
        else:
            listing = _build(kernels, (old.generation + 1) if old else 1)
        self._listing, self._stamp = listing, time.monotonic()
        return listing

    def invalidate(self) -> None:
        """Forget the age of the listing: the next call rescans."""
        self._stamp = float("-inf")

    @staticmethod
    def resolve(listing: Listing, name: str) -> KernelType:
        """The type named ``name``: an API name, a kernelhub id (``spec/python3``,
        ``venv/main``) or a bare spec name, case-insensitive. Unknown: NoSuchKernelError
        with close matches among API names."""
        if name in listing.by_name:
            return listing.by_name[name]
        key = name.lower()
        for api_name, kernel in listing.by_name.items():
            if api_name.lower() == key or kernel.id.lower() == key:
                return kernel
        if "/" not in key:
            for kernel in listing.by_name.values():
                if kernel.id.lower() == f"spec/{key}":
                    return kernel
        hint = close_matches(name, list(listing.by_name) + [k.id for k in listing.by_name.values()])
        raise NoSuchKernelError(name, hint, what="kernel type")
