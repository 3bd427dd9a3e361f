"""Python environments as kernel types: ``conda/datasci``, ``venv/myproject``, ``pyenv/3.12.4``.

Every environment :mod:`kernelhub.envs` discovers with ipykernel installed is a kernel type
whose id is the environment's id (``provider`` is the id's group, ``name`` the rest, so
``id == provider + "/" + name``). It runs the environment's own interpreter directly
(``<prefix>/bin/python -m ipykernel_launcher``; no ``conda run``, no shell, which would break
interrupts and hide the real process) with the variables activation would set, so that
``!pip install`` in a notebook installs into that environment.

``env`` holds only what activation *changes* (the launcher lays it over its own environment;
see :func:`kernelhub.envs.activation.activation_delta`): ``PATH`` with the environment's bin
directory first, ``VIRTUAL_ENV`` or ``CONDA_PREFIX`` and friends. A variable activation
removes (``PYTHONHOME``, a stale ``VIRTUAL_ENV``) cannot be removed through
``KernelType.env``; it is set to the empty string, which CPython, pip and uv read as unset.

The kernelspecs inside environments are kernel types too (:mod:`.envspecs`: ids like
``conda/datasci-ir``), listed right after their environment's kernel.

Statuses: ``ok``; ``stale`` when ipykernel is there but the interpreter is gone (listed by
default, as stale kernelspecs are). With ``include_hidden`` also ``invalid`` for environments
without ipykernel (their diagnostics say how to install it) and unreadable kernel.json files,
and ``shadowed`` for inside specs that duplicate another kernel type.

``resource_dir`` is ipykernel's own ``python3`` spec directory inside the environment, when
there is one, for its logos. ``metadata`` is ``{"environment": {"id", "kind", "name",
"prefix", "python_version", "ipykernel_version"}}``, plus ``"same_interpreter_as":
["spec/py311", ...]`` listing the registered kernelspecs that run the same Python environment
(same ``sys.prefix``, see :func:`kernelhub.envs.owner.interpreter_prefix`): one environment,
not two unrelated kernels.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from kernelhub import environ as kernelhub_environ
from kernelhub.providers.base import KernelType, Status

if TYPE_CHECKING:
    from kernelhub.envs import Discovery, Environment, SystemRoots
    from kernelhub.providers.envspecs import SpecReader
    from kernelhub.specs import SpecRegistry

__all__ = ["EnvProvider", "display_name", "environment_json"]

_Registered = dict[str, tuple[str, "str | None", bool]]


def environment_json(env: Environment) -> dict[str, Any]:
    """The ``metadata["environment"]`` record of an environment's kernel types."""
    return {
        "id": env.id,
        "kind": env.kind,
        "name": env.name,
        "prefix": env.prefix,
        "python_version": env.python_version,
        "ipykernel_version": env.ipykernel_version,
    }


def display_name(env: Environment) -> str:
    """What people call the environment's kernel: ``"Python 3.12 (conda: datasci)"``."""
    from kernelhub.envs.layout import major_minor

    version = major_minor(env.python_version) or env.python_version
    label = f"({env.kind}: {env.name})"
    return f"Python {version} {label}" if version else f"Python {label}"


def _install_hint(env: Environment) -> str:
    import shlex

    from kernelhub.envs import install_command
    from kernelhub.errors import EnvError

    try:
        return "install it with: " + shlex.join(install_command(env, ["ipykernel"]))
    except EnvError as exc:
        return str(exc)


class _Memo:
    """What one discovery result gives, for one base environment and set of registered specs.

    (A plain class: a dataclass costs more to create at import than this module's listing.)
    """

    def __init__(
        self,
        discovery: Discovery,
        base: dict[str, str],
        same: dict[str, tuple[str, ...]],
        registered: _Registered,
    ) -> None:
        self.discovery = discovery
        self.base = base
        self.same = same
        self.registered = registered
        self.types: dict[str, KernelType] = {}
        # spec dir -> (the parsed spec it was built from, the type)
        self.inside: dict[str, tuple[object, KernelType]] = {}
        self.deltas: dict[str, dict[str, str]] = {}

    def delta(self, env: Environment) -> dict[str, str]:
        """The activation delta of ``env`` over :attr:`base`, computed once."""
        from kernelhub.envs.activation import activation_delta

        found = self.deltas.get(env.id)
        if found is None:
            found = self.deltas[env.id] = activation_delta(env, self.base)
        return found


class EnvProvider:
    """Every environment with ipykernel, and every kernelspec inside an environment.

    The arguments exist for tests and embedders: ``environ``, ``cwd`` and ``system`` go to
    :func:`kernelhub.envs.discover`; ``base`` is the environment the launcher will lay each
    type's ``env`` over (default: the live one); ``registry`` is where registered kernelspecs
    are read from for ``same_interpreter_as``. Repeated :meth:`find` calls reuse every built
    type while discovery's cached result, ``base`` and the registered specs are unchanged.
    """

    id = "envs"

    def __init__(
        self,
        *,
        environ: Mapping[str, str] | None = None,
        base: Mapping[str, str] | None = None,
        cwd: str | None = None,
        system: SystemRoots | None = None,
        registry: SpecRegistry | None = None,
    ) -> None:
        self._environ = environ
        self._base = base
        self._cwd = cwd
        self._system = system
        self._registry = registry
        self._memo: _Memo | None = None
        self._reader: SpecReader | None = None
        self._real_dirs: dict[str, str] = {}

    def discovery(self) -> Discovery:
        """The (cached) discovery this provider lists."""
        from kernelhub.envs import discover

        return discover(cwd=self._cwd, environ=self._environ, system=self._system)

    def find(self, *, include_hidden: bool = False) -> Iterator[KernelType]:
        """Yield the environment kernels, each followed by the kernelspecs inside it."""
        from kernelhub.providers.envspecs import SpecReader, inside_spec_type

        discovery = self.discovery()
        base = dict(kernelhub_environ.variables() if self._base is None else self._base)
        registered = self._registered()
        same = self._same_interpreter(discovery, registered)
        memo = self._memo
        if (
            memo is None
            or memo.discovery is not discovery
            or memo.base != base
            or memo.same != same
            or memo.registered != registered
        ):
            memo = self._memo = _Memo(discovery, base, same, registered)
        reader = self._reader = self._reader or SpecReader()
        taken = {env.id.lower() for env in discovery}
        for env in discovery:
            # Environments without ipykernel are built only when asked for: most are not.
            if include_hidden or env.has_ipykernel:
                kernel = memo.types.get(env.id)
                if kernel is None:
                    kernel = memo.types[env.id] = self._env_type(env, memo)
                if include_hidden or kernel.status in ("ok", "stale"):
                    yield kernel
            for spec_dir in env.kernelspec_dirs:
                name = os.path.basename(spec_dir).lower()
                spec = reader.read(os.path.join(spec_dir, "kernel.json"), name, spec_dir)
                built = memo.inside.get(spec_dir)
                if built is not None and built[0] is spec and built[1].id.lower() not in taken:
                    inside = built[1]
                else:
                    inside = inside_spec_type(
                        env,
                        spec_dir,
                        spec=spec,
                        activation=memo.delta(env),
                        environment=environment_json(env),
                        registered=registered,
                        taken=taken,
                    )
                    memo.inside[spec_dir] = (spec, inside)
                taken.add(inside.id.lower())
                if include_hidden or inside.status in ("ok", "stale"):
                    yield inside

    def _real_dir(self, resource_dir: str) -> str:
        # Kernelspecs share a handful of parent directories: resolve each parent once.
        parent, base = os.path.split(resource_dir)
        real = self._real_dirs.get(parent)
        if real is None:
            real = self._real_dirs[parent] = os.path.realpath(parent)
        return os.path.join(real, base)

    def _registered(self) -> _Registered:
        """Registered kernelspecs: real resource dir -> (id, resolved argv[0], runs Python)."""
        from kernelhub.providers.envspecs import is_python_program

        if self._registry is None:
            from kernelhub.specs import SpecRegistry

            self._registry = SpecRegistry()
        self._real_dirs.clear()
        out: _Registered = {}
        for entry in self._registry.entries():
            if entry.spec is None or not entry.spec.argv:
                continue
            python = is_python_program(entry.spec.argv[0], entry.executable)
            out[self._real_dir(entry.resource_dir)] = (
                f"spec/{entry.name}",
                entry.executable,
                python,
            )
        return out

    def _same_interpreter(
        self, discovery: Discovery, registered: _Registered
    ) -> dict[str, tuple[str, ...]]:
        """Environment prefix -> the registered kernelspecs that run its Python."""
        from kernelhub.envs.owner import interpreter_prefix

        prefixes: dict[str, str] = {}  # one path computation per distinct program
        known = {env.prefix for env in discovery}
        same: dict[str, list[str]] = {}
        for spec_id, exe, python in registered.values():
            if not python or exe is None:
                continue
            prefix = prefixes.get(exe)
            if prefix is None:
                prefix = prefixes[exe] = interpreter_prefix(exe)
            if prefix in known:
                same.setdefault(prefix, []).append(spec_id)
        return {prefix: tuple(sorted(ids)) for prefix, ids in same.items()}

    def _env_type(self, env: Environment, memo: _Memo) -> KernelType:
        status: Status = "ok"
        diagnostics = list(env.diagnostics)
        if not env.has_ipykernel:
            status = "invalid"
            diagnostics.append(f"ipykernel is not installed in {env.prefix}; {_install_hint(env)}")
        elif env.status != "ok" or env.executable is None:
            status = "stale"
            if not diagnostics:
                diagnostics.append(f"no Python interpreter in {env.prefix}")
        metadata: dict[str, Any] = {"environment": environment_json(env)}
        same = memo.same.get(env.prefix, ())
        if same:
            metadata["same_interpreter_as"] = list(same)
        group, _, name = env.id.partition("/")
        exe = env.executable or os.path.join(env.prefix, "bin", "python")
        # ipykernel installs its logos with its own python3 spec: frontends show them.
        logos = next((d for d in env.kernelspec_dirs if os.path.basename(d) == "python3"), None)
        resources: tuple[str, ...] = ()
        if logos is not None:
            from kernelhub.specs.resources import list_resources

            resources = list_resources(logos)
        return KernelType(
            id=env.id,
            provider=group,
            name=name,
            display_name=display_name(env),
            language="python",
            argv=(exe, "-m", "ipykernel_launcher", "-f", "{connection_file}"),
            env=memo.delta(env),
            resource_dir=logos,
            resources=resources,
            executable=env.executable if env.status == "ok" else None,
            interpreter=env.executable,
            metadata=metadata,
            status=status,
            diagnostics=tuple(diagnostics),
            origin=env.prefix,
        )
