"""API names for kernel types, the listing a frontend is offered, and how it is kept fresh.

Jupyter's API names kernelspecs by a plain name that cannot contain ``/``. Kernelspecs keep
their own name (``python3``); other providers' types are named ``<provider>-<name>`` with every
character outside ``[A-Za-z0-9._-]`` replaced by ``-`` (``venv/main`` -> ``venv-main``). A real
kernelspec always wins a clash: the other type gets ``~2``, ``~3``, ... in listing order (the
finder's order is fixed: built-in providers first, then by name), so names are stable from run
to run. ``~`` is unreserved in URLs and can never occur in a kernelspec name, so a suffixed
name never collides with a spec created later.

A :class:`Listing` lists one type per distinct runnable kernel, with unique display names
(:mod:`kernelhub.server.kernels.distinct`), or every type with ``everything``; every type resolves
by name whether it is listed or not, so that a notebook that stored a hidden name still starts.

Freshness: a kernelspec installed or removed is listed at the very next request. The
kernelspec directories are looked at once per turn of the event loop that serves a listing
(see :meth:`KernelNames.listing`): one ``stat`` per directory while none changed, and the
registry's entries (one ``stat`` per spec; it re-reads only what changed) when one did; a
changed entry means a rescan of every provider. Everything else (other providers, a
kernel.json edited in place) is rescanned once the listing is ``ttl`` seconds old: environment
discovery checks every path it looked at (hundreds of ``stat`` calls for a home with pyenv and
conda), too much for every request of a frontend that polls. Rescans run in a worker thread,
one at a time; :attr:`Listing.generation` changes only when the listing does,
for callers that cache what they derive from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from kernelhub.errors import NoSuchKernelError, close_matches
from kernelhub.providers.base import KernelType
from kernelhub.providers.finder import KernelFinder
from kernelhub.providers.spec import SpecProvider
from kernelhub.server.kernels.distinct import offer
from kernelhub.specs import SpecEntry
from kernelhub.specs.reader import stat_key, trusted

__all__ = ["KernelNames", "Listing", "api_name_for"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def api_name_for(kernel_type: KernelType) -> str:
    """The API name before clash resolution (``python3``, ``venv-main``)."""
    if kernel_type.provider == "spec":
        return kernel_type.name
    return _UNSAFE.sub("-", f"{kernel_type.provider}-{kernel_type.name}")


@dataclass(frozen=True)
class Listing:
    """One snapshot of the kernel types under their API names, in listing order.

    ``by_name`` is what frontends are shown; ``everything`` every type, shown or not (empty:
    the same as ``by_name``); ``duplicate_of`` maps a hidden duplicate to the shown name that
    runs the same kernel. Types carry their unique display names.
    """

    by_name: Mapping[str, KernelType]
    generation: int
    names_by_id: Mapping[str, str] = field(default_factory=dict)
    everything: Mapping[str, KernelType] = field(default_factory=dict)
    duplicate_of: Mapping[str, str] = field(default_factory=dict)

    @property
    def resolvable(self) -> Mapping[str, KernelType]:
        """Every type a name may resolve to."""
        return self.everything or self.by_name

    def name_of(self, kernel_type: KernelType) -> str:
        """The API name of ``kernel_type`` (computed if it is not in this listing)."""
        return self.names_by_id.get(kernel_type.id) or api_name_for(kernel_type)


def _api_names(kernels: list[KernelType]) -> dict[str, str]:
    """Kernel type id -> API name, clashes resolved (see the module docstring)."""
    names: dict[str, str] = {}
    lowered: set[str] = set()
    # Specs first so that a real kernelspec always keeps its name.
    for kernel in sorted(kernels, key=lambda k: k.provider != "spec"):
        base = name = api_name_for(kernel)
        n = 1
        while name.lower() in lowered:
            n += 1
            name = f"{base}~{n}"
        lowered.add(name.lower())
        names[kernel.id] = name
    return names


def _lookup(types: Mapping[str, KernelType], name: str) -> KernelType | None:
    if name in types:
        return types[name]
    key = name.lower()
    for api_name, kernel in types.items():
        if api_name.lower() == key or kernel.id.lower() == key:
            return kernel
    if "/" not in key:
        for kernel in types.values():
            if kernel.id.lower() == f"spec/{key}":
                return kernel
    return None


def _build(
    kernels: list[KernelType], generation: int, *, everything: bool, default: str | None
) -> Listing:
    names = _api_names(kernels)
    named = [(names[k.id], k) for k in kernels]
    preferred = _lookup(dict(named), default) if default else None
    chosen = offer(named, names[preferred.id] if preferred is not None else None)
    every: dict[str, KernelType] = {}
    for name, kernel in named:
        display = chosen.display_names[name]
        same = display == kernel.display_name
        every[name] = kernel if same else dataclasses.replace(kernel, display_name=display)
    shown = every if everything else {name: every[name] for name in chosen.offered}
    return Listing(shown, generation, names, every, chosen.duplicate_of)


class KernelNames:
    """The kernel types of ``finder`` under their API names (see the module docstring).

    ``everything`` lists every type (``kernelhub serve --all-kernel-types``); ``default`` is
    the default kernel's name (the server's ``default_kernel_name``), which wins among types
    that run the same kernel.
    """

    def __init__(
        self,
        finder: KernelFinder,
        *,
        ttl: float = 2.0,
        everything: bool = False,
        default: str | None = "python3",
    ) -> None:
        self.finder = finder
        self.ttl = ttl
        self.everything = everything
        self.default = default
        self._listing: Listing | None = None
        self._kernels: list[KernelType] = []
        self._specs: list[SpecEntry] | None = None
        self._stamp = 0.0
        self._refresh: asyncio.Future[Listing] | None = None
        self._refresh_specs: list[SpecEntry] | None = None
        self._check: list[SpecEntry] | None = None
        self._entries: list[SpecEntry] | None = None
        self._dirs_seen: object = None
        self._check_valid = False

    def _spec_state(self) -> list[SpecEntry] | None:
        """The kernelspec registry's entries now (``None`` when the finder has no spec
        provider); unchanged entries are the same objects, so comparing them is cheap.

        The entries cost one ``stat`` per spec (20 ms for 1,000 specs), so they are taken
        again only when a kernels directory changed: installing or removing a spec adds or
        removes a child, which changes the directory's ``stat``. A directory changed within
        the last :data:`~kernelhub.specs.reader.RACY_NS` proves nothing (coarse clocks; an
        install still writing into the spec it just made), so then the entries are taken
        every time. A kernel.json edited in place is seen by the rescan after ``ttl``.
        """
        registry = next(
            (p.registry for p in self.finder.providers if isinstance(p, SpecProvider)), None
        )
        if registry is None:
            return None
        dirs = tuple(registry.dirs())
        now = time.time_ns()
        keys: list[tuple[int, ...] | None] = []
        settled = True
        for directory in dirs:
            try:
                key = stat_key(os.stat(directory))
            except OSError:
                keys.append(None)
                continue
            keys.append(key)
            settled = settled and trusted(key, now)
        signature = (dirs, tuple(keys))
        if settled and signature == self._dirs_seen and self._entries is not None:
            return self._entries
        self._entries = list(registry.entries())
        self._dirs_seen = signature if settled else None
        return self._entries

    def _fresh(self, specs: list[SpecEntry] | None) -> bool:
        return (
            self._listing is not None
            and (specs is self._specs or specs == self._specs)
            and time.monotonic() - self._stamp <= self.ttl
        )

    def listing_now(self) -> Listing:
        """The listing, rescanned synchronously if a kernelspec changed or it is old."""
        specs = self._spec_state()
        if not self._fresh(specs):
            self._store(self.finder.find_kernels(), specs)
        assert self._listing is not None
        return self._listing

    def _checked_specs(self) -> list[SpecEntry] | None:
        # One check per turn of the event loop serves every request that turn runs: each was
        # read from its socket before the turn began, so before the check, and a kernelspec
        # its client installed first is already seen. The check is forgotten at the next turn
        # (call_soon runs there, before the callbacks of anything read in between).
        if not self._check_valid:
            self._check = self._spec_state()
            self._check_valid = True
            asyncio.get_running_loop().call_soon(self._forget_check)
        return self._check

    def _forget_check(self) -> None:
        self._check_valid = False

    async def listing(self) -> Listing:
        """The listing; rescanned in a worker thread if a kernelspec changed or it is old."""
        specs = self._checked_specs()
        if self._fresh(specs):
            assert self._listing is not None
            return self._listing
        refresh = self._refresh
        # A scan under way that started before this change cannot be trusted to see it.
        if refresh is None or refresh.done() or self._refresh_specs != specs:
            refresh = self._refresh = asyncio.ensure_future(self._rescan(specs, refresh))
            self._refresh_specs = specs
        return await asyncio.shield(refresh)

    async def _rescan(
        self, specs: list[SpecEntry] | None, previous: asyncio.Future[Listing] | None
    ) -> Listing:
        if previous is not None and not previous.done():
            # One scan at a time: providers cache what they read and are not made for two.
            with contextlib.suppress(Exception):
                await previous
        kernels = await asyncio.to_thread(self.finder.find_kernels)
        return self._store(kernels, specs)

    def _store(self, kernels: list[KernelType], specs: list[SpecEntry] | None) -> Listing:
        old = self._listing
        if old is None or kernels != self._kernels:
            generation = (old.generation + 1) if old else 1
            self._listing = _build(
                kernels, generation, everything=self.everything, default=self.default
            )
            self._kernels = kernels
        # Unchanged: the same listing, so its generation and cached responses stay valid.
        self._specs, self._stamp = specs, time.monotonic()
        assert self._listing is not None
        return self._listing

    def invalidate(self) -> None:
        """Forget the age of the listing: the next call rescans."""
        self._stamp = float("-inf")

    @staticmethod
    def resolve(listing: Listing, name: str) -> KernelType:
        """The type named ``name``, listed or not: an API name, a kernelhub id
        (``spec/python3``, ``venv/main``) or a bare spec name, case-insensitive. Unknown:
        NoSuchKernelError with close matches among the listed API names and ids."""
        found = _lookup(listing.resolvable, name)
        if found is not None:
            return found
        hint = close_matches(name, list(listing.by_name) + [k.id for k in listing.by_name.values()])
        raise NoSuchKernelError(name, hint, what="kernel type")
