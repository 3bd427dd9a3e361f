"""Which environment an interpreter belongs to; every kind of a big layout as kernel types."""

from __future__ import annotations

import os
from pathlib import Path

from kernelhub.envs import discover
from kernelhub.envs.owner import environment_of, interpreter_prefix
from kernelhub.providers.envs import EnvProvider
from kernelhub.specs import SpecRegistry
from tests.envs.layouts import build_layout, make_interpreter, make_venv


def test_a_venvs_interpreter_is_the_venv_not_its_target(tmp_path: Path) -> None:
    base = make_interpreter(tmp_path / "base", "3.12.3")
    venv = make_venv(tmp_path / "v", base, "3.12.3")
    assert interpreter_prefix(str(venv / "bin" / "python")) == os.path.realpath(venv)
    assert interpreter_prefix(str(venv / "bin" / "python3.12")) == os.path.realpath(venv)
    assert interpreter_prefix(str(base)) == os.path.realpath(tmp_path / "base")


def test_a_link_elsewhere_is_followed_to_its_installation(tmp_path: Path) -> None:
    base = make_interpreter(tmp_path / "pyenv" / "3.12.3", "3.12.3")
    links = tmp_path / "local" / "bin"
    links.mkdir(parents=True)
    (links / "python3").symlink_to(base)
    assert interpreter_prefix(str(links / "python3")) == os.path.realpath(base.parent.parent)


def test_environment_of(tmp_path: Path) -> None:
    layout = build_layout(tmp_path / "l", n=15)
    result = discover(cwd=str(layout.cwd), environ=layout.environ, system=layout.system)
    conda_base = result.get("conda/base")
    assert conda_base.executable is not None
    assert environment_of(result, conda_base.executable) is conda_base
    python3 = os.path.join(conda_base.prefix, "bin", "python3")
    assert environment_of(result, python3) is conda_base
    assert environment_of(result, str(tmp_path / "nowhere" / "bin" / "python")) is None


def test_every_kind_of_a_big_layout_becomes_a_kernel(tmp_path: Path) -> None:
    layout = build_layout(tmp_path / "l", n=60)
    provider = EnvProvider(
        environ=layout.environ,
        base=layout.environ,
        cwd=str(layout.cwd),
        system=layout.system,
        registry=SpecRegistry([]),
    )
    result = provider.discovery()
    types = {k.id: k for k in provider.find()}
    with_kernel = {env.id for env in result if env.has_ipykernel}
    assert with_kernel <= set(types)
    kinds = {env.kind for env in result if env.has_ipykernel}
    assert {"conda", "venv", "pyenv", "poetry", "pipenv", "hatch", "pixi"} <= kinds
    for kid in with_kernel:
        k = types[kid]
        assert k.id == f"{k.provider}/{k.name}"
        assert k.status == "ok", (kid, k.diagnostics)
        assert k.argv[0] == result.get(kid).executable
    r_kernels = [k for k in types.values() if k.language == "R"]
    assert r_kernels
    assert all(k.id.endswith("-ir") for k in r_kernels)
    hidden = {k.id for k in provider.find(include_hidden=True)}
    assert {env.id for env in result} <= hidden
