"""Where a kernelspec's ``argv[0]`` really points, and so whether the spec is stale."""

from __future__ import annotations

import os
import stat
import sys

from kernelhub import environ

__all__ = ["PYTHON_ALIASES", "Resolver", "is_python_alias"]

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
