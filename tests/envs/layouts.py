"""Faithful synthetic environment layouts, for the tests and the discovery benchmark.

Each ``make_*`` function writes what the real tool leaves on disk (the files discovery reads,
and the ones around them), with a fake interpreter: a small executable file, never run.
:func:`build_layout` builds ``n`` environments of every kind under one root.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from kernelhub.envs import SystemRoots

__all__ = [
    "Layout",
    "build_layout",
    "make_conda_env",
    "make_conda_root",
    "make_interpreter",
    "make_kernelspec",
    "make_venv",
    "write_dist",
]

_FAKE_PYTHON = "#!/bin/sh\n# a stand-in interpreter: discovery must never run it\nexit 97\n"


def _xy(version: str) -> str:
    return ".".join(version.split(".")[:2])


def write_dist(site: Path, name: str, version: str) -> Path:
    """A ``<name>-<version>.dist-info`` with the METADATA pip writes."""
    dist = site / f"{name.replace('-', '_')}-{version}.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: test\n\nBody.\n"
    )
    (dist / "INSTALLER").write_text("pip\n")
    (dist / "RECORD").write_text("")
    return dist


def make_interpreter(prefix: Path, version: str, *, packages: dict[str, str] | None = None) -> Path:
    """A Python installation at ``prefix`` (``bin/python3.X`` and links, ``lib/python3.X``)."""
    xy = _xy(version)
    bindir = prefix / "bin"
    bindir.mkdir(parents=True, exist_ok=True)
    exe = bindir / f"python{xy}"
    exe.write_text(_FAKE_PYTHON)
    exe.chmod(0o755)
    for link in ("python3", "python"):
        if not (bindir / link).exists():
            (bindir / link).symlink_to(f"python{xy}")
    lib = prefix / "lib" / f"python{xy}"
    (lib / "site-packages").mkdir(parents=True, exist_ok=True)
    (lib / "os.py").write_text("# stdlib landmark\n")
    for name, ver in (packages or {}).items():
        write_dist(lib / "site-packages", name, ver)
    return exe


def make_venv(
    path: Path,
    base_exe: Path,
    version: str,
    *,
    creator: str = "venv",
    packages: dict[str, str] | None = None,
) -> Path:
    """A virtual environment as ``python -m venv``, virtualenv or ``uv venv`` makes it."""
    xy = _xy(version)
    bindir = path / "bin"
    bindir.mkdir(parents=True, exist_ok=True)
    lines = [f"home = {base_exe.parent}", "include-system-site-packages = false"]
    if creator == "venv":
        lines += [
            f"version = {version}",
            f"executable = {base_exe}",
            f"command = {base_exe} -m venv {path}",
        ]
    elif creator == "virtualenv":
        lines += [
            "implementation = CPython",
            f"version_info = {version}.final.0",
            "virtualenv = 20.26.3",
        ]
        lines += [f"base-prefix = {base_exe.parent.parent}", f"base-executable = {base_exe}"]
    elif creator == "uv":
        lines += ["implementation = CPython", "uv = 0.4.30", f"version_info = {version}"]
    else:
        raise ValueError(creator)
    (path / "pyvenv.cfg").write_text("\n".join(lines) + "\n")
    (bindir / "python").symlink_to(base_exe)
    (bindir / "python3").symlink_to("python")
    (bindir / f"python{xy}").symlink_to("python")
    (bindir / "activate").write_text(f"VIRTUAL_ENV={path}\n")
    site = path / "lib" / f"python{xy}" / "site-packages"
    site.mkdir(parents=True, exist_ok=True)
    if creator != "uv":
        write_dist(site, "pip", "24.2")
    for name, ver in (packages or {}).items():
        write_dist(site, name, ver)
    return path


def make_kernelspec(prefix: Path, name: str, argv: list[str], language: str = "python") -> Path:
    """``<prefix>/share/jupyter/kernels/<name>/kernel.json``."""
    kdir = prefix / "share" / "jupyter" / "kernels" / name
    kdir.mkdir(parents=True, exist_ok=True)
    spec = {"argv": argv, "display_name": name, "language": language}
    (kdir / "kernel.json").write_text(json.dumps(spec))
    return kdir


def make_conda_env(
    prefix: Path,
    python: str | None = "3.11.7",
    *,
    packages: dict[str, str] | None = None,
    root: Path | None = None,
) -> Path:
    """A conda environment: ``conda-meta/history``, one JSON record per package, the files."""
    meta = prefix / "conda-meta"
    meta.mkdir(parents=True, exist_ok=True)
    specs = [f"python={python}"] if python else []
    specs += [f"{n}={v}" for n, v in (packages or {}).items()]
    (meta / "history").write_text(
        f"==> 2024-05-01 10:00:00 <==\n# cmd: {root or prefix}/bin/conda create -p {prefix}\n"
        f"# conda version: 24.5.0\n+conda-forge/linux-64::openssl-3.3.0-h4ab18f5_3\n"
        f"# update specs: {specs}\n",
        errors="surrogateescape",
    )
    records = {"openssl": ("3.3.0", "h4ab18f5_3")}
    if python:
        records["python"] = (python, "h955ad1f_0_cpython")
        make_interpreter(prefix, python)
    for name, ver in (packages or {}).items():
        records[name] = (ver, "pyhd8ed1ab_0")
        if python:
            write_dist(prefix / "lib" / f"python{_xy(python)}" / "site-packages", name, ver)
    for name, (ver, build) in records.items():
        record = {
            "name": name,
            "version": ver,
            "build": build,
            "channel": "https://conda.anaconda.org/conda-forge/linux-64",
            "files": [],
        }
        (meta / f"{name}-{ver}-{build}.json").write_text(json.dumps(record))
    return prefix


def make_conda_root(root: Path, python: str = "3.12.4") -> Path:
    """A conda installation: a ``base`` env with ``condabin/``, ``envs/`` and ``pkgs/``."""
    make_conda_env(root, python, packages={"conda": "24.5.0"})
    (root / "condabin").mkdir(exist_ok=True)
    (root / "condabin" / "conda").write_text("#!/bin/sh\nexit 97\n")
    (root / "envs").mkdir(exist_ok=True)
    (root / "pkgs").mkdir(exist_ok=True)
    return root


@dataclass
class Layout:
    """A built layout: where it is, how to point discovery at it, and what it should find."""

    root: Path
    home: Path
    cwd: Path
    environ: dict[str, str]
    system: SystemRoots
    # real prefix -> expected kind
    expected: dict[str, str] = field(default_factory=dict)

    def expect(self, prefix: Path, kind: str) -> None:
        """Record that ``prefix`` should be found, as ``kind``."""
        self.expected[os.path.realpath(prefix)] = kind


def build_layout(root: Path, n: int = 200, *, home: Path | None = None) -> Layout:
    """``n`` environments (at least one of every kind) under ``root``, round-robin by kind."""
    home = home or root / "home"
    usr = root / "usr"
    sys_exe = make_interpreter(usr, "3.12.3")
    cwd = root / "work" / "proj" / "src"
    cwd.mkdir(parents=True)
    pyenv_root = home / ".pyenv"
    conda_root = make_conda_root(home / "miniforge3")
    layout = Layout(
        root=root,
        home=home,
        cwd=cwd,
        environ={"HOME": str(home), "PATH": str(usr / "bin")},
        system=SystemRoots(
            conda_roots=(str(root / "opt" / "conda"),), bin_dirs=(str(usr / "bin"),)
        ),
    )
    layout.expect(usr, "system")
    layout.expect(conda_root, "conda")
    make_venv(root / "work" / "proj" / ".venv", sys_exe, "3.12.3", creator="uv")
    layout.expect(root / "work" / "proj" / ".venv", "uv")
    env_txt: list[str] = [str(conda_root)]
    other_envs = home / "conda-envs"
    (home / ".condarc").write_text(f"channels:\n  - conda-forge\nenvs_dirs:\n  - {other_envs}\n")
    kinds = [
        "conda",
        "venv",
        "pyenv",
        "pyenv-virtualenv",
        "uv",
        "poetry",
        "pipenv",
        "hatch",
        "pixi",
        "virtualenv",
        "conda-rc",
    ]
    made = 3
    i = 0
    while made < n:
        kind = kinds[i % len(kinds)]
        v = f"3.{10 + i % 4}.{i % 9}"
        pk = {"ipykernel": "7.4.0"} if i % 3 == 0 else {}
        i += 1
        if kind == "conda":
            p = make_conda_env(conda_root / "envs" / f"env{i}", v, packages=pk, root=conda_root)
            env_txt.append(str(p))
            if i % 5 == 0:
                make_kernelspec(
                    p, "ir", ["R", "--slave", "-e", "IRkernel::main()", "{connection_file}"], "R"
                )
        elif kind == "conda-rc":
            p = make_conda_env(other_envs / f"rc{i}", v, packages=pk)
            kind = "conda"
        elif kind == "venv":
            p = make_venv(home / ".virtualenvs" / f"wrap{i}", sys_exe, "3.12.3", packages=pk)
        elif kind == "virtualenv":
            p = make_venv(
                home / ".virtualenvs" / f"ve{i}",
                sys_exe,
                "3.12.3",
                creator="virtualenv",
                packages=pk,
            )
        elif kind == "pyenv":
            p = pyenv_root / "versions" / v
            if p.exists():
                continue
            make_interpreter(p, v, packages=pk)
        elif kind == "pyenv-virtualenv":
            base = pyenv_root / "versions" / "3.9.19"
            if not base.exists():
                make_interpreter(base, "3.9.19")
                layout.expect(base, "pyenv")
                made += 1
            p = make_venv(
                base / "envs" / f"pe{i}", base / "bin" / "python3.9", "3.9.19", packages=pk
            )
            (pyenv_root / "versions" / f"pe{i}").symlink_to(p)
        elif kind == "uv":
            p = home / ".local" / "share" / "uv" / "python" / f"cpython-{v}-linux-x86_64-gnu"
            if p.exists():
                continue
            make_interpreter(p, v, packages=pk)
        elif kind == "poetry":
            p = home / ".cache" / "pypoetry" / "virtualenvs" / f"app{i}-Ab3dE_9x-py3.12"
            make_venv(p, sys_exe, "3.12.3", creator="virtualenv", packages=pk)
        elif kind == "pipenv":
            p = make_venv(
                home / ".local" / "share" / "virtualenvs" / f"svc{i}-Qw3rTy_1",
                sys_exe,
                "3.12.3",
                creator="virtualenv",
                packages=pk,
            )
            (p / ".project").write_text(str(root / "work" / f"svc{i}"))
        elif kind == "hatch":
            p = (
                home
                / ".local"
                / "share"
                / "hatch"
                / "env"
                / "virtual"
                / f"lib{i}"
                / "k9GhT2aB"
                / "test"
            )
            make_venv(p, sys_exe, "3.12.3", creator="virtualenv", packages=pk)
        else:  # pixi
            p = make_conda_env(
                root / "work" / "proj" / ".pixi" / "envs" / f"feat{i}", v, packages=pk
            )
        layout.expect(p, kind)
        made += 1
    (home / ".conda").mkdir(parents=True, exist_ok=True)
    (home / ".conda" / "environments.txt").write_text("\n".join(env_txt) + "\n")
    return layout
