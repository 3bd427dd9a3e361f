"""Python environments found on disk: venv, virtualenv, conda/mamba, pyenv, uv, poetry, pipenv,
hatch, pixi and system interpreters, read from their files and never by running anything.

::

    from kernelhub.envs import discover, find_package, install_command

    result = discover()                  # cached; refresh=True to rescan
    for env in result.environments:      # Environment records, sorted by id
        print(env.id, env.python_version, env.ipykernel_version, env.status)
    result.problems                      # what was skipped, and what was expected there
    env = result.get("conda/datasci")    # by id, name, prefix or interpreter path

One module per kind of environment (``venv``, ``conda``, ``pyenv``, ``uv``, ``poetry``,
``pipenv``, ``hatch``, ``pixi``, ``system``) lists candidate directories, as do ``registry``
(kernelhub's own list: :func:`remember`, :func:`forget`) and ``search`` (project
environments under HOME, bounded in depth and time); ``probe`` reads each once;
``discover`` merges, names and caches, and says where it looked
(:attr:`Discovery.searched`). Environment variables are read only by ``settings``.
"""

from __future__ import annotations

from kernelhub.envs.activation import activation_env, install_command
from kernelhub.envs.finder import clear_cache, discover, find_environments, inspect_environment
from kernelhub.envs.model import KINDS, Discovery, Environment, EnvStatus, Problem, Searched
from kernelhub.envs.packages import find_package, installed_packages, normalize
from kernelhub.envs.registry import forget, remember
from kernelhub.envs.settings import Settings, SystemRoots

__all__ = [
    "KINDS",
    "Discovery",
    "EnvStatus",
    "Environment",
    "Problem",
    "Searched",
    "Settings",
    "SystemRoots",
    "activation_env",
    "clear_cache",
    "discover",
    "find_environments",
    "find_package",
    "forget",
    "inspect_environment",
    "install_command",
    "installed_packages",
    "normalize",
    "remember",
]
