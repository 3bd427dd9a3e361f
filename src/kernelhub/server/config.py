"""The server's settings: one frozen :class:`ServerConfig`, and how it is loaded.

Highest first: command-line options, ``KERNELHUB_<FIELD>`` environment variables (read in
:func:`kernelhub.environ.server_settings`), a TOML file (``--config PATH``, else
``<jupyter config dir>/kernelhub.toml`` when it exists), the defaults. Every source is checked
the same way: unknown keys are errors with close-match suggestions, values are converted to
the field's type or rejected with the key, the source and what was expected.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from kernelhub.errors import ConfigError, close_matches

__all__ = ["ConfigError", "ServerConfig", "default_config_file", "load_config", "with_token"]


@dataclass(frozen=True)
class ServerConfig:
    """Every setting of ``kernelhub serve``.

    ``token``: ``None`` means a random one is made at start (:func:`with_token`); ``""``
    disables authentication. ``allow_origin`` is the CORS ``Access-Control-Allow-Origin`` value
    (``"*"`` allowed); ``allowed_origins`` are the extra origins WebSocket upgrades may come
    from (the server's own host is always allowed). ``buffer_bytes`` bounds the output kept
    per kernel while no client is connected. ``cull_idle_timeout`` 0 disables culling.
    ``pools`` maps kernel type ids (``spec/python3``) to the number of warm kernels.
    ``state_dir`` ``None`` means the Jupyter runtime dir. ``root_dir`` ``None`` means the
    current directory: kernel ``path`` values are relative to it and may not leave it.
    ``header_timeout`` (s) closes a connection whose request headers are not in by then (a
    socket that sends nothing, or half a header); ``keep_alive_timeout`` (s) closes one idle
    between requests; at most ``max_unauthenticated`` connections that have not presented the
    token are kept open, the oldest closed first (0: no cap; see
    :mod:`kernelhub.server.http.connlimits`).
    ``all_kernel_types`` lists every kernel type in ``/api/kernelspecs``, duplicates and stale
    types included; by default only one ``ok`` type per distinct runnable kernel is listed (see
    :mod:`kernelhub.server.kernels.distinct`; hidden types still start when asked for by name).
    """

    ip: str = "127.0.0.1"
    port: int = 8888
    token: str | None = None
    allow_origin: str | None = None
    allowed_origins: tuple[str, ...] = ()
    base_url: str = "/"
    root_dir: str | None = None
    shutdown_kernels_on_exit: bool = False
    buffer_bytes: int = 2 * 1024 * 1024
    cull_idle_timeout: float = 0.0
    cull_interval: float = 60.0
    cull_busy: bool = False
    cull_connected: bool = False
    pools: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    state_dir: str | None = None
    default_kernel_name: str = "python3"
    log_level: str = "INFO"
    max_body_bytes: int = 10 * 1024 * 1024
    header_timeout: float = 10.0
    keep_alive_timeout: float = 5.0
    max_unauthenticated: int = 128
    all_kernel_types: bool = False

    def __post_init__(self) -> None:
        base = "/" + self.base_url.strip("/") + "/" if self.base_url.strip("/") else "/"
        object.__setattr__(self, "base_url", base)
        object.__setattr__(self, "pools", MappingProxyType(dict(self.pools)))
        object.__setattr__(self, "allowed_origins", tuple(self.allowed_origins))

    @property
    def root(self) -> str:
        """The absolute root directory for kernel working directories."""
        return os.path.realpath(self.root_dir or os.getcwd())


FIELDS: dict[str, dataclasses.Field[Any]] = {f.name: f for f in dataclasses.fields(ServerConfig)}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _parse_pools(value: Any, where: str) -> dict[str, int]:
    """``{"spec/python3": 2}`` or ``"spec/python3=2,venv/main=1"`` (or a list of such)."""
    if isinstance(value, Mapping):
        items = list(value.items())
    else:
        parts = value.split(",") if isinstance(value, str) else list(value)
        items = []
        for part in (str(p).strip() for p in parts):
            if not part:
                continue
            name, sep, count = part.rpartition("=")
            if not sep or not name:
                raise ConfigError(f"{where}: expected TYPE=COUNT (spec/python3=2), got {part!r}")
            items.append((name.strip(), count.strip()))
    pools: dict[str, int] = {}
    for name, count in items:
        try:
            pools[str(name)] = number = int(count)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: pool size of {name!r} must be an integer") from None
        if number < 0:
            raise ConfigError(f"{where}: pool size of {name!r} must be >= 0")
    return pools


def _convert(key: str, value: Any, where: str) -> Any:
    """``value`` as the type of field ``key``; strings (environment, CLI) are parsed."""
    kind = str(FIELDS[key].type)
    bad = f"{where}: {key} must be {{}}, got {value!r}"
    if key == "pools":
        return _parse_pools(value, where)
    if key == "allowed_origins":
        if isinstance(value, str):
            return tuple(o.strip() for o in value.split(",") if o.strip())
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise ConfigError(bad.format("a list of origins"))
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise ConfigError(bad.format("true or false"))
    if kind in ("int", "float"):
        convert = int if kind == "int" else float
        if isinstance(value, bool):
            raise ConfigError(bad.format(f"a number ({kind})"))
        try:
            number = convert(value)
        except (TypeError, ValueError):
            raise ConfigError(bad.format(f"a number ({kind})")) from None
        if number < 0:
            raise ConfigError(bad.format("a number >= 0"))
        return number
    if value is None and "None" in kind:
        return None
    if not isinstance(value, str):
        raise ConfigError(bad.format("a string"))
    return value


def _check(settings: Mapping[str, Any], where: str) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for raw_key, value in settings.items():
        key = raw_key.replace("-", "_").lower()
        if key not in FIELDS:
            hint = close_matches(key, FIELDS)
            message = f"{where}: unknown setting {raw_key!r}"
            if hint:
                message += "; did you mean " + " or ".join(repr(h) for h in hint) + "?"
            raise ConfigError(message)
        checked[key] = _convert(key, value, where)
    return checked


def default_config_file() -> str:
    """``<jupyter config dir>/kernelhub.toml`` (it need not exist)."""
    from jupyter_core.paths import jupyter_config_dir

    return os.path.join(jupyter_config_dir(), "kernelhub.toml")


def _read_toml(path: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10 only
        try:
            import tomli as tomllib  # type: ignore[import-not-found, no-redef, unused-ignore]
        except ImportError:
            raise ConfigError(f"{path}: reading TOML needs Python 3.11 or tomli") from None
    try:
        with open(path, "rb") as file:
            data: dict[str, Any] = tomllib.load(file)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    # Both a flat file and a [server] table are accepted.
    server = data.pop("server", None)
    if isinstance(server, dict):
        data = {**data, **server}
    return data


def load_config(
    cli: Mapping[str, Any] | None = None,
    *,
    config_file: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> ServerConfig:
    """The config from ``cli`` options (``None`` values mean "not given"), the environment
    (``KERNELHUB_*``; ``environ`` defaults to :func:`kernelhub.environ.server_settings`) and
    a TOML file (``config_file``, else the default one if it exists)."""
    from kernelhub import environ as env_module

    settings: dict[str, Any] = {}
    path = config_file or default_config_file()
    if config_file is not None or os.path.isfile(path):
        settings.update(_check(_read_toml(path), path))
    variables = env_module.server_settings() if environ is None else dict(environ)
    settings.update(_check(variables, "environment (KERNELHUB_*)"))
    given = {k: v for k, v in (cli or {}).items() if v is not None}
    settings.update(_check(given, "command line"))
    return ServerConfig(**settings)


def with_token(config: ServerConfig) -> ServerConfig:
    """``config`` with a random token if it has none (``""`` stays: auth disabled)."""
    if config.token is not None:
        return config
    return dataclasses.replace(config, token=secrets.token_hex(24))
