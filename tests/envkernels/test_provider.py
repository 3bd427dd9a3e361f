"""The environment provider: environments with ipykernel as launchable kernel types."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kernelhub.providers.base import Provider
from kernelhub.providers.envs import EnvProvider
from kernelhub.providers.finder import KernelFinder
from kernelhub.providers.spec import SpecProvider
from kernelhub.specs import SpecRegistry
from tests.envkernels.conftest import R_ARGV, World, write_spec
from tests.envs.layouts import make_kernelspec, write_dist

LAUNCH_TAIL = ("-m", "ipykernel_launcher", "-f", "{connection_file}")


def real(path: Path) -> str:
    return os.path.realpath(path)


def test_is_a_provider_registered_as_envs() -> None:
    assert isinstance(EnvProvider(), Provider)
    assert EnvProvider.id == "envs"
    ids = [getattr(p, "id", None) for p in KernelFinder.from_entrypoints().providers]
    assert "envs" in ids


KINDS_WITH_IPYKERNEL = [
    ("conda/datasci", "datasci", "conda", "3.11.7", "Python 3.11 (conda: datasci)"),
    ("venv/myproject", "myproject", "venv", "3.12.3", "Python 3.12 (venv: myproject)"),
    ("uv/uvproj", "uvproj", "uv", "3.12.3", "Python 3.12 (uv: uvproj)"),
    ("pyenv/3.12.4", "pyenv", "pyenv", "3.12.4", "Python 3.12 (pyenv: 3.12.4)"),
]


@pytest.mark.parametrize("case", KINDS_WITH_IPYKERNEL, ids=[c[0] for c in KINDS_WITH_IPYKERNEL])
def test_every_kind_with_ipykernel_is_a_launchable_type(
    world: World, case: tuple[str, str, str, str, str]
) -> None:
    kid, attr, kind, version, display = case
    k = world.types()[kid]
    prefix = real(getattr(world, attr))
    exe = os.path.join(prefix, "bin", "python")
    assert k.id == f"{k.provider}/{k.name}" == kid
    assert k.argv == (exe, *LAUNCH_TAIL)
    assert (k.interpreter, k.executable, k.language) == (exe, exe, "python")
    assert k.display_name == display
    assert (k.status, k.diagnostics, k.origin) == ("ok", (), prefix)
    env = k.metadata["environment"]
    assert env["kind"] == kind
    assert env["prefix"] == prefix
    assert env["ipykernel_version"] == "7.4.0"
    assert env["name"] == kid.split("/", 1)[1]
    assert env["python_version"] == version
    assert k.to_json()["id"] == kid  # JSON-serialisable as `kernelhub list --json` prints it


def test_environments_without_ipykernel_are_hidden_then_explained(world: World) -> None:
    assert "conda/plain" not in world.types()
    hidden = world.types(include_hidden=True)["conda/plain"]
    assert hidden.status == "invalid"
    (message,) = hidden.diagnostics
    assert "ipykernel is not installed" in message
    assert f"conda install -p {real(world.plain)} ipykernel" in message


def test_env_is_the_activation_delta(world: World) -> None:
    types = world.types()
    base = world.base()
    venv, conda = types["venv/myproject"].env, types["conda/datasci"].env
    assert venv["PATH"].split(os.pathsep)[0] == os.path.join(real(world.myproject), "bin")
    assert venv["PATH"].split(os.pathsep)[1:] == base["PATH"].split(os.pathsep)
    assert venv["VIRTUAL_ENV"] == real(world.myproject)
    assert "CONDA_PREFIX" not in venv
    assert conda["PATH"].split(os.pathsep)[0] == os.path.join(real(world.datasci), "bin")
    assert conda["CONDA_PREFIX"] == real(world.datasci)
    assert conda["CONDA_DEFAULT_ENV"] == "datasci"
    assert "VIRTUAL_ENV" not in conda
    for env in (venv, conda):
        assert "HOME" not in env  # unchanged: not part of the delta
        assert "LANG" not in env
        assert env["PYTHONHOME"] == ""  # removed by activation: empty reads as unset


def test_delta_laid_over_base_equals_activation(world: World) -> None:
    from kernelhub.envs import activation_env

    base = {**world.base(), "VIRTUAL_ENV": "/old/venv", "VIRTUAL_ENV_PROMPT": "old"}
    provider = world.provider(base=base)
    env = provider.discovery().get("conda/datasci")
    kernel = next(k for k in provider.find() if k.id == "conda/datasci")
    merged = {**base, **kernel.env}
    expected = activation_env(env, base)
    assert {k: v for k, v in merged.items() if v} == expected


def test_kernelspecs_inside_environments(world: World) -> None:
    types = world.types()
    ir = types["conda/datasci-ir"]
    prefix = real(world.datasci)
    assert ir.id == f"{ir.provider}/{ir.name}"
    assert ir.argv == (os.path.join(prefix, "bin", "R"), *R_ARGV[1:])
    assert ir.executable == os.path.join(prefix, "bin", "R")
    assert ir.language == "R"
    assert ir.display_name == "ir (conda: datasci)"
    assert ir.env["CONDA_PREFIX"] == prefix
    assert ir.resource_dir == os.path.join(prefix, "share", "jupyter", "kernels", "ir")
    assert ir.origin == os.path.join(ir.resource_dir, "kernel.json")
    assert ir.metadata["environment"]["id"] == "conda/datasci"
    # ipykernel's own python3 spec inside the env is the env's kernel again: hidden.
    assert "conda/datasci-python3" not in types
    assert types["conda/datasci"].resource_dir == os.path.dirname(ir.resource_dir) + "/python3"
    assert "kernel.json" in types["conda/datasci"].resources
    dup = world.types(include_hidden=True)["conda/datasci-python3"]
    assert dup.status == "shadowed"
    assert dup.diagnostics == ("the same kernel as conda/datasci",)
    assert dup.argv[0] == os.path.join(prefix, "bin", "python")


def test_python_argv0_of_inside_specs_is_the_envs_interpreter(world: World) -> None:
    make_kernelspec(
        world.datasci, "debugpy", ["python3", "-m", "other_kernel", "{connection_file}"]
    )
    make_kernelspec(world.plain, "mystery", ["no-such-program", "{connection_file}"])
    types = world.types()
    prefix = real(world.datasci)
    k = types["conda/datasci-debugpy"]
    assert k.argv[0] == k.executable == os.path.join(prefix, "bin", "python")
    # an env without ipykernel still exposes its specs; a missing program makes them stale
    stale = types["conda/plain-mystery"]
    assert stale.status == "stale"
    assert stale.argv[0] == "no-such-program"
    assert "not found" in stale.diagnostics[0]


def test_inside_spec_ids_never_take_an_environment_id(world: World) -> None:
    from tests.envs.layouts import make_conda_env

    make_conda_env(world.conda_root / "envs" / "datasci-ir", "3.11.7", root=world.conda_root)
    envs_txt = world.home / ".conda" / "environments.txt"
    envs_txt.write_text(envs_txt.read_text() + f"{world.conda_root / 'envs' / 'datasci-ir'}\n")
    types = world.types(include_hidden=True)
    assert types["conda/datasci-ir"].origin == real(world.conda_root / "envs" / "datasci-ir")
    assert types["conda/datasci--ir"].language == "R"


def test_unreadable_inside_spec_is_invalid_and_hidden(world: World) -> None:
    bad = make_kernelspec(world.datasci, "broken", ["x"])
    (bad / "kernel.json").write_text("{not json")
    assert "conda/datasci-broken" not in world.types()
    k = world.types(include_hidden=True)["conda/datasci-broken"]
    assert k.status == "invalid"
    assert "not valid JSON" in k.diagnostics[0]


def test_broken_environment_with_ipykernel_is_stale(world: World) -> None:
    k = world.types()["venv/dangling"]
    assert k.status == "stale"
    assert k.executable is None
    assert any("dangling symlink" in d for d in k.diagnostics)


def test_registered_spec_on_the_same_interpreter_is_marked(world: World) -> None:
    venv_py = world.myproject / "bin" / "python3"  # another name for the venv's interpreter
    write_spec(world.kernels, "myproj", [str(venv_py), *LAUNCH_TAIL])
    write_spec(world.kernels, "datasci", [str(world.datasci / "bin" / "python3.11"), *LAUNCH_TAIL])
    # The venv's interpreter is a symlink to the base: that is another environment.
    write_spec(world.kernels, "base", [str(world.usr / "bin" / "python3.12"), *LAUNCH_TAIL])
    types = world.types()
    assert types["venv/myproject"].metadata["same_interpreter_as"] == ["spec/myproj"]
    assert types["conda/datasci"].metadata["same_interpreter_as"] == ["spec/datasci"]
    assert "same_interpreter_as" not in types["uv/uvproj"].metadata
    assert "same_interpreter_as" not in types["pyenv/3.12.4"].metadata


def test_inside_spec_also_registered_is_shadowed_when_it_runs_the_same(world: World) -> None:
    r_exe = str(world.datasci / "bin" / "R")
    make_kernelspec(world.datasci, "ir-abs", [r_exe, *R_ARGV[1:]], "R")
    kernels = world.datasci / "share" / "jupyter" / "kernels"
    provider = world.provider(registry=SpecRegistry([str(kernels), str(world.kernels)]))
    types = {k.id: k for k in provider.find(include_hidden=True)}
    same = types["conda/datasci-ir-abs"]
    assert same.metadata["registered_as"] == "spec/ir-abs"
    assert same.status == "shadowed"  # spec/ir-abs runs the same R
    assert "also registered as spec/ir-abs" in same.diagnostics[0]
    # spec/ir looks "R" up on kernelhub's PATH, where there is none: ours is the one that works
    ours = types["conda/datasci-ir"]
    assert ours.metadata["registered_as"] == "spec/ir"
    if shutil.which("R") is None:
        assert ours.status == "ok"


def test_finder_lists_env_kernels_next_to_specs(world: World) -> None:
    write_spec(world.kernels, "myproj", [str(world.myproject / "bin" / "python"), *LAUNCH_TAIL])
    finder = KernelFinder([SpecProvider(SpecRegistry([str(world.kernels)])), world.provider()])
    ids = [k.id for k in finder.find_kernels()]
    assert {"spec/myproj", "venv/myproject", "conda/datasci", "conda/datasci-ir"} <= set(ids)
    assert finder.problems == []
    assert finder.get("conda/datasci").origin == real(world.datasci)
    assert finder.get("CONDA/DataSci").id == "conda/datasci"


def test_repeated_find_reuses_types_until_something_changes(world: World) -> None:
    world.settle()
    provider = world.provider()
    first = {k.id: k for k in provider.find()}
    again = {k.id: k for k in provider.find()}
    assert all(again[i] is first[i] for i in first)
    site = world.plain / "lib" / "python3.10" / "site-packages"
    write_dist(site, "ipykernel", "7.4.0")
    (world.plain / "conda-meta" / "ipykernel-7.4.0-pyh0_0.json").write_text(
        '{"name": "ipykernel", "version": "7.4.0", "build": "pyh0_0"}'
    )
    later = {k.id: k for k in provider.find()}
    assert later["conda/plain"].status == "ok"


def test_import_is_light() -> None:
    code = (
        "import sys, kernelhub.providers.envs;"
        "heavy = [m for m in ('kernelhub.envs', 'kernelhub.specs.registry') if m in sys.modules];"
        "print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.stdout.strip() == "[]", out.stderr


def test_list_shows_env_kernels(world: World) -> None:
    result = world.kh("list", "--json")
    assert result.returncode == 0, result.stderr
    by_id = {k["id"]: k for k in json.loads(result.stdout)}
    assert by_id["conda/datasci"]["provider"] == "conda"
    assert by_id["conda/datasci"]["metadata"]["environment"]["prefix"] == real(world.datasci)
    assert by_id["conda/datasci-ir"]["language"] == "R"


def test_inside_spec_ids_are_unique_among_themselves(world: World) -> None:
    from tests.envs.layouts import make_conda_env

    other = make_conda_env(world.conda_root / "envs" / "datasci-x", "3.11.7", root=world.conda_root)
    envs_txt = world.home / ".conda" / "environments.txt"
    envs_txt.write_text(envs_txt.read_text() + f"{other}\n")
    make_kernelspec(world.datasci, "x-y", R_ARGV, "R")  # conda/datasci-x-y
    make_kernelspec(other, "y", R_ARGV, "R")  # conda/datasci-x-y as well
    found = list(world.provider().find(include_hidden=True))
    ids = [k.id for k in found]
    assert len(ids) == len(set(ids))
    assert {"conda/datasci-x-y", "conda/datasci-x--y"} <= set(ids)
