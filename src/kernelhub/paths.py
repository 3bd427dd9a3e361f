"""Jupyter's directories, by the same rules every Jupyter tool uses.

The rules themselves live in ``jupyter_core.paths``; this module only names the directories
kernelhub needs, so that the rest of the code never re-derives a platform directory.
"""

from __future__ import annotations

import functools
import os
import sys

from jupyter_core import paths as _jp

from kernelhub import environ

__all__ = [
    "data_dir",
    "env_kernel_dir",
    "ipython_kernel_dir",
    "kernel_dirs",
    "prefer_env_path",
    "runtime_dir",
    "system_kernel_dirs",
    "user_kernel_dir",
]


def data_dir() -> str:
    """The user's Jupyter data directory (``JUPYTER_DATA_DIR`` or the platform default)."""
    return _jp.jupyter_data_dir()


def runtime_dir() -> str:
    """The Jupyter runtime directory, where connection files live (``JUPYTER_RUNTIME_DIR``)."""
    return _jp.jupyter_runtime_dir()


def prefer_env_path() -> bool:
    """Whether the environment's directories come before the user's (inside a venv by default)."""
    return bool(_jp.prefer_environment_over_user())


def user_kernel_dir() -> str:
    """Where ``--user`` installs kernelspecs."""
    return os.path.join(data_dir(), "kernels")


def env_kernel_dir(prefix: str | None = None) -> str:
    """Where ``--sys-prefix`` (or ``--prefix PREFIX``) installs kernelspecs."""
    return os.path.join(prefix or sys.prefix, "share", "jupyter", "kernels")


def system_kernel_dirs() -> list[str]:
    """The system-wide kernelspec directories."""
    return [os.path.join(p, "kernels") for p in _jp.SYSTEM_JUPYTER_PATH]


def ipython_kernel_dir() -> str:
    """The legacy ``~/.ipython/kernels`` directory, searched last."""
    return os.path.join(environ.ipython_dir(), "kernels")


def kernel_dirs() -> list[str]:
    """Every kernelspec directory, highest priority first.

    ``JUPYTER_PATH`` entries, then user, environment and system directories (environment before
    user when :func:`prefer_env_path`), then the legacy IPython directory: exactly the order
    jupyter_client's ``KernelSpecManager`` searches.
    """
    dirs = _jp.jupyter_path("kernels")
    # jupyter_client searches IPython's directory only when IPython can be imported; finding
    # the module (without importing it) is enough to agree with it.
    if _ipython_available():
        legacy = ipython_kernel_dir()
        if legacy not in dirs:
            dirs.append(legacy)
    return dirs


@functools.cache
def _ipython_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("IPython") is not None
