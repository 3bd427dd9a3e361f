"""Project environments under HOME: a bounded, time-boxed search of the usual project roots.

A venv lives in its project (``~/uvproj/.venv``), and the project can be anywhere; locators
that only look up from the working directory miss it when kernelhub runs from ``~``. This
search lists HOME to :data:`HOME_DEPTH` levels and the usual project roots (``~/src``,
``~/code``, ``~/projects``, ...: :data:`ROOT_NAMES`) to ``depth`` levels, breadth first, until
``budget`` seconds have passed, and yields every directory holding ``pyvenv.cfg`` or
``conda-meta/``. Dot-directories (``~/.cache``) and bulky trees (``node_modules``) are not
entered, though a dot-directory is still checked for ``pyvenv.cfg`` (``proj/.venv``);
environments are not entered either. Only directory listings and stats: nothing is run.

``KERNELHUB_ENV_SEARCH_ROOTS`` (directories separated by ``os.pathsep``) replaces the roots,
``KERNELHUB_ENV_SEARCH_DEPTH`` the depth (``0`` turns the search off),
``KERNELHUB_ENV_SEARCH_BUDGET`` the budget in seconds. A bad value is a problem, and the
default is used.
"""

from __future__ import annotations

import math
import os
import stat as _stat
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from kernelhub.aio import Deadline
from kernelhub.envs.base import Candidate, Context
from kernelhub.envs.layout import env_name
from kernelhub.envs.settings import Settings

__all__ = [
    "BUDGET",
    "DEPTH",
    "HOME_DEPTH",
    "ROOT_NAMES",
    "SKIP",
    "Plan",
    "SearchLog",
    "locate",
    "plan",
]

#: Directories under HOME where people keep projects, searched :data:`DEPTH` levels deep.
ROOT_NAMES: tuple[str, ...] = (
    "src",
    "code",
    "Code",
    "projects",
    "Projects",
    "work",
    "dev",
    "git",
    "repos",
    "workspace",
    "source",
    "github",
    "Documents",
)
#: How deep the roots are searched: ``~/src/org/proj/.venv`` is three levels below ``~/src``.
DEPTH = 3
#: HOME itself is searched two levels deep: ``~/proj/.venv``.
HOME_DEPTH = 2
#: Seconds the whole search may take; what is left unlisted then is said to be.
BUDGET = 0.25
#: Names never entered: they hold many directories and no project environments.
SKIP = frozenset(
    {
        "node_modules",
        "__pycache__",
        "site-packages",
        "dist-packages",
        "Library",
        "Applications",
        "Pictures",
        "Music",
        "Movies",
        "Videos",
        "snap",
    }
)
SOURCE = "search:home"


@dataclass(frozen=True)
class Plan:
    """What to search: ``(directory, depth)`` roots, the time budget, and bad settings."""

    roots: tuple[tuple[str, int], ...]
    budget: float
    problems: tuple[tuple[str, str], ...] = ()


@dataclass
class SearchLog:
    """What one search did (filled while it runs): for "where did you look?" answers."""

    roots: tuple[tuple[str, int], ...] = ()
    listed: int = 0
    complete: bool = True
    budget: float = BUDGET


def _number(raw: str | None, name: str, default: float, problems: list[tuple[str, str]]) -> float:
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not math.isfinite(value) or value < 0:
        problems.append((name, f"{raw!r} is not a number >= 0; using {default:g}"))
        return default
    return value


def plan(settings: Settings) -> Plan:
    """The search :func:`locate` would run for ``settings``."""
    problems: list[tuple[str, str]] = []
    depth_value = _number(settings.search_depth, "KERNELHUB_ENV_SEARCH_DEPTH", DEPTH, problems)
    if depth_value != int(depth_value):
        problems.append(
            ("KERNELHUB_ENV_SEARCH_DEPTH", f"{settings.search_depth!r} is not a whole number")
        )
        depth_value = DEPTH
    depth = int(depth_value)
    budget = _number(settings.search_budget, "KERNELHUB_ENV_SEARCH_BUDGET", BUDGET, problems)
    if depth == 0:
        return Plan((), budget, tuple(problems))
    home = settings.home
    if settings.search_roots:
        roots = []
        for raw in settings.search_roots.split(os.pathsep):
            if not raw:
                continue
            path = settings.expand(raw)
            if not os.path.isabs(path):
                problems.append(
                    ("KERNELHUB_ENV_SEARCH_ROOTS", f"{raw!r} is not an absolute path; skipped")
                )
                continue
            roots.append((path, depth))
    else:
        # A service account's HOME may be / : searching the whole disk is not what it means.
        roots = [] if os.path.dirname(home) == home else [(home, min(depth, HOME_DEPTH))]
        roots += [(os.path.join(home, name), depth) for name in ROOT_NAMES]
    return Plan(tuple(roots), budget, tuple(problems))


class _Walk:
    """One breadth-first walk: the queue, the deepest level each directory is listed to."""

    def __init__(self, ctx: Context, known: frozenset[str], log: SearchLog) -> None:
        self.scan = ctx.scan
        self.log = log
        self.best: dict[str, int] = {}
        self.queue: deque[tuple[str, str, int]] = deque()
        self.found: set[str] = set(known)

    def add(self, path: str, real: str, depth: int) -> bool:
        if self.best.get(real, 0) >= depth:
            return False
        self.best[real] = depth
        self.queue.append((path, real, depth))
        return True

    def found_here(self, path: str, real: str) -> Candidate | None:
        if real in self.found:
            return None
        self.found.add(real)
        return Candidate(path, SOURCE, name=env_name(path), strict=False, real=real)

    def visit(self, path: str, real: str, depth: int) -> Iterator[Candidate]:
        entries = self.scan.listdir(path, "directories", quiet=True)
        self.log.listed += 1
        if entries is None:
            return
        if any(e.name in ("pyvenv.cfg", "conda-meta") for e in entries):
            cand = self.found_here(path, real)
            if cand is not None:
                yield cand
            return  # never search inside an environment
        for entry in entries:
            name = entry.name
            try:
                if name in SKIP or not entry.is_dir():
                    continue
                link = entry.is_symlink()
            except OSError:
                continue
            child_real = self.scan.realpath(entry.path) if link else real + os.sep + name
            if child_real in self.found:
                continue
            if depth > 1 and not name.startswith("."):
                self.add(entry.path, child_real, depth - 1)
                continue
            # The last level (and dot-directories): one stat tells a venv. It is not watched:
            # the listing above is, and a new venv changes it (watching every missing
            # pyvenv.cfg made the cache's stat check four times dearer on a busy HOME).
            st = self.scan.stat(entry.path + os.sep + "pyvenv.cfg", watch=False)
            if st is not None and _stat.S_ISREG(st.st_mode):
                cand = self.found_here(entry.path, child_real)
                if cand is not None:
                    yield cand


def locate(ctx: Context, known: frozenset[str], log: SearchLog) -> Iterator[Candidate]:
    """Environments found under the plan's roots whose real path is not in ``known``.

    ``log`` records the roots that exist, how many directories were listed, and whether the
    budget ran out before the search was done.
    """
    search = plan(ctx.settings)
    for name, message in search.problems:
        ctx.scan.problem(name, message)
    log.budget = search.budget
    deadline = Deadline(search.budget)
    walk = _Walk(ctx, known, log)
    present = []
    for root, depth in search.roots:
        if ctx.scan.is_dir(root) and walk.add(root, ctx.scan.realpath(root), depth):
            present.append((root, depth))
    log.roots = tuple(present)
    # Breadth first over all roots at once: when time runs out, what is left is the deepest.
    while walk.queue:
        path, real, depth = walk.queue.popleft()
        if walk.best[real] > depth:
            continue  # a root that reaches deeper lists it
        if deadline.expired:
            log.complete = False
            return
        yield from walk.visit(path, real, depth)
