"""The kernel finder: every provider's kernel types, one broken provider never hiding the rest.

Providers come from the entry-point group ``kernelhub.providers`` (the built-in ``spec`` and
``pyimport`` register themselves there too) or are given explicitly. Problems (a provider that
fails to import, to instantiate or to list) are kept in :attr:`KernelFinder.problems` and
logged on the ``kernelhub`` logger at WARNING; they never stop a listing.

Entry points are read straight from the ``*.dist-info``/``*.egg-info`` directories on
``sys.path``: ``importlib.metadata`` costs ~45 ms to import here, more than the rest of a
``kernelhub list``. It is still used when ``sys.path`` holds a zip file.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from kernelhub.errors import NoSuchKernelError, close_matches
from kernelhub.providers.base import KernelType, Provider
from kernelhub.specs.native import ALIASES

__all__ = ["GROUP", "KernelFinder", "ProviderProblem"]

GROUP = "kernelhub.providers"
_BUILTIN_ORDER = {"spec": 0, "pyimport": 1, "envs": 2}
_F = TypeVar("_F", bound="KernelFinder")


def _warn(message: str, *args: object) -> None:
    # logging costs ~5 ms to import; only a problem pays for it.
    import logging

    logging.getLogger("kernelhub").warning(message, *args)


@dataclass(frozen=True)
class ProviderProblem:
    """A provider that could not be loaded or failed while listing (``provider`` is its id,
    or its entry-point name when it never got as far as having one)."""

    provider: str
    message: str


def _distribution(dirname: str) -> str:
    # The same key importlib.metadata deduplicates on: the project name, normalised.
    return re.sub(r"[-_.]+", "-", dirname.split("-", 1)[0].rsplit(".", 1)[0]).lower()


def _parse_group(text: str, group: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip()
        elif current == group and "=" in line:
            name, _, value = line.partition("=")
            found.append((name.strip(), value.strip()))
    return found


def _scan_entry_points(group: str) -> list[tuple[str, str]] | None:
    """``(name, "module:attr")`` of every entry point in ``group``; ``None`` if we cannot tell."""
    seen: set[str] = set()
    found: list[tuple[str, str]] = []
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as it:
                names = sorted(e.name for e in it if e.name.endswith((".dist-info", ".egg-info")))
        except OSError:
            if os.path.isfile(entry):
                return None  # a zip on sys.path: only importlib.metadata reads those
            continue
        for name in names:
            dist = _distribution(name)
            if dist in seen:
                continue
            seen.add(dist)
            try:
                with open(os.path.join(entry, name, "entry_points.txt"), encoding="utf-8") as f:
                    text = f.read()
            except (OSError, UnicodeDecodeError):
                continue
            found.extend(_parse_group(text, group))
    return found


def _entry_points(group: str) -> list[tuple[str, str]]:
    found = _scan_entry_points(group)
    if found is None:
        from importlib.metadata import entry_points

        found = [(ep.name, ep.value) for ep in entry_points(group=group)]
    return found


def _load(value: str) -> object:
    module, _, attr = value.partition("[")[0].partition(":")
    obj: object = importlib.import_module(module.strip())
    for part in filter(None, attr.strip().split(".")):
        obj = getattr(obj, part)
    return obj


class KernelFinder:
    """Finds kernel types across providers.

    ``KernelFinder(providers)`` uses exactly those; :meth:`from_entrypoints` loads the
    registered ones. It never starts a kernel: ``kernelhub.KernelFinder``
    (:class:`kernelhub.manager.finder.KernelFinder`) is this finder with ``launch``.
    """

    def __init__(self, providers: Iterable[Provider]) -> None:
        self.providers: list[Provider] = list(providers)
        self._load_problems: list[ProviderProblem] = []
        self.problems: list[ProviderProblem] = []
        """Load problems, plus the problems of the last :meth:`find_kernels`."""

    @classmethod
    def from_entrypoints(cls: type[_F], group: str = GROUP) -> _F:
        """A finder with every provider registered in the entry-point ``group``.

        An entry point that fails to import or to build its provider is skipped and recorded.
        The first entry point of each name wins (an editable install may list one twice).
        """
        providers: list[Provider] = []
        problems: list[ProviderProblem] = []
        names: set[str] = set()
        # The built-ins first, then the rest by name: the order of listings and of bare-name
        # resolution must not depend on how installers happened to sort the entry points.
        ordered = sorted(
            _entry_points(group), key=lambda ep: (_BUILTIN_ORDER.get(ep[0], 99), ep[0])
        )
        for name, value in ordered:
            if name in names:
                continue
            names.add(name)
            try:
                provider = _load(value)()  # type: ignore[operator]
            except Exception as exc:  # a third-party provider may fail in any way
                problems.append(ProviderProblem(name, f"failed to load {value}: {exc!r}"))
                continue
            if not isinstance(provider, Provider):
                message = f"{value} gave {type(provider).__name__}, not a provider"
                problems.append(ProviderProblem(name, message))
                continue
            providers.append(provider)
        finder = cls(providers)
        finder._load_problems = problems
        finder.problems = list(problems)
        for problem in problems:
            _warn("kernel provider %r skipped: %s", problem.provider, problem.message)
        return finder

    def _problem(self, problems: list[ProviderProblem], provider: str, message: str) -> None:
        problems.append(ProviderProblem(provider, message))
        _warn("kernel provider %r: %s", provider, message)

    def find_kernels(self, include_hidden: bool = False) -> list[KernelType]:
        """Every provider's kernel types, in provider order.

        With ``include_hidden``, also shadowed and invalid ones. A provider that raises, or
        yields something that is not a :class:`KernelType`, is recorded in :attr:`problems`;
        its types (or the bad items) are left out and the other providers still list.
        """
        problems = list(self._load_problems)
        kernels: list[KernelType] = []
        seen: set[str] = set()
        for provider in self.providers:
            pid = str(getattr(provider, "id", type(provider).__name__))
            try:
                # object, not KernelType: third-party code may yield anything.
                found: list[object] = list(provider.find(include_hidden=include_hidden))
            except Exception as exc:  # a third-party provider may fail in any way
                self._problem(problems, pid, f"failed while listing: {exc!r}")
                continue
            for kernel in found:
                if not isinstance(kernel, KernelType):
                    self._problem(problems, pid, f"yielded {type(kernel).__name__}, not a kernel")
                elif not include_hidden and kernel.id in seen:
                    self._problem(problems, pid, f"yielded {kernel.id!r} twice; kept the first")
                else:
                    seen.add(kernel.id)
                    kernels.append(kernel)
        self.problems = problems
        return kernels

    def get(self, name_or_id: str) -> KernelType:
        """The kernel type with id ``provider/name``, or the spec named ``name``.

        Case-insensitive; a bare name means ``spec/<name>`` (``python`` means ``spec/python3``
        when no spec is named ``python``). A usable type is preferred; failing that the type
        that owns the id even if invalid, so that its diagnostics can be shown. Unknown names
        raise :class:`NoSuchKernelError` with close matches among ids and bare spec names.
        """
        kernels = self.find_kernels(include_hidden=True)
        key = name_or_id.lower()
        wanted = [key] if "/" in key else [f"spec/{key}"]
        if key in ALIASES:
            wanted.append(f"spec/{ALIASES[key]}")
        for want in wanted:
            owners = [k for k in kernels if k.id.lower() == want and k.status != "shadowed"]
            owners.sort(key=lambda k: k.status == "invalid")
            if owners:
                return owners[0]
        names = {k.id for k in kernels} | {k.name for k in kernels if k.provider == "spec"}
        raise NoSuchKernelError(name_or_id, close_matches(name_or_id, names), what="kernel")
