"""Find every Python environment: run the locators, merge, read each directory once, cache.

:func:`discover` returns a :class:`~kernelhub.envs.model.Discovery` (environments and skipped
problems); :func:`find_environments` is its list of environments. Nothing is executed: no
interpreter, no ``conda``, no subprocess of any kind.

The result is cached in-process per (settings, working directory). A cached result is reused
while every path discovery looked at (environment roots, ``pyvenv.cfg``, ``conda-meta/``,
``site-packages/``, ``environments.txt``, ``.condarc``, the interpreters, and the paths that
were missing) has the stat signature it had; any change means a new scan. Because file times
are coarse (a clock tick), a result whose files changed in the last
:data:`RACY_WINDOW_NS` before the scan is never trusted from the cache, as git does for its
index.
"""

from __future__ import annotations

import os
import threading
import time
import zlib
from collections.abc import Mapping
from dataclasses import replace

from kernelhub.envs import (
    conda,
    hatch,
    pipenv,
    pixi,
    poetry,
    pyenv,
    registry,
    search,
    system,
    uv,
    venv,
)
from kernelhub.envs.base import RANK, Candidate, Context, Locator
from kernelhub.envs.fs import Scan, Signature, signature, still_valid
from kernelhub.envs.layout import env_name
from kernelhub.envs.model import KIND_GROUPS, Discovery, Environment, Searched
from kernelhub.envs.probe import Facts, probe
from kernelhub.envs.settings import Settings, SystemRoots

__all__ = [
    "LOCATORS",
    "RACY_WINDOW_NS",
    "clear_cache",
    "discover",
    "find_environments",
    "inspect_environment",
]

#: The locators, in precedence order: an earlier one names an environment found twice.
LOCATORS: tuple[Locator, ...] = (
    venv.locate,
    conda.locate,
    pixi.locate,
    pyenv.locate,
    uv.locate,
    poetry.locate,
    pipenv.locate,
    hatch.locate,
    registry.locate,
)
#: Sources whose environments depend on where kernelhub runs: discovery adds them to the
#: registry, so that they are found from anywhere next time.
REMEMBERED_SOURCES = frozenset({"venv:project", "venv:VIRTUAL_ENV"})

#: File times this close to the start of a scan are too coarse to prove "unchanged".
RACY_WINDOW_NS = 50_000_000
_CACHE_SIZE = 16
_VENV_KINDS = frozenset({"venv", "virtualenv", "uv"})
_VENV_TOOLS = frozenset({"poetry", "pipenv", "hatch", "pyenv-virtualenv"})
_NOT_AN_ENV = "not an environment; expected pyvenv.cfg, conda-meta/ or bin/python"

_lock = threading.Lock()
_cache: dict[tuple[Settings, str], tuple[Discovery, dict[str, Signature], bool]] = {}


def _kind(own: str | None, hints: list[str]) -> str:
    # A locator's kind applies only when the files agree: poetry's cache holds venvs, a pixi
    # env is a conda env. Otherwise the files win.
    if own in _VENV_KINDS:
        options = [own, *(h for h in hints if h in _VENV_TOOLS)]
        if "pyenv" in hints:
            options.append("pyenv-virtualenv")
    elif own == "conda":
        options = ["conda", *(h for h in hints if h == "pixi")]
    else:
        options = hints or ["virtualenv"]
    return max(options, key=lambda k: RANK.get(k, 0))


def _record(facts: Facts, cands: list[Candidate], system_kind: bool = False) -> Environment:
    hints = [c.kind for c in cands if c.kind]
    kind = "system" if system_kind else _kind(facts.own_kind, hints)
    named = [c for c in cands if c.kind == kind and c.name] or [c for c in cands if c.name]
    name = named[0].name if named and named[0].name else os.path.basename(facts.prefix)
    return Environment(
        kind=kind,
        name=name,
        prefix=facts.prefix,
        executable=facts.executable,
        python_version=facts.python_version,
        base_executable=facts.base_executable,
        ipykernel_version=facts.ipykernel_version,
        kernelspec_dirs=facts.kernelspec_dirs,
        status="broken" if facts.broken else "ok",
        diagnostics=tuple(facts.diagnostics),
        found_by=tuple(dict.fromkeys(c.source for c in cands)),
    )


def _unique_names(envs: list[Environment]) -> list[Environment]:
    # The environment whose prefix sorts first keeps the plain name; the others get a suffix
    # derived from their own prefix, so that it does not change when other envs come and go.
    taken: set[str] = set()
    out = []
    for env in sorted(envs, key=lambda e: (e.prefix, e.executable or "")):
        unique = env
        if env.id in taken:
            salt = f"{env.prefix}\0{env.executable or ''}".encode()
            suffix = f"{zlib.crc32(salt) & 0xFFFF:04x}"
            name, n = f"{env.name}-{suffix}", 2
            while f"{KIND_GROUPS.get(env.kind, env.kind)}/{name}" in taken:
                name, n = f"{env.name}-{suffix}-{n}", n + 1
            unique = replace(env, name=name)
        taken.add(unique.id)
        out.append(unique)
    return sorted(out, key=lambda e: e.id)


def _collect(ctx: Context) -> dict[str, list[Candidate]]:
    groups: dict[str, list[Candidate]] = {}
    for locate in LOCATORS:
        try:
            for cand in locate(ctx):
                groups.setdefault(cand.real or ctx.scan.realpath(cand.path), []).append(cand)
        except (OSError, ValueError) as exc:  # a path we could not even name: skip the rest
            ctx.scan.problem(getattr(locate, "__module__", "?"), f"locator stopped: {exc}")
    return groups


def _search(ctx: Context, groups: dict[str, list[Candidate]], log: search.SearchLog) -> None:
    try:
        for cand in search.locate(ctx, frozenset(groups), log):
            groups.setdefault(cand.real or ctx.scan.realpath(cand.path), []).append(cand)
    except (OSError, ValueError) as exc:
        ctx.scan.problem("HOME", f"environment search stopped: {exc}")


def _scan(settings: Settings, cwd: str) -> tuple[Discovery, dict[str, Signature]]:
    scan = Scan()
    ctx = Context(settings, cwd, scan)
    envs: list[Environment] = []
    groups = _collect(ctx)
    log = search.SearchLog()
    _search(ctx, groups, log)
    registered = sum(
        1 for cands in groups.values() if any(c.source == registry.SOURCE for c in cands)
    )
    for prefix, cands in groups.items():
        version = next((c.version for c in cands if c.version), None)
        facts = probe(scan, prefix, version=version)
        if facts.looks_like_env:
            envs.append(_record(facts, cands))
        elif any(c.strict for c in cands):
            scan.problem(next(c.path for c in cands if c.strict), _NOT_AN_ENV)
    known = frozenset(env.prefix for env in envs)
    try:
        for cand in system.locate(ctx, known):
            facts = probe(
                scan,
                ctx.scan.realpath(cand.path),
                version=cand.version,
                executable=cand.executable,
                system=True,
            )
            envs.append(_record(facts, [cand], system_kind=True))
    except (OSError, ValueError) as exc:
        scan.problem("PATH", f"system interpreter search stopped: {exc}")
    problems = tuple(dict.fromkeys(scan.problems))
    searched = Searched(
        cwd=cwd,
        roots=log.roots,
        listed=log.listed,
        complete=log.complete,
        budget=log.budget,
        registry=settings.registry,
        registered=registered,
        home=settings.home,
    )
    return Discovery(tuple(_unique_names(envs)), problems, searched), scan.watches


def _remember(settings: Settings, result: Discovery) -> Discovery:
    """Add the environments found only from here to the registry.

    Returns ``result`` as a rescan would now see it: those environments found by the
    registry too.
    """
    if not settings.registry:
        return result
    new = [
        env.prefix
        for env in result
        if REMEMBERED_SOURCES.intersection(env.found_by) and registry.SOURCE not in env.found_by
    ]
    if not new:
        return result
    # Never wait for another process, never fail: listing must not depend on a convenience.
    added = set(registry.remember(*new, path=settings.registry, wait=False, strict=False))
    if not added:
        return result
    envs = tuple(
        replace(env, found_by=(*env.found_by, registry.SOURCE)) if env.prefix in added else env
        for env in result
    )
    searched = replace(result.searched, registered=result.searched.registered + len(added))
    return Discovery(envs, result.problems, searched)


def discover(
    *,
    cwd: str | None = None,
    environ: Mapping[str, str] | None = None,
    refresh: bool = False,
    system: SystemRoots | None = None,
) -> Discovery:
    """Every Python environment reachable from this setup, and what was skipped.

    ``environ`` defaults to ``os.environ`` (only the variables in
    :data:`kernelhub.envs.settings.VARIABLES` are read); ``cwd`` (default: the working
    directory) is where project environments (``.venv``, ``.pixi``) are searched from, up to
    the root; ``system`` replaces the system-wide places (``/opt/conda``, ``/usr/bin``).
    ``refresh`` ignores the cache. Never raises for anything found on disk.

    The one file it may write is kernelhub's registry (:mod:`kernelhub.envs.registry`):
    project environments found only from ``cwd`` (a ``.venv`` in a parent, ``VIRTUAL_ENV``)
    are added to it, so that they are listed from anywhere next time. That write never waits
    for another process and never fails the discovery.
    """
    settings = Settings.from_environ(environ, system=system)
    where = os.path.abspath(cwd if cwd is not None else os.getcwd())
    key = (settings, where)
    if not refresh:
        with _lock:
            entry = _cache.get(key)
        if entry is not None and not entry[2] and still_valid(entry[1]):
            return entry[0]
    start = time.time_ns()
    result, watches = _scan(settings, where)
    remembered = _remember(settings, result)
    if remembered is not result and settings.registry is not None:
        result = remembered
        # Every write of the registry is a rename (a new inode): its signature cannot be fooled
        # by a coarse clock, so it is watched as it is now and left out of the racy check.
        watches[settings.registry] = signature(settings.registry)
    racy = any(
        sig is not None and sig[0] >= start - RACY_WINDOW_NS and path != settings.registry
        for path, sig in watches.items()
    )
    with _lock:
        _cache.pop(key, None)
        _cache[key] = (result, watches, racy)
        while len(_cache) > _CACHE_SIZE:
            del _cache[next(iter(_cache))]
    return result


def find_environments(
    *,
    cwd: str | None = None,
    environ: Mapping[str, str] | None = None,
    refresh: bool = False,
    system: SystemRoots | None = None,
) -> list[Environment]:
    """The environments of :func:`discover` (sorted by id); its ``problems`` are dropped."""
    return list(discover(cwd=cwd, environ=environ, refresh=refresh, system=system).environments)


def inspect_environment(path: str) -> Environment:
    """The environment at ``path`` (a prefix or its interpreter), found by no locator.

    For ``kernelhub install --env PATH``. Its kind comes from its own files (conda, uv,
    virtualenv, venv, else a plain interpreter install, reported as ``system``). Raises
    :class:`~kernelhub.errors.EnvError` when ``path`` is not an environment.
    """
    from kernelhub.errors import EnvError

    prefix = os.path.realpath(path)
    if os.path.isfile(prefix):  # an interpreter: bin/python -> the prefix above bin/
        prefix = os.path.dirname(os.path.dirname(os.path.abspath(path)))
        prefix = os.path.realpath(prefix)
    scan = Scan()
    facts = probe(scan, prefix)
    if not facts.looks_like_env:
        raise EnvError(f"{path}: {_NOT_AN_ENV}")
    cand = Candidate(prefix, "path", name=env_name(prefix))
    return _record(facts, [cand], system_kind=facts.own_kind is None)


def clear_cache() -> None:
    """Forget every cached discovery (the next one is cold)."""
    with _lock:
        _cache.clear()
