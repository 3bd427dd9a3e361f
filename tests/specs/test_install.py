"""Install and remove: destinations, names, replace, atomicity, --missing."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from kernelhub import paths
from kernelhub.errors import (
    InvalidNameError,
    InvalidSpecError,
    NoSuchKernelError,
    SpecError,
    SpecExistsError,
)
from kernelhub.specs import SpecRegistry, install, install_spec, remove_specs, stale_spec_names

from .conftest import good_spec, write_spec


def read(spec_dir: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(spec_dir, "kernel.json").read_text())
    return data


@pytest.fixture
def source(tmp_path: Path) -> Path:
    src = write_spec(tmp_path / "src", "MyKernel", good_spec(codemirror_mode="python", x=1))
    (src / "logo-64x64.png").write_bytes(b"\x89PNG")
    (src / "kernel.js").write_text("// js")
    return src


def test_install_from_directory_copies_everything(source: Path, jupyter_dirs: Any) -> None:
    path = install_spec(str(source))
    assert path == str(jupyter_dirs.user_kernels / "mykernel")
    assert sorted(os.listdir(path)) == ["kernel.js", "kernel.json", "logo-64x64.png"]
    assert read(path) == json.loads((source / "kernel.json").read_text())
    assert SpecRegistry().get("MyKernel").extra == {"x": 1}


def test_install_from_arguments(jupyter_dirs: Any) -> None:
    path = install_spec(
        name="tool",
        argv=["tool-kernel", "{connection_file}"],
        language="tool",
        env={"A": "1"},
        interrupt_mode="message",
    )
    assert read(path) == {
        "argv": ["tool-kernel", "{connection_file}"],
        "display_name": "tool",
        "language": "tool",
        "interrupt_mode": "message",
        "env": {"A": "1"},
    }


def test_arguments_override_a_directory_and_env_merges(source: Path) -> None:
    write_spec(source.parent, "envy", good_spec(env={"A": "1", "B": "1"}))
    path = install_spec(
        str(source.parent / "envy"), name="other", display_name="Other", env={"B": "2"}
    )
    data = read(path)
    assert (data["display_name"], data["env"]) == ("Other", {"A": "1", "B": "2"})
    assert Path(path).name == "other"


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        ({}, paths.user_kernel_dir),
        ({"user": True}, paths.user_kernel_dir),
        ({"sys_prefix": True}, paths.env_kernel_dir),
    ],
)
def test_destinations(
    source: Path,
    kwargs: dict[str, Any],
    where: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "prefix"))
    path = install_spec(str(source), **kwargs)
    assert os.path.dirname(path) == where()


def test_prefix_destination(source: Path, tmp_path: Path) -> None:
    path = install_spec(str(source), prefix=str(tmp_path / "env"))
    assert path == str(tmp_path / "env" / "share" / "jupyter" / "kernels" / "mykernel")


def test_two_destinations_are_refused(source: Path) -> None:
    with pytest.raises(SpecError, match="at most one"):
        install_spec(str(source), user=True, prefix="/tmp/x")


@pytest.mark.parametrize("name", ["my kernel", "café", "a/b", "../up"])
def test_invalid_names_are_refused(name: str, jupyter_dirs: Any) -> None:
    with pytest.raises(InvalidNameError):
        install_spec(name=name, argv=["x"], language="x")
    assert not jupyter_dirs.user_kernels.exists() or not os.listdir(jupyter_dirs.user_kernels)


def test_invalid_specs_are_refused_before_touching_disk(jupyter_dirs: Any) -> None:
    with pytest.raises(InvalidSpecError, match="field 'language'"):
        install_spec(name="k", argv=["x"])
    with pytest.raises(InvalidSpecError, match="field 'interrupt_mode'"):
        install_spec(name="k", argv=["x"], language="x", interrupt_mode="never")
    with pytest.raises(SpecError, match="source directory or argv"):
        install_spec(name="k")
    assert not jupyter_dirs.user_kernels.exists()


def test_invalid_source_is_refused(tmp_path: Path) -> None:
    write_spec(tmp_path, "broken", b"{nope")
    with pytest.raises(InvalidSpecError, match="not valid UTF-8 JSON"):
        install_spec(str(tmp_path / "broken"))
    write_spec(tmp_path, "wrong", {"argv": 3})
    with pytest.raises(InvalidSpecError, match="field 'argv'"):
        install_spec(str(tmp_path / "wrong"))


def test_existing_spec_needs_replace(source: Path) -> None:
    install_spec(str(source))
    with pytest.raises(SpecExistsError, match="already exists"):
        install_spec(str(source))
    path = install_spec(str(source), display_name="New", replace=True)
    assert read(path)["display_name"] == "New"
    assert sorted(os.listdir(os.path.dirname(path))) == ["mykernel"]  # no staging left


def test_existing_case_variant_counts(jupyter_dirs: Any) -> None:
    write_spec(jupyter_dirs.user_kernels, "Tool", good_spec())
    with pytest.raises(SpecExistsError):
        install_spec(name="tool", argv=["x"], language="x")
    path = install_spec(name="tool", argv=["x"], language="x", replace=True)
    assert path == str(jupyter_dirs.user_kernels / "Tool")
    assert read(path)["argv"] == ["x"]


def test_replace_without_exchange_falls_back_to_two_renames(
    source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_spec(str(source))
    monkeypatch.setattr(install, "_exchange", lambda a, b: False)
    path = install_spec(str(source), display_name="Two", replace=True)
    assert read(path)["display_name"] == "Two"
    assert os.listdir(os.path.dirname(path)) == ["mykernel"]


def test_a_crash_never_leaves_a_half_written_spec(
    source: Path, monkeypatch: pytest.MonkeyPatch, jupyter_dirs: Any
) -> None:
    install_spec(str(source), display_name="Old")

    def crash(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(install.os, "fsync", crash)
    with pytest.raises(SpecError, match="No space left"):
        install_spec(str(source), display_name="New", replace=True)
    monkeypatch.undo()
    assert SpecRegistry().get("mykernel").display_name == "Old"
    assert os.listdir(jupyter_dirs.user_kernels) == ["mykernel"]
    monkeypatch.setattr(install.os, "fsync", crash)
    with pytest.raises(SpecError):
        install_spec(name="fresh", argv=["x"], language="x")
    monkeypatch.undo()
    assert os.listdir(jupyter_dirs.user_kernels) == ["mykernel"]


def test_staging_directory_is_never_a_spec(source: Path, jupyter_dirs: Any) -> None:
    # A listing running mid-install (here: right when kernel.json is written) sees no staging.
    seen: list[list[str]] = []
    real = install.json.dump

    def spy(*args: Any, **kwargs: Any) -> None:
        real(*args, **kwargs)
        seen.append([e.name for e in SpecRegistry().entries(include_hidden=True)])

    install.json.dump = spy  # type: ignore[assignment]
    try:
        install_spec(str(source))
    finally:
        install.json.dump = real
    assert seen
    assert not any("staging" in n for n in seen[0])
    assert "mykernel" not in seen[0]


def test_remove_named_specs_only(jupyter_dirs: Any, kernels: Path) -> None:
    a = write_spec(jupyter_dirs.user_kernels, "a", good_spec())
    b = write_spec(jupyter_dirs.user_kernels, "b", good_spec())
    low = write_spec(kernels, "a", good_spec())
    registry = SpecRegistry([str(jupyter_dirs.user_kernels), str(kernels)])
    assert remove_specs(["A"], registry=registry) == [str(a)]
    assert not a.exists()
    assert b.exists()
    assert low.exists()
    assert os.listdir(jupyter_dirs.user_kernels) == ["b"]
    assert registry.entry("a").resource_dir == str(low)  # the shadowed one is now the winner


def test_remove_checks_every_name_first(jupyter_dirs: Any) -> None:
    a = write_spec(jupyter_dirs.user_kernels, "a", good_spec())
    with pytest.raises(NoSuchKernelError, match="'nope'"):
        remove_specs(["a", "nope"])
    assert a.exists()


def test_native_and_alias_are_not_removable(tmp_path: Path) -> None:
    registry = SpecRegistry([str(tmp_path)])
    with pytest.raises(SpecError, match="native kernel"):
        remove_specs(["python3"], registry=registry)
    with pytest.raises(NoSuchKernelError):
        remove_specs(["python"], registry=registry)


def test_remove_a_symlinked_spec_removes_the_link_only(jupyter_dirs: Any, tmp_path: Path) -> None:
    real = write_spec(tmp_path / "store", "k", good_spec())
    jupyter_dirs.user_kernels.mkdir(parents=True)
    (jupyter_dirs.user_kernels / "k").symlink_to(real)
    assert remove_specs(["k"]) == [str(jupyter_dirs.user_kernels / "k")]
    assert real.exists()
    assert not (jupyter_dirs.user_kernels / "k").exists()


def test_missing_only_removes_stale_specs(jupyter_dirs: Any) -> None:
    user = jupyter_dirs.user_kernels
    gone = write_spec(user, "gone", good_spec(argv=["/nonexistent/kernel"]))
    fine = write_spec(user, "fine", good_spec())
    assert stale_spec_names() == ["gone"]
    assert remove_specs(["gone", "fine"], missing_only=True) == [str(gone)]
    assert fine.exists()
    assert not gone.exists()
    assert stale_spec_names() == []
