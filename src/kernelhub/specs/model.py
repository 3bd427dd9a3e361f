"""The kernel.json record and its validation.

:func:`parse_spec` turns the decoded JSON of one ``kernel.json`` into a :class:`KernelSpec` or
raises :class:`~kernelhub.errors.InvalidSpecError` naming the file, the field and what was
expected. Unknown keys are kept in ``extra`` so that :meth:`KernelSpec.to_dict` gives back
everything the file held.

Strict in what we write, lenient in what we read. Reading (``strict=False``), only what
launching needs can make a spec invalid: ``argv`` must be a non-empty list of strings without
NUL characters (jupyter_client accepts ``[]`` and ``[1]``, which could never start). Every
other field that breaks the format (``display_name``, ``language``, ``env``, ``interrupt_mode``,
``metadata.*``, ``kernel_protocol_version``, ``codemirror_mode``, ``help_links``) is a warning,
and the value is read as a person would read it (``metadata``, free-form and read by others, is
kept as written); jupyter_client drops such a spec altogether, and ipykernel 7.3 writes
``"supported_encryption": "curve"``, which would hide the default ``python3`` kernel. Whatever
jupyter_client accepts is read as it reads it. Installing (``strict=True``, the default) refuses
every one of these problems.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from kernelhub.errors import InvalidNameError, InvalidSpecError

__all__ = ["InterruptMode", "KernelSpec", "Status", "check_name", "is_valid_name", "parse_spec"]

InterruptMode = Literal["signal", "message"]
# What became of a kernel type found on disk; kernel types of every provider carry one too.
Status = Literal["ok", "stale", "invalid", "shadowed"]

# The same rule as jupyter_client's _kernel_name_pat: ASCII only, no case restriction.
_NAME_RE = re.compile(r"[a-zA-Z0-9._\-]+")

# Keys with a field of their own; everything else goes to ``extra``.
_KNOWN = frozenset(
    {
        "argv",
        "display_name",
        "language",
        "interrupt_mode",
        "env",
        "metadata",
        "kernel_protocol_version",
        "codemirror_mode",
        "help_links",
    }
)

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def is_valid_name(name: str) -> bool:
    """Whether ``name`` follows the kernel name rule (ASCII letters, digits, ``-.``, ``_``)."""
    return _NAME_RE.fullmatch(name) is not None


def check_name(name: str) -> str:
    """Return ``name`` lower-cased, or raise :class:`InvalidNameError` if it breaks the rule."""
    if not is_valid_name(name):
        raise InvalidNameError(name)
    return name.lower()


@dataclass(frozen=True)
class KernelSpec:
    """One ``kernel.json``, validated.

    ``name`` is the directory name lower-cased; ``resource_dir`` the directory itself.
    ``env``, ``metadata`` and ``extra`` are read-only views: specs are cached and shared.
    ``kernel_protocol_version``, ``codemirror_mode`` and ``help_links`` are ``None`` when the
    file does not set them.
    """

    name: str
    resource_dir: str
    argv: tuple[str, ...]
    display_name: str = ""
    language: str = ""
    interrupt_mode: InterruptMode = "signal"
    env: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    metadata: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    kernel_protocol_version: str | None = None
    codemirror_mode: str | Mapping[str, Any] | None = None
    help_links: tuple[Mapping[str, str], ...] | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    warnings: tuple[str, ...] = ()
    """What a lenient reading found wrong, one line each (the field, the problem, how the
    value was read instead); empty for a spec that follows the format."""

    def to_dict(self) -> dict[str, Any]:
        """The kernel.json content: every field kept, unknown keys included (a deep copy)."""
        out: dict[str, Any] = {
            "argv": list(self.argv),
            "display_name": self.display_name,
            "language": self.language,
            "interrupt_mode": self.interrupt_mode,
            "env": dict(self.env),
            "metadata": copy.deepcopy(dict(self.metadata)),
        }
        if self.kernel_protocol_version is not None:
            out["kernel_protocol_version"] = self.kernel_protocol_version
        if self.codemirror_mode is not None:
            mode = self.codemirror_mode
            out["codemirror_mode"] = mode if isinstance(mode, str) else copy.deepcopy(dict(mode))
        if self.help_links is not None:
            out["help_links"] = [dict(link) for link in self.help_links]
        for key, value in self.extra.items():
            out[key] = copy.deepcopy(value)
        return out


def _kind(value: object) -> str:
    """The JSON name of a decoded value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


class _Reading:
    """How one kernel.json is read: strictly (the first problem raises) or leniently (each
    problem becomes a warning, and the value is read as a person would read it)."""

    def __init__(self, path: str, strict: bool) -> None:
        self.path = path
        self.strict = strict
        self.warnings: list[str] = []

    def problem(self, key: str, problem: str, reading: str) -> None:
        """A field that breaks the format: raise, or warn and say how it is read instead."""
        if self.strict:
            raise InvalidSpecError(self.path, key, problem)
        self.warnings.append(f"field {key!r}: {problem}; {reading}")


def _argv(path: str, value: object) -> tuple[str, ...]:
    # Always strict: without a usable argv nothing can be launched.
    expected = "expected a non-empty list of strings"
    if not isinstance(value, list):
        raise InvalidSpecError(path, "argv", f"{expected}, got {_kind(value)}")
    if not value:
        raise InvalidSpecError(path, "argv", f"{expected}, got an empty list")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise InvalidSpecError(path, "argv", f"{expected}, got {_kind(item)} at index {i}")
        if "\0" in item:
            raise InvalidSpecError(path, "argv", f"item {i} holds a NUL character")
    if not value[0]:
        raise InvalidSpecError(path, "argv", "argv[0] (the program) is an empty string")
    return tuple(value)


def _as_text(value: object) -> str | None:
    """A JSON scalar as a person reads it in a text field (``3`` is ``"3"``); else ``None``."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return None


def _text(r: _Reading, key: str, value: object, fallback: str) -> str:
    if isinstance(value, str):
        return value
    text = _as_text(value)
    if text is not None and not isinstance(value, bool):
        r.problem(key, f"expected a string, got {_kind(value)}", f"read as {text!r}")
        return text
    r.problem(key, f"expected a string, got {_kind(value)}", fallback)
    return ""


def _env(r: _Reading, value: object) -> Mapping[str, str]:
    if not isinstance(value, dict):
        r.problem("env", f"expected an object, got {_kind(value)}", "ignored")
        return _EMPTY
    env: dict[str, str] = {}
    for key, item in value.items():
        text = _as_text(item)
        if not key or "=" in key or "\0" in key:
            r.problem("env", f"{key!r} cannot be an environment variable name", "left out")
        elif text is None:
            r.problem("env", f"expected string values, got {_kind(item)} for {key!r}", "left out")
        elif "\0" in text:
            r.problem("env", f"the value of {key!r} holds a NUL character", "left out")
        else:
            if not isinstance(item, str):
                r.problem(
                    "env",
                    f"expected string values, got {_kind(item)} for {key!r}",
                    f"read as {text!r}",
                )
            env[key] = text
    return MappingProxyType(env)


def _metadata(r: _Reading, value: object) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        r.problem("metadata", f"expected an object, got {_kind(value)}", "ignored")
        return _EMPTY
    meta = dict(value)
    prov = meta.get("kernel_provisioner")
    if prov is not None:
        # Kept as written: kernelhub does not use provisioners, a tool that does may.
        key = "metadata.kernel_provisioner"
        if not isinstance(prov, dict):
            r.problem(key, f"expected an object, got {_kind(prov)}", "kept as written")
        elif not isinstance(prov.get("provisioner_name"), str):
            got = _kind(prov.get("provisioner_name")) if "provisioner_name" in prov else "nothing"
            r.problem(key, f"expected a string 'provisioner_name', got {got}", "kept as written")
        elif "config" in prov and not isinstance(prov["config"], dict):
            r.problem(
                key + ".config",
                f"expected an object, got {_kind(prov['config'])}",
                "kept as written",
            )
    key = "metadata.supported_encryption"
    enc = meta.get(key.partition(".")[2])
    if enc is not None and not (isinstance(enc, list) and all(isinstance(e, str) for e in enc)):
        # ipykernel 7.3 writes "curve": one scheme, as a string. Metadata belongs to whoever
        # reads it (frontends, provisioners; kernelhub uses none of it), so it is kept as
        # written, as jupyter_client and Jupyter Server's REST model keep it: only warned about.
        r.problem(key, f"expected a list of strings, got {_kind(enc)}", "kept as written")
    return MappingProxyType(meta)


def _interrupt_mode(r: _Reading, value: object) -> InterruptMode:
    # jupyter_client's CaselessStrEnum accepts any case and normalises it.
    lowered = value.lower() if isinstance(value, str) else None
    if lowered == "signal":
        return "signal"
    if lowered == "message":
        return "message"
    got = repr(value) if isinstance(value, str) else _kind(value)
    r.problem("interrupt_mode", f"expected 'signal' or 'message', got {got}", "read as 'signal'")
    return "signal"


def _protocol_version(r: _Reading, value: object) -> str | None:
    if isinstance(value, str):
        return value
    key, problem = "kernel_protocol_version", f"expected a string like '5.3', got {_kind(value)}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = json.dumps(value)
        r.problem(key, problem, f"read as {text!r}")
        return text
    r.problem(key, problem, "ignored")
    return None


def _codemirror_mode(r: _Reading, value: object) -> str | Mapping[str, Any] | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return MappingProxyType(dict(value))
    r.problem("codemirror_mode", f"expected a string or an object, got {_kind(value)}", "ignored")
    return None


def _help_links(r: _Reading, value: object) -> tuple[Mapping[str, str], ...] | None:
    expected = "expected a list of objects with string 'text' and 'url'"
    if not isinstance(value, list):
        r.problem("help_links", f"{expected}, got {_kind(value)}", "ignored")
        return None
    links: list[Mapping[str, str]] = []
    for i, link in enumerate(value):
        if not (
            isinstance(link, dict)
            and isinstance(link.get("text"), str)
            and isinstance(link.get("url"), str)
        ):
            r.problem("help_links", f"{expected}, item {i} is not one", "the item is left out")
            continue
        links.append(MappingProxyType(dict(link)))
    return tuple(links)


def parse_spec(
    data: object, *, path: str, name: str, resource_dir: str, strict: bool = True
) -> KernelSpec:
    """Validate decoded kernel.json content and build its :class:`KernelSpec`.

    ``path`` (the kernel.json file) is only used in messages. Strict (the default, for what
    kernelhub writes): :class:`InvalidSpecError` for the first field that breaks the format.
    Lenient (``strict=False``, for reading what others wrote): only what launching needs (a
    JSON object with a usable ``argv``) raises; every other problem is a warning in
    :attr:`KernelSpec.warnings` and the value is read as a person would read it (a display name
    of ``3`` is ``"3"``; ``metadata`` is kept as written, e.g. ipykernel 7.3's ``"curve"``).
    """
    if not isinstance(data, dict):
        raise InvalidSpecError(path, None, f"expected a JSON object, got {_kind(data)}")
    if "argv" not in data:
        raise InvalidSpecError(path, "argv", "missing; expected a non-empty list of strings")
    argv = _argv(path, data["argv"])
    r = _Reading(path, strict)
    display_name = _text(
        r, "display_name", data.get("display_name", ""), "the directory name is shown"
    )
    language = _text(r, "language", data.get("language", ""), "read as empty")
    mode = _interrupt_mode(r, data.get("interrupt_mode", "signal"))
    env = _env(r, data["env"]) if "env" in data else _EMPTY
    metadata = _metadata(r, data["metadata"]) if "metadata" in data else _EMPTY
    version = (
        _protocol_version(r, data["kernel_protocol_version"])
        if "kernel_protocol_version" in data
        else None
    )
    codemirror = _codemirror_mode(r, data["codemirror_mode"]) if "codemirror_mode" in data else None
    links = _help_links(r, data["help_links"]) if "help_links" in data else None
    extra = {k: v for k, v in data.items() if k not in _KNOWN}
    return KernelSpec(
        name=name,
        resource_dir=resource_dir,
        argv=argv,
        display_name=display_name,
        language=language,
        interrupt_mode=mode,
        env=env,
        metadata=metadata,
        kernel_protocol_version=version,
        codemirror_mode=codemirror,
        help_links=links,
        extra=MappingProxyType(extra) if extra else _EMPTY,
        warnings=tuple(r.warnings),
    )
