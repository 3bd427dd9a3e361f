"""The kernelspec registry: every kernel directory on the search path, by jupyter_client's rules.

The default listing of valid specs equals jupyter_client's ``get_all_specs()`` (see
:mod:`.scan` for the rules). What jupyter_client hides silently stays visible here with
``include_hidden``: shadowed specs, invalid ones and directories that look like specs but are
not. ``python3`` is always there when ipykernel is importable (:mod:`.native`).
"""

from __future__ import annotations

from collections.abc import Sequence

from kernelhub import paths
from kernelhub.errors import InvalidSpecError, NoSuchKernelError, close_matches
from kernelhub.specs import native, resources
from kernelhub.specs.model import KernelSpec
from kernelhub.specs.scan import SpecEntry, scan

__all__ = ["SpecEntry", "SpecRegistry"]


class SpecRegistry:
    """The kernelspecs in ``dirs``, highest priority first.

    ``dirs`` defaults to :func:`kernelhub.paths.kernel_dirs`, evaluated on every call so that
    environment changes are seen. Registries are cheap to create: parsed specs and directory
    listings are cached module-wide on their ``stat``, so a repeated listing of unchanged
    directories reads no file.
    """

    def __init__(self, dirs: Sequence[str] | None = None) -> None:
        self._dirs = list(dirs) if dirs is not None else None
        self.problems: list[str] = []
        """Directory-level problems met by the last listing (e.g. an unlistable directory)."""

    def dirs(self) -> list[str]:
        """The directories searched, highest priority first."""
        return list(self._dirs) if self._dirs is not None else paths.kernel_dirs()

    def _scan(self, include_hidden: bool, only: str | None = None) -> list[SpecEntry]:
        entries, self.problems = scan(self.dirs(), include_hidden, only)
        return entries

    def entries(self, include_hidden: bool = False) -> list[SpecEntry]:
        """Every kernel name with its winning spec, sorted by name.

        By default only usable specs (``ok`` and ``stale``): jupyter_client's listing. With
        ``include_hidden``, also invalid winners; after each winner the specs it shadows (in
        search-path order); then directories that look like specs but are not.
        """
        found = self._scan(include_hidden)
        if include_hidden:
            return found
        return [e for e in found if e.status in ("ok", "stale")]

    def entry(self, name: str, *, aliases: bool = True) -> SpecEntry:
        """The winning entry for ``name``, case-insensitive, whatever its status.

        With ``aliases``, ``python`` means ``python3`` when no spec is named ``python``.
        Raises :class:`NoSuchKernelError` with close matches when no directory holds it.
        """
        key = name.lower()
        wanted = [key]
        if aliases and key in native.ALIASES:
            wanted.append(native.ALIASES[key])
        for want in wanted:
            for entry in self._scan(False, want):
                if entry.shadowed_by is None:
                    return entry
        names = [e.name for e in self.entries()] + list(native.ALIASES)
        raise NoSuchKernelError(name, close_matches(name, names), what="kernelspec")

    def get(self, name: str) -> KernelSpec:
        """The spec for ``name`` (case-insensitive; ``python`` means ``python3``).

        Raises :class:`NoSuchKernelError` (with suggestions) for an unknown name and
        :class:`InvalidSpecError` when the directory that owns the name holds a broken spec.
        """
        entry = self.entry(name)
        if entry.spec is not None:
            return entry.spec
        err = entry.error or InvalidSpecError(entry.resource_dir, None, entry.diagnostics[0])
        problem = err.problem
        for other in self._scan(True, entry.name):
            if other.shadowed_by is not None and other.spec is not None:
                problem += f" (it hides a valid spec of the same name at {other.resource_dir})"
                break
        raise InvalidSpecError(err.path, err.field, problem)

    def resources(self, name: str) -> list[str]:
        """The files in the spec directory of ``name`` (logos, kernel.js, ...), sorted."""
        return list(resources.list_resources(self.entry(name).resource_dir))

    def read_resource(self, name: str, filename: str) -> bytes:
        """The content of one resource file of ``name``.

        Path escapes (absolute paths, ``..``, symlinks out of the directory) raise
        :class:`~kernelhub.errors.SpecError`; a missing file :class:`NoSuchKernelError`.
        """
        entry = self.entry(name)
        return resources.read_resource(entry.resource_dir, filename, kernel=entry.name)
