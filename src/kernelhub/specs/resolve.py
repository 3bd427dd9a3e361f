"""Where a kernelspec's ``argv[0]`` really points, and so whether the spec is stale.

A spec is stale when it cannot start as it stands: its program is gone, or (read from files,
never by running anything) it starts ipykernel with an interpreter that has no ipykernel.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from collections.abc import Mapping, Sequence

from kernelhub import environ

__all__ = ["IPYKERNEL_MODULES", "PYTHON_ALIASES", "Resolver", "is_python_alias"]

#: ``python -m X`` for these X runs ipykernel: the interpreter must have ipykernel installed.
IPYKERNEL_MODULES = frozenset({"ipykernel_launcher", "ipykernel", "ipykernel.kernelapp"})
_PYTHON_NAME = re.compile(r"python[0-9.]*(\.exe)?", re.IGNORECASE)
# Variables that change where modules come from: with one set, files alone cannot tell.
_IMPORT_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE")

# jupyter_client (KernelManager.format_kernel_cmd) replaces exactly these with its own
# interpreter; several real kernelspecs depend on it. A python3.X for another X is looked up on
# PATH like any other program, because that is what jupyter_client runs.
PYTHON_ALIASES = frozenset(
    {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info[:2])}
)


def is_python_alias(argv0: str) -> bool:
    """Whether ``argv0`` means the launcher's own Python: ``python``, ``python3``, ``python3.X``.

    X is this interpreter's minor version, as in jupyter_client.
    """
    return argv0 in PYTHON_ALIASES


def _is_executable_file(path: str) -> bool:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return False
    return stat.S_ISREG(st.st_mode) and os.access(path, os.X_OK)


class Resolver:
    """Resolves ``argv[0]`` values, remembering answers for one listing.

    One resolver lives for one listing only: executables come and go without any kernel.json
    changing, so the answers must not outlive it; but a thousand specs pointing at the same
    interpreter should cost one ``stat``.
    """

    def __init__(self) -> None:
        self._path: list[str] | None = None
        self._memo: dict[str, str | None] = {}
        self._no_ipykernel: dict[str, str | None] = {}
        # Kernels inherit the launcher's environment: with its own PYTHONPATH, say nothing.
        self._imports_moved = any(environ.variables().get(n) for n in _IMPORT_VARIABLES)

    def executable(self, argv0: str, resource_dir: str) -> str | None:
        """The program that would run for ``argv0`` (absolute), or ``None`` if there is none.

        ``{resource_dir}`` is substituted first, as the launcher does.
        """
        program = argv0.replace("{resource_dir}", resource_dir)
        try:
            return self._memo[program]
        except KeyError:
            pass
        if is_python_alias(program):
            self._memo[program] = sys.executable
            return sys.executable
        found: str | None = None
        if os.sep in program or (os.altsep and os.altsep in program):
            if os.path.isfile(program):
                found = os.path.abspath(program)
        else:
            if self._path is None:
                self._path = environ.path_entries()
            for entry in self._path:
                candidate = os.path.join(entry, program)
                if _is_executable_file(candidate):
                    found = candidate
                    break
        self._memo[program] = found
        return found

    def launch_problem(
        self, argv: Sequence[str], env: Mapping[str, str], executable: str
    ) -> str | None:
        """Why a spec whose program exists still cannot start, or ``None`` if none is known.

        The one case told from files alone: ``python -m ipykernel_launcher`` (or ``ipykernel``)
        with an interpreter whose environment has no ipykernel. Whenever the files cannot
        say for sure (the spec or this process sets ``PYTHONPATH``, a venv sees its base's
        packages, the interpreter is not in an environment kernelhub can read), there is no
        problem.
        """
        if self._imports_moved:
            return None
        # The interpreter first: one look-up per spec once it is known to have ipykernel (or
        # not to be a Python), which is nearly always; argv is parsed only when it has none.
        try:
            missing = self._no_ipykernel[executable]
        except KeyError:
            is_python = _PYTHON_NAME.fullmatch(os.path.basename(executable)) is not None
            missing = _ipykernel_missing(executable) if is_python else None
            self._no_ipykernel[executable] = missing
        if missing is None:
            return None
        module = _module(argv)
        if module is None or module not in IPYKERNEL_MODULES:
            return None
        if any(env.get(name) for name in _IMPORT_VARIABLES):
            return None
        return f"argv runs {module!r} with {executable}, but {missing}: the kernel cannot start"


def _module(argv: Sequence[str]) -> str | None:
    """The module of ``python [options] -m MODULE ...``, or ``None`` for another command."""
    for i, arg in enumerate(argv[1:], 1):
        if arg == "-m":
            return argv[i + 1] if i + 1 < len(argv) else None
        if arg.startswith("-m") and len(arg) > 2:
            return arg[2:]
        if not arg.startswith("-") or arg in ("-c", "-"):
            return None  # a script, code or stdin: no module is run
    return None


def _has_ipykernel_dist(site: str) -> bool:
    try:
        names = os.listdir(site)
    except OSError:
        return False
    return any(
        n.lower().startswith("ipykernel-") and n.endswith((".dist-info", ".egg-info"))
        for n in names
    )


def _ipykernel_missing(executable: str) -> str | None:
    """Where ipykernel was looked for in vain for ``executable``; ``None``: found, or unknown."""
    if executable == sys.executable:
        from kernelhub.specs import native

        return (
            None if native.ipykernel_resources() is not None else f"{sys.prefix} has no ipykernel"
        )
    from kernelhub.envs import inspect_environment
    from kernelhub.errors import EnvError

    try:
        found = inspect_environment(executable)
    except EnvError:
        return None
    if found.has_ipykernel or found.status != "ok":
        return None
    try:
        with open(os.path.join(found.prefix, "pyvenv.cfg"), encoding="utf-8") as f:
            cfg: str | None = f.read(64 * 1024).lower().replace(" ", "")
    except OSError:
        cfg = None
    if cfg is not None and "include-system-site-packages=true" in cfg:
        return None  # it may come from the base installation
    xy = ".".join((found.python_version or "").split(".")[:2])
    user_site = os.path.join(environ.home(), ".local", "lib", f"python{xy}", "site-packages")
    if cfg is None and xy and _has_ipykernel_dist(user_site):
        # `pip install --user ipykernel`: a plain interpreter finds it there (a venv does not).
        return None
    return f"{found.prefix} has no ipykernel installed"
