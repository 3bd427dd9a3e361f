"""A hermetic world of environments under the temporary HOME, for the provider and the CLI.

Nothing of the machine leaks in: discovery gets the world's own variables and no system-wide
places; the CLI runs in a subprocess whose HOME, PATH and working directory are the world's,
with the system-wide places replaced by none (see :meth:`World.kh`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kernelhub.envs import SystemRoots, clear_cache
from kernelhub.providers.base import KernelType
from kernelhub.providers.envs import EnvProvider
from kernelhub.specs import SpecRegistry
from tests.conftest import JupyterDirs
from tests.envs.layouts import (
    make_conda_env,
    make_conda_root,
    make_interpreter,
    make_kernelspec,
    make_venv,
)

IPYKERNEL = {"ipykernel": "7.4.0"}
R_ARGV = ["R", "--slave", "-e", "IRkernel::main()", "--args", "{connection_file}"]
IPYKERNEL_ARGV = ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"]


@dataclass
class World:
    """Environments of every kind that has ipykernel, plus a few without and a broken one."""

    root: Path
    home: Path
    cwd: Path
    usr: Path
    conda_root: Path
    datasci: Path  # conda env: ipykernel, pandas, an R kernel, ipykernel's own python3 spec
    plain: Path  # conda env without ipykernel
    myproject: Path  # python -m venv, with ipykernel
    uvproj: Path  # uv venv in the working directory, with ipykernel
    pyenv: Path  # pyenv 3.12.4 with ipykernel and numpy
    dangling: Path  # venv with ipykernel whose base interpreter is gone
    kernels: Path  # the JUPYTER_PATH kernels directory
    environ: dict[str, str]

    def provider(self, **kwargs: object) -> EnvProvider:
        """A provider that sees only this world."""
        kwargs.setdefault("environ", self.environ)
        kwargs.setdefault("base", self.base())
        kwargs.setdefault("cwd", str(self.cwd))
        kwargs.setdefault("system", SystemRoots.none())
        kwargs.setdefault("registry", SpecRegistry([str(self.kernels)]))
        return EnvProvider(**kwargs)  # type: ignore[arg-type]

    def base(self) -> dict[str, str]:
        """The environment a launcher would lay the types' ``env`` over."""
        return {
            "HOME": str(self.home),
            "PATH": os.pathsep.join([str(self.usr / "bin"), "/bin"]),
            "PYTHONHOME": "/somewhere/else",
            "LANG": "C.UTF-8",
        }

    def types(self, include_hidden: bool = False) -> dict[str, KernelType]:
        """Every type of a fresh provider, by id."""
        found = list(self.provider().find(include_hidden=include_hidden))
        by_id = {k.id: k for k in found}
        assert len(by_id) == len(found), [k.id for k in found]
        return by_id

    def cli_env(self) -> dict[str, str]:
        """The CLI subprocess's environment: the isolated Jupyter dirs, the world's HOME/PATH."""
        keep = ("JUPYTER_", "IPYTHONDIR", "NO_COLOR", "LANG", "LC_", "TMPDIR", "SYSTEMROOT")
        env = {k: v for k, v in os.environ.items() if k.startswith(keep)}
        env.update(self.environ)
        return env

    def settle(self) -> None:
        """Date every file of the world 10 s back, so that discovery trusts its cache.

        (A result read from files changed within the last clock tick is never reused.)
        """
        then = time.time() - 10
        for top in (self.root, self.home):
            for dirpath, dirnames, filenames in os.walk(top):
                for name in (*dirnames, *filenames):
                    os.utime(os.path.join(dirpath, name), (then, then), follow_symlinks=False)
                os.utime(dirpath, (then, then))

    def kh(self, *args: str, system: bool = False) -> subprocess.CompletedProcess[str]:
        """Run the ``kernelhub`` command as a user in this world would.

        Unless ``system``, the machine's system-wide places (``/opt/conda``, ``/usr/bin``) are
        replaced with none, so that an ``/opt/conda/envs/datasci`` here cannot take the
        world's ids; with ``system``, this is exactly ``python -m kernelhub ARGS``.
        """
        entry = ["-m", "kernelhub"] if system else ["-c", _HERMETIC_MAIN]
        return subprocess.run(
            [sys.executable, *entry, *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env=self.cli_env(),
            cwd=self.cwd,
        )


# The CLI's own main(), with SystemRoots.default() searching no system-wide place.
_HERMETIC_MAIN = """
import sys
from kernelhub.envs.settings import SystemRoots
SystemRoots.default = classmethod(lambda cls: cls())
from kernelhub.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def write_spec(kernels: Path, name: str, argv: list[str], **extra: object) -> Path:
    """A registered kernelspec ``kernels/<name>/kernel.json``."""
    d = kernels / name
    d.mkdir(parents=True)
    spec = {"argv": argv, "display_name": name, "language": "python", **extra}
    (d / "kernel.json").write_text(json.dumps(spec))
    return d


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def world(jupyter_dirs: JupyterDirs, tmp_path: Path) -> World:
    """Build the world (see :class:`World`)."""
    home = jupyter_dirs.home
    usr = tmp_path / "usr"
    base_exe = make_interpreter(usr, "3.12.3")
    conda_root = make_conda_root(home / "miniforge3")
    datasci = make_conda_env(
        conda_root / "envs" / "datasci",
        "3.11.7",
        packages={**IPYKERNEL, "pandas": "2.2.2"},
        root=conda_root,
    )
    r_exe = datasci / "bin" / "R"
    r_exe.write_text("#!/bin/sh\nexit 97\n")
    r_exe.chmod(0o755)
    make_kernelspec(datasci, "ir", R_ARGV, "R")
    make_kernelspec(datasci, "python3", IPYKERNEL_ARGV)
    plain = make_conda_env(conda_root / "envs" / "plain", "3.10.4", root=conda_root)
    (home / ".conda").mkdir()
    (home / ".conda" / "environments.txt").write_text(f"{conda_root}\n{datasci}\n{plain}\n")
    myproject = make_venv(
        home / ".virtualenvs" / "myproject", base_exe, "3.12.3", packages=IPYKERNEL
    )
    cwd = tmp_path / "work" / "uvproj"
    uvproj = make_venv(cwd / ".venv", base_exe, "3.12.3", creator="uv", packages=IPYKERNEL)
    pyenv = home / ".pyenv" / "versions" / "3.12.4"
    make_interpreter(pyenv, "3.12.4", packages={**IPYKERNEL, "numpy": "2.1.0"})
    gone = tmp_path / "uninstalled" / "bin" / "python3.9"
    dangling = make_venv(home / ".virtualenvs" / "dangling", gone, "3.9.19", packages=IPYKERNEL)
    return World(
        root=tmp_path,
        home=home,
        cwd=cwd,
        usr=usr,
        conda_root=conda_root,
        datasci=datasci,
        plain=plain,
        myproject=myproject,
        uvproj=uvproj,
        pyenv=pyenv,
        dangling=dangling,
        kernels=jupyter_dirs.path_kernels,
        environ={"HOME": str(home), "PATH": str(usr / "bin")},
    )
