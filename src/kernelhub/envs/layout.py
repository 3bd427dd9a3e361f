"""Where things are inside an environment on this platform, and how names and versions read."""

from __future__ import annotations

import os
import re
import sys

__all__ = [
    "WINDOWS",
    "bin_dirs",
    "env_name",
    "interpreter_candidates",
    "major_minor",
    "normalize_version",
    "parse_cfg",
    "safe_name",
    "site_dirs",
]

WINDOWS = sys.platform == "win32"

_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# lib/python3.12, lib/python3.13t (free-threaded), lib/pypy3.10
LIB_PYTHON = re.compile(r"^(?:python|pypy)(\d+\.\d+)t?$")
# Directory names that say nothing about the environment; the parent's name does.
_GENERIC = frozenset({".venv", "venv", "env", ".env", ".conda", "virtualenv", ".virtualenv"})


def normalize_version(text: str | None) -> str | None:
    """``"3.11.7.final.0"`` -> ``"3.11.7"``, ``"3.12"`` -> ``"3.12"``; ``None`` if no version."""
    if not text:
        return None
    m = _VERSION.search(text)
    if m is None:
        return None
    return ".".join(g for g in m.groups() if g is not None)


def major_minor(version: str | None) -> str | None:
    """``"3.12.4"`` -> ``"3.12"``."""
    if not version:
        return None
    parts = version.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else None


def safe_name(text: str) -> str:
    """``text`` made URL-safe: runs of other characters become ``-``."""
    return _UNSAFE.sub("-", text).strip("-") or "env"


def env_name(path: str) -> str:
    """A readable name for the environment at ``path``: its directory, or its project's.

    ``~/proj/.venv`` is ``proj``; ``~/.virtualenvs/tools`` is ``tools``.
    """
    path = path.rstrip("/\\") or path
    base = os.path.basename(path)
    if base.lower() in _GENERIC:
        parent = os.path.basename(os.path.dirname(path))
        if parent:
            return safe_name(parent)
    return safe_name(base)


def parse_cfg(text: str) -> dict[str, str] | None:
    """The ``key = value`` pairs of a ``pyvenv.cfg`` (keys lower-cased); ``None`` if there are none.

    Lines without ``=`` are ignored, exactly as ``site.py`` does.
    """
    cfg: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip():
            cfg[key.strip().lower()] = value.strip()
    return cfg or None


def bin_dirs(prefix: str, conda_like: bool) -> list[str]:
    """The directories activation puts first on ``PATH``, most important first."""
    if not WINDOWS:
        return [os.path.join(prefix, "bin")]
    if conda_like:
        lib = os.path.join(prefix, "Library")
        return [
            prefix,
            os.path.join(lib, "mingw-w64", "bin"),
            os.path.join(lib, "usr", "bin"),
            os.path.join(lib, "bin"),
            os.path.join(prefix, "Scripts"),
            os.path.join(prefix, "bin"),
        ]
    return [os.path.join(prefix, "Scripts")]


def interpreter_candidates(prefix: str, version: str | None) -> list[str]:
    """Where the environment's interpreter may be, in the order to try."""
    if WINDOWS:
        return [os.path.join(prefix, "Scripts", "python.exe"), os.path.join(prefix, "python.exe")]
    bindir = f"{prefix}{os.sep}bin{os.sep}"
    names = [f"{bindir}python", f"{bindir}python3"]
    xy = major_minor(version)
    if xy:
        names.append(f"{bindir}python{xy}")
    return names


def site_dirs(prefix: str, lib_names: list[str], system: bool) -> list[str]:
    """The site-packages directories of an environment whose ``lib/`` holds ``lib_names``.

    ``lib_names`` are directory names such as ``python3.12``. A system interpreter also has
    Debian's ``dist-packages`` directories (``/usr/local/lib/python3.X`` for ``/usr``).
    """
    if WINDOWS:
        return [os.path.join(prefix, "Lib", "site-packages")]
    lib = f"{prefix}{os.sep}lib{os.sep}"
    dirs = [f"{lib}{n}{os.sep}site-packages" for n in lib_names]
    if system:
        for n in lib_names:
            dirs.append(os.path.join(lib, n, "dist-packages"))
            dirs.append(os.path.join(prefix, "local", "lib", n, "dist-packages"))
        dirs.append(os.path.join(lib, "python3", "dist-packages"))
    return dirs
