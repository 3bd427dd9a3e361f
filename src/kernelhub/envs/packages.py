"""What is installed in an environment, read from its metadata files (nothing is imported).

Python packages come from ``*.dist-info`` and ``*.egg-info`` in the environment's
site-packages; a conda environment adds its ``conda-meta/*.json`` records (conda package
names, which are mostly but not always the PyPI names; the Python metadata wins when both
exist).
"""

from __future__ import annotations

import os
import re

from kernelhub.envs import layout
from kernelhub.envs.model import Environment
from kernelhub.envs.probe import conda_record

__all__ = ["find_package", "installed_packages", "normalize", "site_packages"]

_NORMALIZE = re.compile(r"[-_.]+")
_HEADER_LIMIT = 64 * 1024


def normalize(name: str) -> str:
    """The PEP 503 normalized form of a project name: ``Foo.Bar_baz`` -> ``foo-bar-baz``."""
    return _NORMALIZE.sub("-", name).lower()


def _listdir(path: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as it:
            return list(it)
    except OSError:
        return []


def site_packages(env: Environment) -> list[str]:
    """The site-packages directories of ``env`` that exist."""
    names = []
    if not layout.WINDOWS:
        names = [e.name for e in _listdir(os.path.join(env.prefix, "lib"))]
        names = sorted(n for n in names if layout.LIB_PYTHON.match(n))
    dirs = layout.site_dirs(env.prefix, names, env.kind == "system")
    return [d for d in dirs if os.path.isdir(d)]


def _headers(path: str) -> tuple[str | None, str | None]:
    # Only the header block matters (Name, Version); the description after it can be huge.
    name = version = None
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read(_HEADER_LIMIT)
    except OSError:
        return None, None
    for line in text.splitlines():
        if not line.strip():
            break
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key = key.strip().lower()
        if key == "name" and name is None:
            name = value.strip()
        elif key == "version" and version is None:
            version = value.strip()
    return name, version


def _from_dirname(filename: str) -> tuple[str, str] | None:
    stem = filename.rsplit(".", 1)[0]
    name, sep, rest = stem.partition("-")
    version = rest.split("-", 1)[0]
    return (name, version) if sep and version else None


def _read_dist(entry: os.DirEntry[str]) -> tuple[str, str] | None:
    if entry.name.endswith(".dist-info"):
        meta = os.path.join(entry.path, "METADATA")
    elif entry.name.endswith(".egg-info"):
        is_dir = entry.is_dir()
        meta = os.path.join(entry.path, "PKG-INFO") if is_dir else entry.path
    else:
        return None
    name, version = _headers(meta)
    if name and version:
        return name, version
    return _from_dirname(entry.name)


def installed_packages(env: Environment) -> dict[str, str]:
    """Every installed project of ``env``: normalized name -> version."""
    found: dict[str, str] = {}
    for site in site_packages(env):
        for entry in sorted(_listdir(site), key=lambda e: e.name):
            dist = _read_dist(entry)
            if dist is not None:
                found.setdefault(normalize(dist[0]), dist[1])
    for entry in _listdir(os.path.join(env.prefix, "conda-meta")):
        record = conda_record(entry.name)
        if record is not None:
            found.setdefault(normalize(record[0]), record[1])
    return found


def find_package(env: Environment, name: str) -> str | None:
    """The installed version of project ``name`` in ``env`` (any spelling), or ``None``.

    Only the metadata of the matching directory is read.
    """
    wanted = normalize(name)
    for site in site_packages(env):
        for entry in sorted(_listdir(site), key=lambda e: e.name):
            parsed = _from_dirname(entry.name)
            if parsed is not None and normalize(parsed[0]) == wanted:
                dist = _read_dist(entry)
                if dist is not None:
                    return dist[1]
    for entry in _listdir(os.path.join(env.prefix, "conda-meta")):
        record = conda_record(entry.name)
        if record is not None and normalize(record[0]) == wanted:
            return record[1]
    return None
