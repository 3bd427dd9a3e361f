"""The kernel.json record and its validation.

:func:`parse_spec` turns the decoded JSON of one ``kernel.json`` into a :class:`KernelSpec` or
raises :class:`~kernelhub.errors.InvalidSpecError` naming the file, the field and what was
expected. Unknown keys are kept in ``extra`` so that :meth:`KernelSpec.to_dict` gives back
everything the file held.

kernelhub is stricter than jupyter_client on purpose where a looser spec could never launch:
``argv`` must be a non-empty list of strings (jupyter_client accepts ``[]`` and ``[1]``) and
``env`` values must be strings (``Popen`` rejects anything else). Optional fields that
jupyter_client ignores (``codemirror_mode``, ``help_links``) are checked for their documented
shape so that frontends can rely on it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from kernelhub.errors import InvalidNameError, InvalidSpecError

__all__ = ["KernelSpec", "check_name", "is_valid_name", "parse_spec"]

InterruptMode = Literal["signal", "message"]

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


def _argv(path: str, value: object) -> tuple[str, ...]:
    expected = "expected a non-empty list of strings"
    if not isinstance(value, list):
        raise InvalidSpecError(path, "argv", f"{expected}, got {_kind(value)}")
    if not value:
        raise InvalidSpecError(path, "argv", f"{expected}, got an empty list")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise InvalidSpecError(path, "argv", f"{expected}, got {_kind(item)} at index {i}")
    if not value[0]:
        raise InvalidSpecError(path, "argv", "argv[0] (the program) is an empty string")
    return tuple(value)


def _string(path: str, key: str, value: object, what: str = "a string") -> str:
    if not isinstance(value, str):
        raise InvalidSpecError(path, key, f"expected {what}, got {_kind(value)}")
    return value


def _object(path: str, key: str, value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidSpecError(path, key, f"expected an object, got {_kind(value)}")
    return value


def _env(path: str, value: object) -> Mapping[str, str]:
    env = _object(path, "env", value)
    for key, item in env.items():
        if not isinstance(item, str):
            raise InvalidSpecError(
                path, "env", f"expected an object of string values, got {_kind(item)} for {key!r}"
            )
    return MappingProxyType(dict(env))


def _metadata(path: str, value: object) -> Mapping[str, Any]:
    meta = _object(path, "metadata", value)
    prov = meta.get("kernel_provisioner")
    if prov is not None:
        field_name = "metadata.kernel_provisioner"
        prov = _object(path, field_name, prov)
        if not isinstance(prov.get("provisioner_name"), str):
            got = _kind(prov.get("provisioner_name")) if "provisioner_name" in prov else "nothing"
            raise InvalidSpecError(
                path, field_name, f"expected a string 'provisioner_name', got {got}"
            )
        if "config" in prov:
            _object(path, field_name + ".config", prov["config"])
    enc = meta.get("supported_encryption")
    if enc is not None and (not isinstance(enc, list) or not all(isinstance(e, str) for e in enc)):
        raise InvalidSpecError(
            path, "metadata.supported_encryption", f"expected a list of strings, got {_kind(enc)}"
        )
    return MappingProxyType(dict(meta))


def _interrupt_mode(path: str, value: object) -> InterruptMode:
    text = _string(path, "interrupt_mode", value, "'signal' or 'message'")
    # jupyter_client's CaselessStrEnum accepts any case and normalises it.
    lowered = text.lower()
    if lowered == "signal":
        return "signal"
    if lowered == "message":
        return "message"
    raise InvalidSpecError(path, "interrupt_mode", f"expected 'signal' or 'message', got {text!r}")


def _codemirror_mode(path: str, value: object) -> str | Mapping[str, Any]:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return MappingProxyType(dict(value))
    raise InvalidSpecError(
        path, "codemirror_mode", f"expected a string or an object, got {_kind(value)}"
    )


def _help_links(path: str, value: object) -> tuple[Mapping[str, str], ...]:
    expected = "expected a list of objects with string 'text' and 'url'"
    if not isinstance(value, list):
        raise InvalidSpecError(path, "help_links", f"{expected}, got {_kind(value)}")
    links: list[Mapping[str, str]] = []
    for i, link in enumerate(value):
        if not (
            isinstance(link, dict)
            and isinstance(link.get("text"), str)
            and isinstance(link.get("url"), str)
        ):
            raise InvalidSpecError(path, "help_links", f"{expected}, item {i} is not one")
        links.append(MappingProxyType(dict(link)))
    return tuple(links)


def parse_spec(data: object, *, path: str, name: str, resource_dir: str) -> KernelSpec:
    """Validate decoded kernel.json content and build its :class:`KernelSpec`.

    ``path`` (the kernel.json file) is only used in error messages. Raises
    :class:`InvalidSpecError` for the first field that breaks the format.
    """
    if not isinstance(data, dict):
        raise InvalidSpecError(path, None, f"expected a JSON object, got {_kind(data)}")
    if "argv" not in data:
        raise InvalidSpecError(path, "argv", "missing; expected a non-empty list of strings")
    argv = _argv(path, data["argv"])
    display_name = _string(path, "display_name", data.get("display_name", ""))
    language = _string(path, "language", data.get("language", ""))
    mode = _interrupt_mode(path, data.get("interrupt_mode", "signal"))
    env = _env(path, data["env"]) if "env" in data else _EMPTY
    metadata = _metadata(path, data["metadata"]) if "metadata" in data else _EMPTY
    version: str | None = None
    if "kernel_protocol_version" in data:
        version = _string(
            path, "kernel_protocol_version", data["kernel_protocol_version"], "a string like '5.3'"
        )
    codemirror = (
        _codemirror_mode(path, data["codemirror_mode"]) if "codemirror_mode" in data else None
    )
    links = _help_links(path, data["help_links"]) if "help_links" in data else None
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
    )
