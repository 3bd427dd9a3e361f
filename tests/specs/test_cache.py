"""The registry's caches: repeated listings read nothing unchanged and see every change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kernelhub.specs import SpecRegistry

from .conftest import age, good_spec, write_spec


def _spy_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from kernelhub.specs import scan

    reads: list[str] = []
    real = scan.read_spec

    def spy(kernel_file: str, *args: Any) -> Any:
        reads.append(kernel_file)
        return real(kernel_file, *args)

    monkeypatch.setattr(scan, "read_spec", spy)
    return reads


def test_repeated_listing_reads_no_unchanged_file(
    registry: SpecRegistry, kernels: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dirs = [write_spec(kernels, f"k{i}", good_spec()) for i in range(20)]
    age(*(d / "kernel.json" for d in dirs), *dirs, kernels)
    reads = _spy_reads(monkeypatch)
    first = registry.entries()
    assert len(reads) == 20
    again = SpecRegistry([str(kernels)]).entries()  # the cache is shared between registries
    assert len(reads) == 20
    assert again == first
    assert all(a is b for a, b in zip(again, first, strict=True))


def test_recently_written_files_are_reread(
    registry: SpecRegistry, kernels: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file as new as the clock tick could change again unseen: it is never trusted.
    write_spec(kernels, "k", good_spec())
    reads = _spy_reads(monkeypatch)
    registry.entries()
    registry.entries()
    assert len(reads) == 2


def test_modified_kernel_json_is_seen(registry: SpecRegistry, kernels: Path) -> None:
    spec_dir = write_spec(kernels, "k", good_spec(display_name="One"))
    age(spec_dir / "kernel.json", spec_dir, kernels)
    assert registry.get("k").display_name == "One"
    (spec_dir / "kernel.json").write_text(json.dumps(good_spec(display_name="Two")))
    assert registry.get("k").display_name == "Two"
    # Same size, mtime set back to the old value: ctime still gives it away.
    (spec_dir / "kernel.json").write_text(json.dumps(good_spec(display_name="Six")))
    age(spec_dir / "kernel.json")
    assert registry.get("k").display_name == "Six"


def test_added_and_removed_spec_dirs_are_seen(registry: SpecRegistry, kernels: Path) -> None:
    write_spec(kernels, "a", good_spec())
    age(kernels / "a" / "kernel.json", kernels / "a", kernels)
    assert [e.name for e in registry.entries()] == ["a", "python3"]
    write_spec(kernels, "b", good_spec())
    assert [e.name for e in registry.entries()] == ["a", "b", "python3"]
    (kernels / "a" / "kernel.json").unlink()
    (kernels / "a").rmdir()
    assert [e.name for e in registry.entries()] == ["b", "python3"]


def test_executable_appearing_flips_stale_to_ok(
    registry: SpecRegistry, kernels: Path, tmp_path: Path
) -> None:
    program = tmp_path / "kernel-bin"
    spec_dir = write_spec(kernels, "k", good_spec(argv=[str(program)]))
    age(spec_dir / "kernel.json", spec_dir, kernels)
    assert registry.entry("k").status == "stale"
    program.write_text("")
    assert registry.entry("k").status == "ok"


def test_default_dirs_follow_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = SpecRegistry()
    write_spec(tmp_path / "one" / "kernels", "k", good_spec(display_name="One"))
    write_spec(tmp_path / "two" / "kernels", "k", good_spec(display_name="Two"))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "one"))
    assert registry.get("k").display_name == "One"
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "two"))
    assert registry.get("k").display_name == "Two"
    assert registry.dirs()[0] == str(tmp_path / "two" / "kernels")


def test_spec_provider_reuses_unchanged_types_and_sees_new_resources(
    registry: SpecRegistry, kernels: Path
) -> None:
    from kernelhub.providers import SpecProvider

    spec_dir = write_spec(kernels, "k", good_spec())
    age(spec_dir / "kernel.json", spec_dir, kernels)
    provider = SpecProvider(registry)
    first = {k.id: k for k in provider.find()}
    again = {k.id: k for k in provider.find()}
    assert again["spec/k"] is first["spec/k"]
    (spec_dir / "logo-svg.svg").write_text("<svg/>")
    assert "logo-svg.svg" in {k.id: k for k in provider.find()}["spec/k"].resources
