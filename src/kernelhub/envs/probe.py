"""Read one environment directory: interpreter, versions, ipykernel, kernelspecs, health.

Only files are read; nothing is executed. Everything read goes through the discovery's
:class:`~kernelhub.envs.fs.Scan`, so the result can be cached and checked by stat.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from kernelhub.envs import layout
from kernelhub.envs.fs import Scan

__all__ = ["Facts", "conda_record", "probe"]

SEP = os.sep
_CFG_EXPECTED = "'key = value' lines (pyvenv.cfg)"


@dataclass
class Facts:
    """What :func:`probe` read from one directory (mutable while it is being filled)."""

    prefix: str
    cfg: dict[str, str] | None = None
    conda: bool = False
    executable: str | None = None
    python_version: str | None = None
    base_executable: str | None = None
    ipykernel_version: str | None = None
    kernelspec_dirs: tuple[str, ...] = ()
    diagnostics: list[str] = field(default_factory=list)
    broken: bool = False
    looks_like_env: bool = False

    @property
    def own_kind(self) -> str | None:
        """The kind the directory's own files say: conda, uv, virtualenv, venv or nothing."""
        if self.conda:
            return "conda"
        if self.cfg is None:
            return None
        if "uv" in self.cfg:
            return "uv"
        if "virtualenv" in self.cfg:
            return "virtualenv"
        return "venv"

    def fail(self, message: str) -> None:
        """Mark the environment broken, saying why."""
        self.broken = True
        self.diagnostics.append(message)


def conda_record(filename: str) -> tuple[str, str] | None:
    """``("python", "3.11.7")`` from ``python-3.11.7-h955ad1f_0.json``; ``None`` otherwise.

    Conda names its records ``<name>-<version>-<build>.json``; versions and builds never hold
    a ``-``, so the name is everything before the last two.
    """
    if not filename.endswith(".json"):
        return None
    parts = filename[:-5].rsplit("-", 2)
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], parts[1]


def _dist_version(entries: list[os.DirEntry[str]], project: str) -> str | None:
    # ipykernel-7.4.0.dist-info / ipykernel-6.29.5-py3.11.egg-info
    start = project + "-"
    for entry in entries:
        name = entry.name
        if name.startswith(start) and name.endswith((".dist-info", ".egg-info")):
            version = name[len(start) :].rsplit(".", 1)[0].split("-", 1)[0]
            if version:
                return version
    return None


def _read_cfg(scan: Scan, facts: Facts) -> None:
    path = f"{facts.prefix}{SEP}pyvenv.cfg"
    text = scan.read_text(path, _CFG_EXPECTED)
    if text is None:
        if scan.watches.get(path) is not None:
            facts.cfg = {}
            facts.fail(f"pyvenv.cfg cannot be read; expected {_CFG_EXPECTED}")
        return
    cfg = layout.parse_cfg(text)
    if cfg is None:
        facts.cfg = {}
        facts.fail(f"pyvenv.cfg has no 'key = value' lines: expected {_CFG_EXPECTED}")
        return
    facts.cfg = cfg
    facts.python_version = layout.normalize_version(cfg.get("version") or cfg.get("version_info"))


def _read_conda_meta(scan: Scan, facts: Facts) -> None:
    entries = scan.listdir(f"{facts.prefix}{SEP}conda-meta", "conda package records")
    if entries is None:
        return
    facts.conda = True
    python = None
    for entry in entries:
        record = conda_record(entry.name)
        if record is None:
            continue
        if record[0] == "python":
            python = record[1]
        elif record[0] == "ipykernel":
            facts.ipykernel_version = record[1]
    facts.python_version = python
    if python is None:
        facts.diagnostics.append("no Python in this conda environment (no conda-meta/python-*)")


def _find_interpreter(scan: Scan, facts: Facts, hint: str | None) -> None:
    dangling: list[str] = []
    for path in (
        [hint] if hint else layout.interpreter_candidates(facts.prefix, facts.python_version)
    ):
        if scan.stat(path) is not None:
            facts.executable = path
            break
        try:
            target = os.readlink(path)
        except OSError:
            continue
        dangling.append(f"{path} is a dangling symlink to {target}")
    if facts.executable is None:
        if dangling:
            facts.looks_like_env = True
            facts.fail(dangling[0])
        elif facts.cfg is not None or (facts.conda and facts.python_version):
            facts.fail(f"no Python interpreter in {facts.prefix} (expected bin/python)")
    elif dangling:
        facts.diagnostics.append(dangling[0])


def _lib_names(scan: Scan, facts: Facts) -> list[str]:
    entries = scan.listdir(f"{facts.prefix}{SEP}lib", "lib/pythonX.Y directories") or []
    found = {}
    for entry in entries:
        m = layout.LIB_PYTHON.match(entry.name)
        if m:
            found[entry.name] = tuple(int(p) for p in m.group(1).split("."))
    names = sorted(found, key=found.__getitem__)
    if names and facts.python_version is None:
        facts.python_version = ".".join(map(str, found[names[-1]]))
    return names


def _read_site(scan: Scan, facts: Facts, system: bool) -> None:
    if facts.ipykernel_version is not None and facts.python_version is not None:
        return
    xy = layout.major_minor(facts.python_version)
    # The usual case lists one directory: the version says where site-packages is. Only
    # when it is not there (3.13t, an unknown version) is lib/ listed to find out.
    guess = [f"python{xy}"] if xy else []
    listed: set[str] = set()
    for names in (guess, None):
        exists = False
        for site in layout.site_dirs(
            facts.prefix, _lib_names(scan, facts) if names is None else names, system
        ):
            if site in listed:
                continue
            listed.add(site)
            entries = scan.listdir(site, "installed packages")
            if entries is None:
                continue
            exists = True
            version = _dist_version(entries, "ipykernel")
            if version:
                facts.ipykernel_version = version
                return
        if exists or layout.WINDOWS:
            return


def _read_patchlevel(scan: Scan, facts: Facts) -> None:
    # A system interpreter's name says 3.11; the C headers, when installed, say 3.11.2.
    xy = layout.major_minor(facts.python_version)
    if not xy or facts.python_version != xy:
        return
    header = f"{facts.prefix}{SEP}include{SEP}python{xy}{SEP}patchlevel.h"
    for line in (scan.read_text(header, "C header") or "").splitlines():
        if line.startswith("#define PY_VERSION "):
            full = layout.normalize_version(line.split(None, 2)[2].strip('" '))
            if full and full.startswith(xy + "."):
                facts.python_version = full
            return


def _read_kernelspecs(scan: Scan, facts: Facts) -> None:
    kernels = f"{facts.prefix}{SEP}share{SEP}jupyter{SEP}kernels"
    entries = scan.listdir(kernels, "kernelspec directories")
    if not entries:
        return
    found = []
    for entry in sorted(entries, key=lambda e: e.name):
        if scan.stat(f"{entry.path}{SEP}kernel.json") is not None:
            found.append(entry.path)
    facts.kernelspec_dirs = tuple(found)


def _read_base(scan: Scan, facts: Facts) -> None:
    cfg = facts.cfg or {}
    explicit = cfg.get("executable") or cfg.get("base-executable")
    home = cfg.get("home")
    if explicit:
        facts.base_executable = explicit
        if scan.stat(explicit) is None:
            facts.fail(f"the base interpreter {explicit} (pyvenv.cfg 'executable') is missing")
        return
    if not home:
        if cfg:
            facts.diagnostics.append("pyvenv.cfg has no 'home' key")
        return
    if not scan.is_dir(home):
        facts.fail(f"the base interpreter's directory {home} (pyvenv.cfg 'home') is missing")
        return
    xy = layout.major_minor(facts.python_version)
    names = ["python.exe"] if layout.WINDOWS else [f"python{xy}", "python3", "python"]
    for name in names if xy or layout.WINDOWS else names[1:]:
        path = os.path.join(home, name)
        if scan.stat(path) is not None:
            facts.base_executable = path
            return


def probe(
    scan: Scan,
    prefix: str,
    *,
    version: str | None = None,
    executable: str | None = None,
    system: bool = False,
) -> Facts:
    """Read the environment at ``prefix`` (a real path).

    ``version`` and ``executable`` are a locator's hints (a pyenv version directory's name, a
    system interpreter found on ``PATH``); what the files say wins over them.
    """
    facts = Facts(prefix)
    _read_cfg(scan, facts)
    if facts.cfg is None:
        _read_conda_meta(scan, facts)
    if facts.python_version is None:
        facts.python_version = layout.normalize_version(version)
    _find_interpreter(scan, facts, executable)
    facts.looks_like_env = facts.looks_like_env or bool(
        facts.cfg is not None or facts.conda or facts.executable
    )
    if not facts.looks_like_env:
        return facts
    _read_site(scan, facts, system)
    if system:
        _read_patchlevel(scan, facts)
    _read_kernelspecs(scan, facts)
    if facts.cfg is not None:
        _read_base(scan, facts)
    return facts
