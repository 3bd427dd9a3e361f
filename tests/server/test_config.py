"""ServerConfig: defaults, the three sources and their order, and clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kernelhub import environ
from kernelhub.server.config import (
    ConfigError,
    ServerConfig,
    default_config_file,
    load_config,
    with_token,
)


def test_defaults() -> None:
    config = load_config({}, environ={})
    assert config == ServerConfig()
    assert config.ip == "127.0.0.1"
    assert config.port == 8888
    assert config.token is None
    assert config.shutdown_kernels_on_exit is False
    assert config.cull_idle_timeout == 0
    assert dict(config.pools) == {}
    assert config.base_url == "/"


def test_command_line_beats_environment_beats_file(tmp_path: Path) -> None:
    file = tmp_path / "kernelhub.toml"
    file.write_text('port = 9001\nip = "0.0.0.0"\ntoken = "from-file"\ncull_busy = true\n')
    env = {"port": "9002", "token": "from-env"}
    config = load_config({"port": 9003, "ip": None}, config_file=str(file), environ=env)
    assert config.port == 9003  # command line
    assert config.token == "from-env"  # environment
    assert config.ip == "0.0.0.0"  # file
    assert config.cull_busy is True


def test_environment_variables_are_read_in_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERNELHUB_PORT", "9100")
    monkeypatch.setenv("KERNELHUB_SHUTDOWN_KERNELS_ON_EXIT", "yes")
    monkeypatch.setenv("KERNELHUB_POOLS", "spec/python3=2, venv/main=1")
    assert environ.server_settings()["port"] == "9100"
    config = load_config({})
    assert config.port == 9100
    assert config.shutdown_kernels_on_exit is True
    assert dict(config.pools) == {"spec/python3": 2, "venv/main": 1}


def test_the_default_file_is_in_the_jupyter_config_dir() -> None:
    path = default_config_file()
    assert path == os.path.join(os.environ["JUPYTER_CONFIG_DIR"], "kernelhub.toml")
    Path(path).write_text('[server]\nport = 9200\npools = {"spec/python3" = 1}\n')
    config = load_config({}, environ={})
    assert config.port == 9200
    assert dict(config.pools) == {"spec/python3": 1}


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"prot": 1}, "unknown setting 'prot'; did you mean 'port'?"),
        ({"port": "eighty"}, "port must be a number (int)"),
        ({"port": -1}, "port must be a number >= 0"),
        ({"shutdown_kernels_on_exit": "maybe"}, "must be true or false"),
        ({"pools": "spec/python3"}, "expected TYPE=COUNT"),
        ({"pools": "spec/python3=x"}, "must be an integer"),
        ({"token": 5}, "token must be a string"),
        ({"allowed_origins": 3}, "a list of origins"),
    ],
)
def test_bad_settings_name_the_key(settings: dict[str, object], words: str) -> None:
    with pytest.raises(ConfigError, match="command line") as caught:
        load_config(settings, environ={})
    assert words in str(caught.value)


def test_bad_environment_and_file_name_their_source(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"environment \(KERNELHUB_\*\): unknown setting 'tokn'"):
        load_config({}, environ={"tokn": "x"})
    broken = tmp_path / "broken.toml"
    broken.write_text("port = \n")
    with pytest.raises(ConfigError, match=r"broken\.toml: not valid TOML"):
        load_config({}, config_file=str(broken), environ={})
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("cull_idel_timeout = 5\n")
    with pytest.raises(ConfigError, match="did you mean 'cull_idle_timeout'"):
        load_config({}, config_file=str(unknown), environ={})
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_config({}, config_file=str(tmp_path / "missing.toml"), environ={})


def test_tokens_and_base_urls() -> None:
    made = with_token(ServerConfig())
    assert made.token
    assert len(made.token) >= 32
    assert with_token(ServerConfig()).token != made.token
    assert with_token(ServerConfig(token="")).token == ""
    assert ServerConfig(base_url="lab").base_url == "/lab/"
    assert ServerConfig(base_url="/lab/").base_url == "/lab/"
    assert ServerConfig(base_url="").base_url == "/"


def test_connection_limits_have_defaults_and_come_from_the_environment() -> None:
    config = load_config({}, environ={})
    assert (config.header_timeout, config.keep_alive_timeout) == (10.0, 5.0)
    assert config.max_unauthenticated == 128
    env = {"header_timeout": "2.5", "keep_alive_timeout": "1", "max_unauthenticated": "0"}
    config = load_config({}, environ=env)
    assert (config.header_timeout, config.keep_alive_timeout) == (2.5, 1.0)
    assert config.max_unauthenticated == 0
    with pytest.raises(ConfigError, match="max_unauthenticated must be a number"):
        load_config({}, environ={"max_unauthenticated": "many"})
