"""What frontends are offered: one entry per distinct runnable kernel, with display names that
tell them apart; every type still resolvable by name; ``all_kernel_types`` lists everything.

The world: the native ``python3`` and ``pyimport/kernel`` (this interpreter, twice), a conda
environment ``datasci`` and a venv ``kh`` (fake interpreters from :mod:`tests.envs.layouts`),
and registered kernelspecs: ``conda-datasci`` and ``khspec`` run those environments' Pythons
as their own kernels do, ``dsenv`` runs datasci's with a variable set, ``gone`` runs a program
that is not there.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kernelhub.envs import SystemRoots, clear_cache
from kernelhub.errors import NoSuchKernelError
from kernelhub.manager import RestartPolicy
from kernelhub.providers.base import KernelType
from kernelhub.providers.envs import EnvProvider
from kernelhub.providers.finder import KernelFinder
from kernelhub.providers.pyimport import PyImportProvider
from kernelhub.providers.spec import SpecProvider
from kernelhub.server.app import create_app
from kernelhub.server.config import load_config
from kernelhub.server.kernels.distinct import offer
from kernelhub.server.kernels.hub import KernelHub
from kernelhub.server.kernels.names import KernelNames, Listing
from kernelhub.specs import SpecEntry, SpecRegistry, install_spec, remove_specs
from tests.conftest import JupyterDirs
from tests.envs.layouts import make_conda_env, make_conda_root, make_interpreter, make_venv

from .conftest import Client, config_for, run_in_thread

TAIL = ["-m", "ipykernel_launcher", "-f", "{connection_file}"]
IPYKERNEL = {"ipykernel": "7.4.0"}
NATIVE = "Python 3 (ipykernel)"  # the display name of the native python3 and of pyimport


@dataclass
class World:
    kernels: Path  # the registered kernelspecs' directory
    datasci: Path
    kh: Path
    finder: KernelFinder

    def spec(self, name: str, argv: list[str], display: str, **extra: Any) -> Path:
        d = self.kernels / name
        d.mkdir(parents=True)
        spec = {"argv": argv, "display_name": display, "language": "python", **extra}
        (d / "kernel.json").write_text(json.dumps(spec))
        return d


@pytest.fixture
def world(jupyter_dirs: JupyterDirs, tmp_path: Path) -> Iterator[World]:
    clear_cache()
    home = jupyter_dirs.home
    usr = tmp_path / "usr"
    base_exe = make_interpreter(usr, "3.12.3")
    conda_root = make_conda_root(home / "miniforge3")
    datasci = make_conda_env(
        conda_root / "envs" / "datasci", "3.11.7", packages=IPYKERNEL, root=conda_root
    )
    (home / ".conda").mkdir()
    (home / ".conda" / "environments.txt").write_text(f"{conda_root}\n{datasci}\n")
    kh = make_venv(home / ".virtualenvs" / "kh", base_exe, "3.12.3", packages=IPYKERNEL)
    kernels = tmp_path / "prefix" / "share" / "jupyter" / "kernels"  # install_spec(prefix=...)
    kernels.mkdir(parents=True)
    registry = SpecRegistry([str(kernels)])
    envs = EnvProvider(
        environ={"HOME": str(home), "PATH": str(usr / "bin")},
        base={"HOME": str(home), "PATH": f"{usr / 'bin'}:/bin"},
        cwd=str(tmp_path),
        system=SystemRoots.none(),
        registry=registry,
    )
    finder = KernelFinder([SpecProvider(registry), PyImportProvider(), envs])
    w = World(kernels, datasci, kh, finder)
    py = str(datasci / "bin" / "python")
    w.spec("conda-datasci", [py, *TAIL], "Python 3.11 (conda: datasci)")
    w.spec("dsenv", [py, *TAIL], "Python 3.11 (conda: datasci)", env={"OMP_NUM_THREADS": "1"})
    w.spec("khspec", [str(kh / "bin" / "python3"), *TAIL], NATIVE)
    w.spec("gone", ["/nowhere/python3", *TAIL], "Gone")
    yield w
    clear_cache()


OFFERED = {
    "python3": NATIVE,
    "conda-datasci": "Python 3.11 (conda: datasci)",
    "dsenv": "Python 3.11 (conda: datasci) (dsenv)",  # the environment is in the name already
    "khspec": f"{NATIVE} (kh, venv)",
}
DUPLICATES = {
    "pyimport-kernel": "python3",
    "venv-kh": "khspec",
    "conda-datasci~2": "conda-datasci",  # the environment's own kernel; the spec has the name
}


def displays(listing: Listing) -> dict[str, str]:
    return {name: k.display_name for name, k in listing.by_name.items()}


def test_one_entry_per_runnable_kernel_with_telling_names(world: World) -> None:
    listing = KernelNames(world.finder, default="python3").listing_now()
    assert displays(listing) == OFFERED
    assert dict(listing.duplicate_of) == DUPLICATES
    # Hidden, not gone: every name and id still resolves, to the type itself.
    hidden = {
        "pyimport-kernel": "pyimport/kernel",
        "venv-kh": "venv/kh",
        "VENV/KH": "venv/kh",
        "conda-datasci~2": "conda/datasci",
        "gone": "spec/gone",
    }
    for name, kernel_id in hidden.items():
        assert KernelNames.resolve(listing, name).id == kernel_id
    assert KernelNames.resolve(listing, "gone").status == "stale"
    with pytest.raises(NoSuchKernelError, match="did you mean 'khspec'"):
        KernelNames.resolve(listing, "khspek")


def test_every_type_with_the_switch_and_the_same_names_for_the_offered(world: World) -> None:
    listing = KernelNames(world.finder, everything=True, default="python3").listing_now()
    names = displays(listing)
    assert set(names) == {*OFFERED, *DUPLICATES, "gone"}
    assert {n: names[n] for n in OFFERED} == OFFERED
    assert len({d.casefold() for d in names.values()}) == len(names)
    assert names["pyimport-kernel"] == f"{NATIVE} (pyimport-kernel)"
    assert names["venv-kh"] == "Python 3.12 (venv: kh)"  # its own, already unique
    assert listing.by_name["gone"].status == "stale"


def test_the_default_kernel_wins_among_its_duplicates(world: World) -> None:
    # python3 unless told otherwise, though other specs sort before it
    twin = world.spec("a-twin", [sys.executable, *TAIL], "Twin")
    assert KernelNames(world.finder).listing_now().duplicate_of["a-twin"] == "python3"
    shutil.rmtree(twin)
    listing = KernelNames(world.finder, default="pyimport/kernel").listing_now()
    assert "pyimport-kernel" in listing.by_name
    assert "python3" not in listing.by_name
    assert listing.duplicate_of["python3"] == "pyimport-kernel"
    assert listing.by_name["pyimport-kernel"].display_name == NATIVE


def test_a_kernelspec_is_seen_at_the_very_next_listing(world: World) -> None:
    names = KernelNames(world.finder, ttl=3600)  # only a kernelspec change may rescan
    first = names.listing_now()
    assert names.listing_now() is first
    added = world.spec("added", [sys.executable, *TAIL], "Added", env={"ADDED": "1"})
    assert "added" in names.listing_now().by_name
    shutil.rmtree(added)
    after = names.listing_now()
    assert "added" not in after.by_name
    assert after.generation == first.generation + 2


def settle(root: Path) -> None:
    """Date every file under ``root`` 10 s back, out of the racy window of the caches."""
    then = time.time() - 10
    for dirpath, dirnames, filenames in os.walk(root):
        for name in (*dirnames, *filenames):
            os.utime(os.path.join(dirpath, name), (then, then), follow_symlinks=False)
        os.utime(dirpath, (then, then))


def test_settled_kernel_directories_are_only_stat_ed_and_changes_still_show(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    settle(world.kernels)
    provider = world.finder.providers[0]
    assert isinstance(provider, SpecProvider)
    registry, taken = provider.registry, []
    entries = registry.entries

    def counted(include_hidden: bool = False) -> list[SpecEntry]:
        taken.append(include_hidden)
        return entries(include_hidden)

    monkeypatch.setattr(registry, "entries", counted)
    names = KernelNames(world.finder, ttl=3600)
    first = names.listing_now()
    names.listing_now()  # the directories' signature is now known and old enough
    taken.clear()
    for _ in range(3):
        assert names.listing_now() is first
    assert taken == []  # no spec was looked at: nothing in their directory changed
    added = world.spec("added", [sys.executable, *TAIL], "Added", env={"ADDED": "1"})
    assert "added" in names.listing_now().by_name
    settle(world.kernels)
    names.listing_now()
    shutil.rmtree(added)
    assert "added" not in names.listing_now().by_name
    # kernelhub's own install and remove (a staged directory, swapped in; renamed away).
    settle(world.kernels)
    names.listing_now()
    prefix = str(world.kernels.parents[2])
    install_spec(name="dsenv", argv=[sys.executable, *TAIL], language="python",
                 display_name="Replaced", env={"OMP_NUM_THREADS": "2"}, prefix=prefix,
                 replace=True)  # fmt: skip
    assert names.listing_now().by_name["dsenv"].display_name == "Replaced"
    settle(world.kernels)
    names.listing_now()
    remove_specs(["khspec"], registry=registry)
    listing = names.listing_now()
    assert "khspec" not in listing.resolvable
    assert listing.by_name["venv-kh"].display_name == "Python 3.12 (venv: kh)"  # no longer hidden


# -- the rules, on kernel types made up for them ----------------------------------------------


def kt(provider: str, name: str, **kw: Any) -> KernelType:
    kw.setdefault("argv", ("/py", *TAIL))
    kw.setdefault("executable", "/py")
    kw.setdefault("display_name", "Python")
    return KernelType(f"{provider}/{name}", provider, name, language="python", **kw)


def test_what_makes_two_types_the_same_kernel() -> None:
    named = [
        ("a", kt("spec", "a")),
        ("b", kt("spec", "b", argv=("/py", "-m", "ipykernel", "-f", "{connection_file}"))),
        ("c", kt("spec", "c", env={"X": "1"})),
        ("d", kt("spec", "d", interrupt_mode="message")),
        ("e", kt("spec", "e", argv=("/py", "-m", "other", "-f", "{connection_file}"))),
        ("f", kt("spec", "f", executable="/other")),
        ("g", kt("test", "g", executable=None)),  # nothing proves it is /py
        ("h", kt("test", "h", executable=None)),
        ("i", kt("test", "i", status="stale")),
        ("j", kt("pyimport", "kernel")),
        ("k", kt("test", "k")),
    ]
    chosen = offer(named)
    assert chosen.offered == ("a", "c", "d", "e", "f", "g", "h")
    assert dict(chosen.duplicate_of) == {"b": "a", "j": "a", "k": "a"}
    shown = [chosen.display_names[n] for n in chosen.offered]
    assert shown[0] == "Python"  # the first keeps its own
    assert shown[1:] == [f"Python ({n})" for n in chosen.offered[1:]]


def test_environment_kernels_come_before_pyimport_and_names_say_what_differs() -> None:
    env = {"id": "venv/kh", "kind": "venv", "name": "kh", "prefix": "/envs/kh"}
    named = [
        ("pyimport-kernel", kt("pyimport", "kernel", executable="/envs/kh/bin/python3")),
        (
            "venv-kh",
            kt(
                "venv",
                "kh",
                executable="/envs/kh/bin/python",
                env={"PATH": "/envs/kh/bin:/bin", "VIRTUAL_ENV": "/envs/kh"},
                metadata={"environment": env, "same_interpreter_as": ["spec/k"]},
            ),
        ),
        ("k", kt("spec", "k", executable="/envs/kh/bin/python3", env={"X": "1"})),
        ("other", kt("test", "other", display_name="Python (venv-kh)")),
    ]
    chosen = offer(named)
    assert dict(chosen.duplicate_of) == {"pyimport-kernel": "venv-kh"}  # k sets X: another
    assert chosen.display_names["k"] == "Python"  # the kernelspec keeps its own
    # k runs kh too: the environment would not tell them apart, the API name does.
    assert chosen.display_names["venv-kh"] == "Python (venv-kh)"
    # A third-party name that spells out a qualifier cannot make two display names equal.
    assert chosen.display_names["other"] == "Python (venv-kh) (other)"
    assert chosen.display_names["pyimport-kernel"] == "Python (pyimport-kernel)"
    # Another environment's kernel with the same name is told apart by its environment.
    env2 = {**env, "id": "venv/ds", "name": "ds", "prefix": "/envs/ds"}
    ds = kt("venv", "ds", executable="/envs/ds/bin/python", metadata={"environment": env2})
    assert offer([*named, ("venv-ds", ds)]).display_names["venv-ds"] == "Python (ds, venv)"


# -- a real server ---------------------------------------------------------------------------


@pytest.fixture
def serve(world: World) -> Iterator[Any]:
    stops: list[Any] = []

    def start(**changes: Any) -> Client:
        config = config_for(shutdown_kernels_on_exit=True, **changes)
        hub = KernelHub(config, world.finder)
        hub.restart_policy = RestartPolicy(max_restarts=0, heartbeat_interval=0)
        running = run_in_thread(create_app(config, hub=hub))
        stops.append(running)
        return Client(running.port)

    yield start
    for running in stops:
        running.stop()


def listed(client: Client) -> dict[str, str]:
    reply = client.get("/api/kernelspecs")
    assert reply.status == 200
    data = reply.json()
    assert data["default"] == "python3"
    return {n: m["spec"]["display_name"] for n, m in data["kernelspecs"].items()}


def test_server_lists_distinct_kernels_and_starts_hidden_ones_by_name(
    world: World, serve: Any
) -> None:
    client = serve()
    assert listed(client) == OFFERED
    one = client.get("/api/kernelspecs/pyimport-kernel")
    assert one.status == 200
    assert one.json()["spec"]["display_name"] == f"{NATIVE} (pyimport-kernel)"
    started = client.post("/api/kernels", {"name": "pyimport-kernel"})
    assert started.status == 201, started.body
    assert started.json()["name"] == "pyimport-kernel"
    session = client.post(
        "/api/sessions",
        {"path": "old.ipynb", "type": "notebook", "kernel": {"name": "pyimport-kernel"}},
    )
    assert session.status == 201, session.body
    assert session.json()["kernel"]["name"] == "pyimport-kernel"
    for model in client.get("/api/kernels").json():
        assert client.delete(f"/api/kernels/{model['id']}").status == 204
    # A kernelspec installed or removed shows at the very next request.
    added = world.spec("added", [sys.executable, *TAIL], "Added", env={"ADDED": "1"})
    assert listed(client)["added"] == "Added"
    shutil.rmtree(added)
    assert "added" not in listed(client)


def test_server_switch_lists_everything(serve: Any) -> None:
    names = listed(serve(all_kernel_types=True))
    assert set(names) == {*OFFERED, *DUPLICATES, "gone"}
    assert len(set(names.values())) == len(names)


def test_the_switch_from_the_command_line_environment_and_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kernelhub.server import cli

    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    options = cli._options(parser.parse_args(["serve", "--all-kernel-types"]))
    assert load_config(options, environ={}).all_kernel_types is True
    unset = cli._options(parser.parse_args(["serve"]))
    assert load_config(unset, environ={}).all_kernel_types is False
    monkeypatch.setenv("KERNELHUB_ALL_KERNEL_TYPES", "yes")
    assert load_config({}).all_kernel_types is True
    file = tmp_path / "kernelhub.toml"
    file.write_text("all_kernel_types = true\n")
    assert load_config({}, config_file=str(file), environ={}).all_kernel_types is True
