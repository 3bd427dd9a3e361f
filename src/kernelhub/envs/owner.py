"""Which environment a Python interpreter belongs to, judged from paths as CPython does."""

from __future__ import annotations

import os

from kernelhub.envs.model import Discovery, Environment

__all__ = ["environment_of", "interpreter_prefix"]


def interpreter_prefix(program: str) -> str:
    """The ``sys.prefix`` the interpreter at ``program`` would have, judged from paths alone.

    As CPython does at startup: a ``pyvenv.cfg`` next to the program or one directory up makes
    that directory a venv (the program itself is not resolved: a venv's ``bin/python`` is a
    symlink whose location is what makes it a venv); otherwise the program is resolved and its
    prefix is the directory above ``bin``/``Scripts``. The result is a real path, as
    :attr:`Environment.prefix` is.
    """
    path = os.path.abspath(program)
    bindir = os.path.dirname(path)
    for home in (bindir, os.path.dirname(bindir)):
        if os.path.isfile(os.path.join(home, "pyvenv.cfg")):
            return os.path.realpath(home)
    parent = os.path.dirname(os.path.realpath(path))
    if os.path.basename(parent).lower() in ("bin", "scripts"):
        return os.path.dirname(parent)
    return parent


def environment_of(discovery: Discovery, program: str) -> Environment | None:
    """The environment of ``discovery`` whose Python ``program`` is, or ``None``.

    ``program`` may be the environment's own interpreter path or any other name for it
    (``/usr/bin/python3`` for the system's ``/usr/bin/python3.11``, a symlink elsewhere).
    """
    for env in discovery.environments:
        if env.executable == program:
            return env
    prefix = interpreter_prefix(program)
    for env in discovery.environments:
        if env.prefix == prefix:
            return env
    return None
