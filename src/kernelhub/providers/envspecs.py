"""The kernelspecs that live inside Python environments, as kernel types (for ``EnvProvider``).

A conda environment with r-irkernel holds ``<prefix>/share/jupyter/kernels/ir``; a venv with
ipykernel holds ipykernel's own ``python3``. Each becomes a kernel type with id
``<environment id>-<spec name>`` (``conda/datasci-ir``), or ``<environment id>--<spec name>``
when an environment (or an earlier spec) already has the first id. Such a spec runs inside
its environment: ``python`` in argv[0] means the environment's interpreter, any other bare
program name is looked up with the PATH the kernel will get (the environment's bin
directories first), and the result is written into argv as an absolute path so that nothing
depends on a shell.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kernelhub.providers.base import KernelType, Status

if TYPE_CHECKING:
    from kernelhub.envs import Environment
    from kernelhub.specs import KernelSpec

__all__ = [
    "Registered",
    "SpecReader",
    "inside_spec_type",
    "is_python_argv0",
    "is_python_program",
    "same_program",
]

# The argv of ipykernel's own python3 spec: inside an env it is that env's kernel again.
_IPYKERNEL_TAILS = frozenset(
    {
        ("-m", "ipykernel_launcher", "-f", "{connection_file}"),
        ("-m", "ipykernel", "-f", "{connection_file}"),
    }
)

#: Registered kernelspecs: real resource dir -> (kernel type id, resolved argv[0], runs Python).
Registered = Mapping[str, tuple[str, "str | None", bool]]


def is_python_argv0(argv0: str) -> bool:
    """Whether the launcher replaces ``argv0`` with the kernel type's interpreter: ``python``,
    ``python3`` or ``python3.X``."""
    if argv0 in ("python", "python3"):
        return True
    head, dot, minor = argv0.partition(".")
    return head == "python3" and bool(dot) and minor.isdigit()


def _is_python_file(name: str) -> bool:
    # python, python3, python3.12, python3.13t, python.exe (string tests: a regex costs more
    # to compile than every listing spends matching)
    rest = name.lower().removesuffix(".exe").removeprefix("python")
    if rest == name.lower().removesuffix(".exe"):
        return False
    parts = rest.removesuffix("t").split(".") if rest else []
    return len(parts) <= 2 and all(p.isdigit() for p in parts)


def is_python_program(argv0: str, executable: str | None) -> bool:
    """Whether a kernel whose argv[0] is ``argv0`` (resolved: ``executable``) runs Python."""
    if is_python_argv0(argv0):
        return True
    return executable is not None and _is_python_file(os.path.basename(executable))


def same_program(a: str, b: str | None) -> bool:
    """Whether programs ``a`` and ``b`` are the same; for Pythons, the same environment."""
    from kernelhub.envs.owner import interpreter_prefix

    if b is None:
        return False
    if a == b:
        return True
    if is_python_program("", a) and is_python_program("", b):
        return interpreter_prefix(a) == interpreter_prefix(b)
    return os.path.realpath(a) == os.path.realpath(b)


class SpecReader:
    """Reads kernel.json files, re-reading one only when its ``stat`` changed."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[tuple[int, ...], KernelSpec | Exception]] = {}

    def read(self, kernel_file: str, name: str, resource_dir: str) -> KernelSpec | Exception:
        """The parsed spec, or why it cannot be used (an ``OSError`` or ``InvalidSpecError``)."""
        from kernelhub.specs.reader import read_spec, stat_key

        try:
            key = stat_key(os.stat(kernel_file))
        except OSError as exc:
            return exc
        cached = self._cache.get(kernel_file)
        if cached is not None and cached[0] == key:
            return cached[1]
        try:
            key, parsed = read_spec(kernel_file, name, resource_dir)
        except OSError as exc:
            return exc
        self._cache[kernel_file] = (key, parsed)
        return parsed


def _resolve_argv(
    argv: tuple[str, ...], env: Environment, path: str | None, resource_dir: str
) -> tuple[list[str], str | None]:
    """argv with argv[0] made absolute for ``env``, and the program that will run (or None)."""
    out = list(argv)
    program = argv[0].replace("{resource_dir}", resource_dir)
    if is_python_argv0(program):
        if env.executable is None or env.status != "ok":
            return out, None
        out[0] = env.executable
        return out, env.executable
    if os.sep in program or (os.altsep and os.altsep in program):
        return out, os.path.abspath(program) if os.path.isfile(program) else None
    found = shutil.which(program, path=path)
    if found is not None:
        out[0] = found
    return out, found


def inside_spec_type(
    env: Environment,
    spec_dir: str,
    *,
    spec: KernelSpec | Exception,
    activation: Mapping[str, str],
    environment: Mapping[str, Any],
    registered: Registered,
    taken: set[str],
) -> KernelType:
    """The kernel type of the kernelspec at ``spec_dir`` inside ``env``.

    ``activation`` is the environment's activation delta, ``environment`` its metadata
    record, ``taken`` the (lower-cased) ids already in use, ``registered`` the
    registered kernelspecs (a spec also registered as ``spec/...`` with the same program is
    ``shadowed``, as is ipykernel's own spec, which is ``env``'s kernel again).
    """
    from kernelhub.envs.layout import safe_name
    from kernelhub.specs.resources import list_resources

    name = os.path.basename(spec_dir).lower()
    group, _, env_name = env.id.partition("/")
    type_name = f"{env_name}-{safe_name(name)}"
    n = 1
    while f"{group}/{type_name}".lower() in taken:
        type_name = f"{env_name}--{safe_name(name)}" + (f"-{n}" if n > 1 else "")
        n += 1
    label = f"({env.kind}: {env.name})"
    metadata: dict[str, Any] = {"environment": dict(environment)}
    common: dict[str, Any] = {
        "id": f"{group}/{type_name}",
        "provider": group,
        "name": type_name,
        "resource_dir": spec_dir,
        "resources": list_resources(spec_dir),
        "origin": os.path.join(spec_dir, "kernel.json"),
    }
    if isinstance(spec, Exception):
        return KernelType(
            display_name=f"{name} {label}",
            language="",
            argv=(),
            metadata=metadata,
            status="invalid",
            diagnostics=(str(spec),),
            **common,
        )
    env_vars = {**activation, **spec.env}
    argv, exe = _resolve_argv(spec.argv, env, env_vars.get("PATH"), spec_dir)
    # Only a Python kernel has an interpreter: an R kernel in a conda env runs R, not its Python.
    python = bool(spec.argv) and is_python_program(spec.argv[0], exe)
    common["interpreter"] = (exe or env.executable) if python else None
    status: Status = "ok" if exe else "stale"
    diagnostics = [] if exe else [f"program {spec.argv[0]!r} not found in {env.prefix}"]
    own = exe is not None and argv[0] == env.executable and tuple(argv[1:]) in _IPYKERNEL_TAILS
    if own and env.has_ipykernel and not spec.env:
        status = "shadowed"
        diagnostics.append(f"the same kernel as {env.id}")
    found = registered.get(os.path.realpath(spec_dir))
    if found is not None:
        spec_id, reg_exe, _ = found
        metadata["registered_as"] = spec_id
        if status == "ok" and reg_exe and same_program(reg_exe, exe):
            status = "shadowed"
            diagnostics.append(f"also registered as {spec_id}, running the same program")
    return KernelType(
        display_name=f"{spec.display_name or name} {label}",
        language=spec.language,
        argv=tuple(argv),
        env=env_vars,
        interrupt_mode=spec.interrupt_mode,
        executable=exe,
        kernel_protocol_version=spec.kernel_protocol_version,
        metadata={**spec.metadata, **metadata},
        status=status,
        diagnostics=tuple(diagnostics),
        **common,
    )
