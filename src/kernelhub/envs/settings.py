"""The environment variables and well-known directories that environment discovery reads.

This is the only module of :mod:`kernelhub.envs` that looks at environment variables, and it
looks only at the mapping it is given (``os.environ`` by default), so that tests pass their
own. It should later fold into :mod:`kernelhub.environ`. Every variable read is named in
:data:`VARIABLES`.

System-wide places (``/opt/conda``, ``/usr/bin``, ``/etc/conda/.condarc``) are not variables;
they are a :class:`SystemRoots` value, replaceable as a whole so that tests stay hermetic.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from kernelhub import environ as kernelhub_environ

__all__ = ["FILE_NAME", "VARIABLES", "Settings", "SystemRoots", "registry_file"]

#: Every environment variable :meth:`Settings.from_environ` reads.
VARIABLES: tuple[str, ...] = (
    "HOME",
    "PATH",
    "VIRTUAL_ENV",
    "WORKON_HOME",
    "CONDA_PREFIX",
    "CONDA_EXE",
    "CONDA_ENVS_PATH",
    "CONDA_ENVS_DIRS",
    "CONDARC",
    "MAMBA_ROOT_PREFIX",
    "PYENV_ROOT",
    "POETRY_VIRTUALENVS_PATH",
    "POETRY_CACHE_DIR",
    "HATCH_DATA_DIR",
    "UV_PYTHON_INSTALL_DIR",
    "XDG_DATA_HOME",
    "XDG_CACHE_HOME",
    "XDG_CONFIG_HOME",
    "LOCALAPPDATA",
    "APPDATA",
    "KERNELHUB_ENV_SEARCH_ROOTS",
    "KERNELHUB_ENV_SEARCH_DEPTH",
    "KERNELHUB_ENV_SEARCH_BUDGET",
    "JUPYTER_DATA_DIR",
)

_WINDOWS = sys.platform == "win32"


@dataclass(frozen=True)
class SystemRoots:
    """System-wide places searched besides the user's: conda roots, ``.condarc`` files, bin dirs.

    ``conda_roots`` are conda/mamba installations (each may be a ``base`` and hold ``envs/``);
    ``condarc_files`` are system ``.condarc`` files; ``bin_dirs`` are searched for system
    interpreters after ``PATH``. :meth:`none` searches nothing, for hermetic tests.
    """

    conda_roots: tuple[str, ...] = ()
    condarc_files: tuple[str, ...] = ()
    bin_dirs: tuple[str, ...] = ()

    @classmethod
    def default(cls) -> SystemRoots:
        """The usual system-wide places on this platform."""
        if _WINDOWS:
            return cls(conda_roots=("C:\\ProgramData\\miniconda3", "C:\\ProgramData\\anaconda3"))
        return cls(
            conda_roots=(
                "/opt/conda",
                "/opt/miniconda3",
                "/opt/anaconda3",
                "/opt/miniforge3",
                "/usr/local/miniconda3",
                "/usr/local/anaconda3",
            ),
            condarc_files=("/etc/conda/.condarc", "/etc/conda/condarc", "/var/lib/conda/.condarc"),
            bin_dirs=("/usr/bin", "/usr/local/bin"),
        )

    @classmethod
    def none(cls) -> SystemRoots:
        """No system-wide places at all."""
        return cls()


def _get(environ: Mapping[str, str], name: str) -> str | None:
    # An empty variable means "unset" for every tool we mirror.
    value = environ.get(name)
    return value or None


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(p for p in value.split(os.pathsep) if p) if value else ()


#: The environment registry's file name (see :mod:`.registry`), in the Jupyter data directory.
FILE_NAME = "kernelhub-environments.txt"


def registry_file(data_dir: str | None = None) -> str:
    """The registry's path: ``<data_dir>/kernelhub-environments.txt``.

    ``data_dir`` defaults to the user's Jupyter data directory (``JUPYTER_DATA_DIR`` or the
    platform's, as every Jupyter tool finds it).
    """
    if data_dir is None:
        from kernelhub import paths

        data_dir = paths.data_dir()
    return os.path.join(data_dir, FILE_NAME)


@dataclass(frozen=True)
class Settings:
    """What discovery needs to know about the user's setup, read once from a mapping.

    Fields hold the raw variable values (``None`` when unset); the tool-specific defaults
    (``~/.pyenv`` when ``PYENV_ROOT`` is unset, ...) are applied by each locator, next to the
    rest of that tool's rules. The value is hashable: it is part of the discovery cache key.

    ``search_roots``, ``search_depth`` and ``search_budget`` are the raw
    ``KERNELHUB_ENV_SEARCH_*`` values; :mod:`kernelhub.envs.search` parses them (a bad value
    is reported as a problem there, and the default used). ``registry`` is kernelhub's own
    list of environments (:mod:`kernelhub.envs.registry`), in the Jupyter data directory.
    """

    home: str
    path: tuple[str, ...] = ()
    virtual_env: str | None = None
    workon_home: str | None = None
    conda_prefix: str | None = None
    conda_exe: str | None = None
    conda_envs_path: tuple[str, ...] = ()
    condarc: str | None = None
    mamba_root_prefix: str | None = None
    pyenv_root: str | None = None
    poetry_virtualenvs_path: str | None = None
    poetry_cache_dir: str | None = None
    hatch_data_dir: str | None = None
    uv_python_install_dir: str | None = None
    xdg_data_home: str | None = None
    xdg_cache_home: str | None = None
    xdg_config_home: str | None = None
    local_app_data: str | None = None
    app_data: str | None = None
    search_roots: str | None = None
    search_depth: str | None = None
    search_budget: str | None = None
    registry: str | None = None
    system: SystemRoots = SystemRoots()

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, str] | None = None, *, system: SystemRoots | None = None
    ) -> Settings:
        """Read :data:`VARIABLES` from ``environ`` (default: the live environment, as
        :mod:`kernelhub.environ` gives it).

        ``system`` defaults to :meth:`SystemRoots.default`; pass :meth:`SystemRoots.none` (or
        temporary directories) to keep the machine's own installations out. The registry
        file is in ``JUPYTER_DATA_DIR`` when ``environ`` sets it, else in the Jupyter data
        directory :mod:`kernelhub.paths` names.
        """
        env = kernelhub_environ.variables() if environ is None else environ
        home = _get(env, "HOME") or os.path.expanduser("~")
        envs_path = _split(_get(env, "CONDA_ENVS_PATH")) + _split(_get(env, "CONDA_ENVS_DIRS"))
        return cls(
            home=home,
            path=_split(_get(env, "PATH")),
            virtual_env=_get(env, "VIRTUAL_ENV"),
            workon_home=_get(env, "WORKON_HOME"),
            conda_prefix=_get(env, "CONDA_PREFIX"),
            conda_exe=_get(env, "CONDA_EXE"),
            conda_envs_path=envs_path,
            condarc=_get(env, "CONDARC"),
            mamba_root_prefix=_get(env, "MAMBA_ROOT_PREFIX"),
            pyenv_root=_get(env, "PYENV_ROOT"),
            poetry_virtualenvs_path=_get(env, "POETRY_VIRTUALENVS_PATH"),
            poetry_cache_dir=_get(env, "POETRY_CACHE_DIR"),
            hatch_data_dir=_get(env, "HATCH_DATA_DIR"),
            uv_python_install_dir=_get(env, "UV_PYTHON_INSTALL_DIR"),
            xdg_data_home=_get(env, "XDG_DATA_HOME"),
            xdg_cache_home=_get(env, "XDG_CACHE_HOME"),
            xdg_config_home=_get(env, "XDG_CONFIG_HOME"),
            local_app_data=_get(env, "LOCALAPPDATA"),
            app_data=_get(env, "APPDATA"),
            search_roots=_get(env, "KERNELHUB_ENV_SEARCH_ROOTS"),
            search_depth=_get(env, "KERNELHUB_ENV_SEARCH_DEPTH"),
            search_budget=_get(env, "KERNELHUB_ENV_SEARCH_BUDGET"),
            registry=registry_file(_get(env, "JUPYTER_DATA_DIR")),
            system=SystemRoots.default() if system is None else system,
        )

    def expand(self, path: str) -> str:
        """``path`` with a leading ``~`` replaced by :attr:`home` (never the real home)."""
        if path == "~" or path.startswith(("~/", "~" + os.sep)):
            return self.home + path[1:]
        return path

    @property
    def data_home(self) -> str:
        """``$XDG_DATA_HOME`` or ``~/.local/share`` (``%LOCALAPPDATA%`` on Windows)."""
        if _WINDOWS and self.local_app_data:
            return self.local_app_data
        return self.xdg_data_home or os.path.join(self.home, ".local", "share")

    @property
    def cache_home(self) -> str:
        """``$XDG_CACHE_HOME`` or ``~/.cache`` (``%LOCALAPPDATA%`` on Windows)."""
        if _WINDOWS and self.local_app_data:
            return self.local_app_data
        return self.xdg_cache_home or os.path.join(self.home, ".cache")

    @property
    def config_home(self) -> str:
        """``$XDG_CONFIG_HOME`` or ``~/.config`` (``%APPDATA%`` on Windows)."""
        if _WINDOWS and self.app_data:
            return self.app_data
        return self.xdg_config_home or os.path.join(self.home, ".config")
