"""Which kernel types a frontend is offered: one per distinct runnable kernel, told apart.

The finder lists the same kernel several ways: the ``python3`` kernelspec, ``pyimport/kernel``
and the environment kernel of the very interpreter kernelhub runs in; a kernelspec registered
from an environment and that environment's own kernel. A launcher showing all of them shows
look-alikes that start the same process. So the listing offers, by default:

- only types whose status is ``ok`` (stale, invalid and shadowed ones cannot start);
- one type per *runnable kernel*: two types are the same when they run the same interpreter
  with equivalent arguments and variables, and the same interrupt mode. "The same interpreter"
  is the resolved ``executable``, with the environments' own word for which programs belong to
  them (:mod:`kernelhub.providers.envs` names, in ``same_interpreter_as``, the kernelspecs that
  run its Python; its kernel runs its ``executable``): every such program stands for the
  environment's prefix. An environment type's activation variables (its own kernel's ``env``)
  are the environment, not a difference: a kernelspec that runs the environment's interpreter
  directly runs that environment (its ``sys.prefix``). A type with no resolved ``executable``
  is never merged: nothing proves it is the same as another.

Of the types that are the same, the kernel type configured as the default wins, then the
kernelspec (its name is what notebooks store), then the environment's kernel, then
``pyimport``, then other providers, then the listing's own order. Every type stays
resolvable by its name: hiding is for the listing only.

Display names are made unique (case-insensitively) across every type, offered ones first in
that same order of preference, so that a name that is already unique is kept as it is and a
clash is settled the same way whether hidden types are listed or not: the later type gets the
name of its environment (``"Python 3 (ipykernel) (datasci, conda)"``) when the name's holder
runs another environment and the name does not say it already, else its API name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kernelhub.providers.base import KernelType

__all__ = ["Offer", "offer"]

_Key = tuple[str, tuple[str, ...], frozenset[tuple[str, str]], str]


@dataclass(frozen=True)
class Offer:
    """What a listing offers (see the module docstring).

    ``offered`` are API names in listing order; ``duplicate_of`` maps each hidden duplicate to
    the offered name that runs the same kernel; ``display_names`` gives every type's unique
    display name.
    """

    offered: tuple[str, ...]
    duplicate_of: Mapping[str, str]
    display_names: Mapping[str, str]


def _environment(kernel: KernelType) -> Mapping[str, Any] | None:
    # A kernelspec's metadata is whatever its kernel.json says: only providers' own records.
    if kernel.provider == "spec":
        return None
    env = kernel.metadata.get("environment")
    return env if isinstance(env, Mapping) else None


def _rank(kernel: KernelType) -> int:
    if kernel.provider == "spec":
        return 0
    if _environment(kernel) is not None:
        return 1
    return 2 if kernel.provider == "pyimport" else 3


class _Interpreters:
    """What the environment kernels say about which programs are whose interpreter."""

    def __init__(self, kernels: Sequence[KernelType]) -> None:
        by_id = {k.id: k for k in kernels}
        self.prefix_of: dict[str, str] = {}  # a program -> the environment prefix it runs
        self.environments: dict[str, Mapping[str, Any]] = {}  # prefix -> environment record
        self.activation: dict[str, Mapping[str, str]] = {}  # environment id -> its variables
        for kernel in kernels:
            env = _environment(kernel)
            prefix = env.get("prefix") if env is not None else None
            if env is None or not isinstance(prefix, str):
                continue
            self.environments.setdefault(prefix, env)
            if kernel.id != env.get("id"):
                continue  # a kernelspec inside the environment, not its own kernel
            self.activation[kernel.id] = kernel.env
            if kernel.executable:
                self.prefix_of.setdefault(kernel.executable, prefix)
            same = kernel.metadata.get("same_interpreter_as")
            for spec_id in same if isinstance(same, list) else ():
                spec = by_id.get(str(spec_id))
                if spec is not None and spec.executable:
                    self.prefix_of.setdefault(spec.executable, prefix)

    def key(self, kernel: KernelType) -> _Key | None:
        """What makes ``kernel`` the kernel it is; ``None``: it cannot be compared."""
        if kernel.status != "ok" or not kernel.executable or not kernel.argv:
            return None
        program = self.prefix_of.get(kernel.executable, kernel.executable)
        extra: Mapping[str, str] = kernel.env
        env = _environment(kernel)
        if env is not None:
            activation = self.activation.get(str(env.get("id")), {})
            extra = {k: v for k, v in kernel.env.items() if activation.get(k) != v}
        tail = tuple(
            a.replace("{resource_dir}", kernel.resource_dir or "") for a in kernel.argv[1:]
        )
        if tail[:2] == ("-m", "ipykernel"):  # ipykernel's __main__ is its launcher
            tail = ("-m", "ipykernel_launcher", *tail[2:])
        return program, tail, frozenset(extra.items()), kernel.interrupt_mode

    def environment(self, kernel: KernelType) -> Mapping[str, Any] | None:
        """The environment ``kernel`` runs in, when that is known."""
        env = _environment(kernel)
        if env is None and kernel.executable:
            prefix = self.prefix_of.get(kernel.executable)
            env = self.environments.get(prefix) if prefix is not None else None
        return env


def _display_names(
    claims: list[tuple[str, KernelType]], interpreters: _Interpreters
) -> dict[str, str]:
    # display name (casefolded) -> the environment prefix of the type that has it
    taken: dict[str, object] = {}
    out: dict[str, str] = {}
    for name, kernel in claims:
        base = kernel.display_name or name
        env = interpreters.environment(kernel)
        prefix = env.get("prefix") if env is not None else None
        candidates = [base]
        # The environment tells two types apart only if the name's holder runs another one.
        if (
            env is not None
            and env.get("name")
            and str(env["name"]).lower() not in base.lower()
            and taken.get(base.casefold(), prefix) != prefix
        ):
            candidates.append(f"{base} ({env['name']}, {env.get('kind') or 'environment'})")
        candidates.append(f"{base} ({name})")
        chosen = next((c for c in candidates if c.casefold() not in taken), None)
        n = 2
        while chosen is None:  # only if other display names spell exactly these out
            candidate = f"{base} ({name}, {n})"
            chosen = candidate if candidate.casefold() not in taken else None
            n += 1
        taken[chosen.casefold()] = prefix
        out[name] = chosen
    return out


def offer(named: Sequence[tuple[str, KernelType]], preferred: str | None = None) -> Offer:
    """What to offer of ``named`` (``(API name, type)`` in listing order); the type named
    ``preferred`` (the default kernel) wins among the types that are the same kernel."""
    kernels = [k for _, k in named]
    interpreters = _Interpreters(kernels)
    position = {name: i for i, (name, _) in enumerate(named)}

    def preference(item: tuple[str, KernelType]) -> tuple[bool, int, int]:
        return item[0] != preferred, _rank(item[1]), position[item[0]]

    ordered = sorted(named, key=preference)
    first: dict[_Key, str] = {}
    duplicate_of: dict[str, str] = {}
    for name, kernel in ordered:
        key = interpreters.key(kernel)
        if key is not None:
            winner = first.setdefault(key, name)
            if winner != name:
                duplicate_of[name] = winner
    offered = tuple(name for name, k in named if k.status == "ok" and name not in duplicate_of)
    shown = set(offered)
    claims = [item for item in ordered if item[0] in shown]
    claims += [item for item in ordered if item[0] not in shown]
    return Offer(offered, duplicate_of, _display_names(claims, interpreters))
