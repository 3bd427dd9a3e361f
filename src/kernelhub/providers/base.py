"""What a kernel provider is, and the kernel types it yields.

A *provider* is a source of kernel types: kernelspec directories, Python environments, a
remote host. Each has a short ``id``; the types it yields have ids ``"<provider id>/<name>"``
(``spec/python3``, ``pyimport/kernel``, ``conda/base``). Providers are found through the
entry-point group ``kernelhub.providers``; an entry point names a class (or any callable) that
takes no arguments and returns a :class:`Provider`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from kernelhub.errors import InvalidSpecError, LaunchError
from kernelhub.specs.model import InterruptMode, Status

__all__ = ["InterruptMode", "KernelType", "Provider", "Status"]


@dataclass(frozen=True)
class KernelType:
    """One kind of kernel that can be launched: everything a frontend needs to choose it.

    ``argv`` is the command line before substitution (it may hold ``{connection_file}`` and
    ``{resource_dir}``). ``executable`` is the program that will really run, resolved: for
    ``python``/``python3``/``python3.X`` in ``argv[0]`` that is ``interpreter``; otherwise
    ``argv[0]`` looked up on ``PATH`` (``None`` when it cannot be found, and then ``status`` is
    ``"stale"``). ``interpreter`` is the Python interpreter the kernel type belongs to, when it
    belongs to one (the environment's, or kernelhub's own for kernelspecs).
    """

    id: str
    provider: str
    name: str
    display_name: str
    language: str
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    interrupt_mode: InterruptMode = "signal"
    resource_dir: str | None = None
    resources: tuple[str, ...] = ()
    executable: str | None = None
    interpreter: str | None = None
    kernel_protocol_version: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    status: Status = "ok"
    diagnostics: tuple[str, ...] = ()
    launch_schema: Mapping[str, Any] | None = None
    # Where it came from, for people: a kernel.json path, an environment prefix, ...
    origin: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The stable JSON form printed by ``kernelhub list --json`` (see the README)."""
        return {
            "id": self.id,
            "provider": self.provider,
            "name": self.name,
            "display_name": self.display_name,
            "language": self.language,
            "argv": list(self.argv),
            "env": dict(self.env),
            "interrupt_mode": self.interrupt_mode,
            "resource_dir": self.resource_dir,
            "resources": list(self.resources),
            "executable": self.executable,
            "interpreter": self.interpreter,
            "kernel_protocol_version": self.kernel_protocol_version,
            "metadata": dict(self.metadata),
            "status": self.status,
            "diagnostics": list(self.diagnostics),
            "launch_schema": dict(self.launch_schema) if self.launch_schema is not None else None,
            "origin": self.origin,
        }

    def check_launchable(self) -> None:
        """Raise unless this kernel type can be started.

        An invalid kernelspec raises :class:`~kernelhub.errors.InvalidSpecError` naming its
        kernel.json and the field at fault (the file is read again: a kernel type keeps only
        the words of its diagnostics). Any other type whose ``argv`` is not a non-empty list of
        strings raises :class:`~kernelhub.errors.LaunchError`.
        """
        if self.status == "invalid":
            raise self._invalid_error()
        argv = self.argv
        if not argv or not all(isinstance(a, str) for a in argv) or not argv[0]:
            raise LaunchError(
                f"cannot launch {self.id}: argv is {list(argv)!r}; "
                "expected a non-empty list of strings with a program first"
            )

    def _invalid_error(self) -> InvalidSpecError:
        origin = self.origin or self.id
        # The diagnostics of a spec start with its file or directory, which the error names.
        prefixes = tuple(f"{p}: " for p in (origin, self.resource_dir) if p)
        # "ignored" is what a listing does with a look-alike directory; a launch refuses it.
        problems = [
            _without(d, prefixes).replace("a kernel directory, ignored:", "a kernel directory:")
            for d in self.diagnostics
        ]
        fallback = InvalidSpecError(origin, None, "; ".join(problems) or "invalid")
        if self.resource_dir is None or not origin.endswith("kernel.json"):
            return fallback
        from kernelhub.specs.reader import read_spec

        try:
            _, parsed = read_spec(origin, self.name, self.resource_dir)
        except OSError:
            return fallback  # e.g. no kernel.json at all: the diagnostics say so
        return parsed if isinstance(parsed, InvalidSpecError) else fallback


def _without(text: str, prefixes: tuple[str, ...]) -> str:
    for prefix in prefixes:
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


@runtime_checkable
class Provider(Protocol):
    """A source of kernel types.

    ``find()`` yields the provider's kernel types; with ``include_hidden`` it also yields the
    shadowed and invalid ones (status says which). It should be cheap to call again: providers
    cache what they read and re-read only what changed.
    """

    id: str

    def find(self, *, include_hidden: bool = False) -> Iterable[KernelType]:
        """Yield this provider's kernel types."""
        ...
