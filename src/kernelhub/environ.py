"""The one place where kernelhub reads environment variables.

Jupyter's own directory variables (``JUPYTER_PATH``, ``JUPYTER_DATA_DIR``,
``JUPYTER_RUNTIME_DIR``, ``JUPYTER_CONFIG_DIR``, ``JUPYTER_PREFER_ENV_PATH``) are read by
``jupyter_core.paths`` through :mod:`kernelhub.paths`, so that kernelhub agrees with every other
Jupyter tool. Everything else kernelhub looks at is read here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = [
    "home",
    "ipython_dir",
    "no_color",
    "path_entries",
    "server_settings",
    "snapshot",
    "variables",
]


def home() -> str:
    """The user's home directory (``HOME``, falling back to the platform's idea of it)."""
    return os.path.expanduser("~")


def ipython_dir() -> str:
    """IPython's directory (``IPYTHONDIR``, else ``~/.ipython``), home of legacy kernelspecs."""
    value = os.environ.get("IPYTHONDIR")
    return os.path.expanduser(value) if value else os.path.join(home(), ".ipython")


def path_entries() -> list[str]:
    """The directories of ``PATH``, in order, empty entries dropped."""
    return [p for p in os.environ.get("PATH", os.defpath).split(os.pathsep) if p]


def no_color() -> bool:
    """Whether the user asked for no colour (https://no-color.org: ``NO_COLOR`` set, non-empty)."""
    return bool(os.environ.get("NO_COLOR"))


def variables() -> Mapping[str, str]:
    """The live environment, read-only: for modules that take their variables as a mapping
    (``kernelhub.envs.settings`` lists every variable environment discovery reads)."""
    return os.environ


def snapshot() -> dict[str, str]:
    """A copy of the whole environment, the base a kernel's environment is built on."""
    return dict(os.environ)


def server_settings() -> dict[str, str]:
    """``kernelhub serve`` settings from ``KERNELHUB_<FIELD>`` variables, as ``{field: value}``
    with lower-case field names (``KERNELHUB_PORT=9000`` -> ``{"port": "9000"}``).
    ``KERNELHUB_ENV_*`` are environment discovery's (``kernelhub.envs.settings``), not these."""
    prefix = "KERNELHUB_"
    return {
        k[len(prefix) :].lower(): v
        for k, v in os.environ.items()
        if k.startswith(prefix) and not k.startswith("KERNELHUB_ENV_")
    }
