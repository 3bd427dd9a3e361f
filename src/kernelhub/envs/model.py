"""The records environment discovery produces: environments, skipped problems, the result."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from kernelhub.errors import NoSuchKernelError, close_matches

__all__ = [
    "KINDS",
    "KIND_GROUPS",
    "Discovery",
    "EnvStatus",
    "Environment",
    "Problem",
    "Searched",
]

EnvStatus = Literal["ok", "broken"]

#: Every environment kind, and the id group it is listed under.
KIND_GROUPS: dict[str, str] = {
    "venv": "venv",
    "virtualenv": "venv",
    "conda": "conda",
    "pyenv": "pyenv",
    "pyenv-virtualenv": "pyenv",
    "uv": "uv",
    "poetry": "poetry",
    "pipenv": "pipenv",
    "hatch": "hatch",
    "pixi": "pixi",
    "system": "system",
}
KINDS: tuple[str, ...] = tuple(KIND_GROUPS)


@dataclass(frozen=True)
class Environment:
    """One Python environment found on disk, described from its files alone.

    ``prefix`` is the real path of the environment's root (the ``sys.prefix`` its interpreter
    would have). ``executable`` is the interpreter inside it (``bin/python``, not resolved: a
    venv's interpreter is a symlink whose location is what makes it a venv), ``None`` when
    there is none. ``python_version`` is ``"3.12.4"`` or, when only the directory layout tells,
    ``"3.12"``. ``base_executable`` is a venv's base interpreter. ``ipykernel_version`` is
    ``None`` when ipykernel is not installed. ``kernelspec_dirs`` are the kernelspecs that live
    inside the environment (``<prefix>/share/jupyter/kernels/*`` holding a ``kernel.json``).
    ``found_by`` names the locators and sources that found it (``"conda:environments.txt"``).
    ``name`` is unique within its id group and URL-safe (see :attr:`id`).
    """

    kind: str
    name: str
    prefix: str
    executable: str | None
    python_version: str | None
    base_executable: str | None
    ipykernel_version: str | None
    kernelspec_dirs: tuple[str, ...]
    status: EnvStatus
    diagnostics: tuple[str, ...]
    found_by: tuple[str, ...]

    @property
    def id(self) -> str:
        """``"<group>/<name>"``: ``conda/datasci``, ``venv/myproject``, ``pyenv/3.12.4``.

        Unique among one discovery's environments and stable across runs: two environments
        that would share a name are told apart by a suffix derived from their prefix (the one
        whose prefix sorts first keeps the plain name).
        """
        return f"{KIND_GROUPS.get(self.kind, self.kind)}/{self.name}"

    @property
    def has_ipykernel(self) -> bool:
        """Whether ipykernel is installed in the environment."""
        return self.ipykernel_version is not None

    def to_json(self) -> dict[str, Any]:
        """The JSON form printed by ``kernelhub envs --json``."""
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "prefix": self.prefix,
            "executable": self.executable,
            "python_version": self.python_version,
            "base_executable": self.base_executable,
            "ipykernel_version": self.ipykernel_version,
            "kernelspec_dirs": list(self.kernelspec_dirs),
            "status": self.status,
            "diagnostics": list(self.diagnostics),
            "found_by": list(self.found_by),
        }


@dataclass(frozen=True)
class Problem:
    """Something discovery looked at and skipped, and what it expected to find there."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class Searched:
    """Where one discovery looked, so that "not found" can say where it was not found.

    ``cwd`` is where project environments were looked for (it and each parent); ``roots``
    are the directories under which environments were searched, each with its depth;
    ``listed`` counts the directories that search listed, and ``complete`` is false when its
    time budget (``budget`` seconds) ran out first. ``registry`` is kernelhub's list of
    environments and ``registered`` how many entries it has; ``home`` is the HOME paths are
    written under as ``~``. Besides these, every tool's own
    places are always read (conda's ``environments.txt`` and ``envs_dirs``, pyenv, uv,
    poetry, pipenv, hatch and virtualenvwrapper directories, ``PATH``).
    """

    cwd: str = ""
    roots: tuple[tuple[str, int], ...] = ()
    listed: int = 0
    complete: bool = True
    budget: float = 0.0
    registry: str | None = None
    registered: int = 0
    home: str = ""

    def describe(self) -> str:
        """One line: ``"the working directory ~/w and its parents; under ~ (2 levels...``."""
        home = self.home.rstrip("/\\")

        def short(path: str) -> str:
            if home and (path == home or path.startswith(home + "/")):
                return "~" + path[len(home) :]
            return path

        parts = [f"the working directory {short(self.cwd)} and its parents"] if self.cwd else []
        if self.roots:
            by_depth: dict[int, list[str]] = {}
            for path, depth in self.roots:
                by_depth.setdefault(depth, []).append(short(path))
            under = " and ".join(
                f"{', '.join(paths)} ({depth} level{'s' if depth != 1 else ''} deep)"
                for depth, paths in by_depth.items()
            )
            cut = "" if self.complete else f", stopped after {self.budget:g} s"
            parts.append(f"under {under} ({self.listed} directories listed{cut})")
        if self.registry:
            parts.append(f"{self.registered} registered in {short(self.registry)}")
        parts.append("each tool's own directories (conda, pyenv, uv, poetry, pipenv, hatch)")
        parts.append("PATH")
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        """The JSON form (``kernelhub check --json``'s ``searched``)."""
        return {
            "cwd": self.cwd,
            "roots": [{"path": p, "depth": d} for p, d in self.roots],
            "listed": self.listed,
            "complete": self.complete,
            "budget": self.budget,
            "registry": self.registry,
            "registered": self.registered,
            "home": self.home,
        }


@dataclass(frozen=True)
class Discovery:
    """The result of one discovery: the environments, sorted by id, and what was skipped.

    Iterating yields the environments. Cached results are shared between callers, which is
    why every field is a tuple. ``searched`` says where discovery looked.
    """

    environments: tuple[Environment, ...]
    problems: tuple[Problem, ...]
    searched: Searched = Searched()

    def __iter__(self) -> Iterator[Environment]:
        return iter(self.environments)

    def __len__(self) -> int:
        return len(self.environments)

    def get(self, key: str) -> Environment:
        """The environment with this id, unique name, prefix or interpreter path.

        Raises :class:`~kernelhub.errors.NoSuchKernelError` with close matches otherwise.
        """
        import os

        for env in self.environments:
            if key == env.id:
                return env
        by_name = [env for env in self.environments if env.name == key]
        if len(by_name) == 1:
            return by_name[0]
        if os.sep in key or (os.altsep and os.altsep in key):
            real = os.path.realpath(key)
            for env in self.environments:
                if real == env.prefix or (env.executable and key == env.executable):
                    return env
        names = [env.id for env in self.environments]
        raise NoSuchKernelError(key, close_matches(key, names), what="environment")
