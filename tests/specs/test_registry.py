"""The registry: search order, shadowing, case, status, the native kernel, resources, caching."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from kernelhub.errors import InvalidSpecError, NoSuchKernelError, SpecError
from kernelhub.specs import SpecRegistry, clear_caches, native_spec
from kernelhub.specs.native import ipykernel_resources

from .conftest import good_spec, write_spec


def names(registry: SpecRegistry, include_hidden: bool = False) -> list[tuple[str, str]]:
    return [(e.name, e.status) for e in registry.entries(include_hidden=include_hidden)]


def test_lists_specs_sorted_with_native(registry: SpecRegistry, kernels: Path) -> None:
    write_spec(kernels, "zeta", good_spec())
    write_spec(kernels, "alpha", good_spec())
    assert names(registry) == [("alpha", "ok"), ("python3", "ok"), ("zeta", "ok")]


def test_first_directory_wins_and_the_rest_are_shadowed(tmp_path: Path) -> None:
    high, low = tmp_path / "high", tmp_path / "low"
    write_spec(high, "k", good_spec(display_name="High"))
    write_spec(low, "K", good_spec(display_name="Low"))
    registry = SpecRegistry([str(high), str(low)])
    assert registry.get("k").display_name == "High"
    hidden = [e for e in registry.entries(include_hidden=True) if e.name == "k"]
    assert [(e.status, e.resource_dir) for e in hidden] == [
        ("ok", str(high / "k")),
        ("shadowed", str(low / "K")),
    ]
    assert hidden[1].shadowed_by == str(high / "k")
    assert hidden[1].spec is not None
    assert hidden[1].spec.display_name == "Low"
    assert hidden[1].diagnostics[0] == f"shadowed by {high / 'k'}"
    assert [e.name for e in registry.entries()].count("k") == 1


def test_names_are_case_insensitive(registry: SpecRegistry, kernels: Path) -> None:
    write_spec(kernels, "MyKernel", good_spec())
    entry = registry.entry("MYKERNEL")
    assert entry.name == "mykernel"
    assert entry.resource_dir == str(kernels / "MyKernel")
    assert registry.get("mykernel").name == "mykernel"


def test_case_variants_in_one_directory_are_deterministic(tmp_path: Path) -> None:
    write_spec(tmp_path, "Dup", good_spec(display_name="upper"))
    write_spec(tmp_path, "dup", good_spec(display_name="lower"))
    registry = SpecRegistry([str(tmp_path)])
    statuses = [(e.resource_dir, e.status) for e in registry.entries(True) if e.name == "dup"]
    assert statuses == [(str(tmp_path / "Dup"), "ok"), (str(tmp_path / "dup"), "shadowed")]


def test_a_directory_without_kernel_json_does_not_claim_a_name(tmp_path: Path) -> None:
    high, low = tmp_path / "high", tmp_path / "low"
    (high / "k").mkdir(parents=True)
    write_spec(low, "k", good_spec())
    registry = SpecRegistry([str(high), str(low)])
    assert registry.entry("k").resource_dir == str(low / "k")


def test_invalid_winner_hides_valid_spec_like_jupyter_client(tmp_path: Path) -> None:
    high, low = tmp_path / "high", tmp_path / "low"
    write_spec(high, "k", b"{broken")
    write_spec(low, "k", good_spec())
    registry = SpecRegistry([str(high), str(low)])
    assert "k" not in [e.name for e in registry.entries()]
    hidden = [e for e in registry.entries(include_hidden=True) if e.name == "k"]
    assert [e.status for e in hidden] == ["invalid", "shadowed"]
    assert hidden[0].diagnostics[-1] == f"hides a valid spec of the same name at {low / 'k'}"
    with pytest.raises(InvalidSpecError, match="not valid JSON") as info:
        registry.get("k")
    assert info.value.path == str(high / "k" / "kernel.json")
    assert f"hides a valid spec of the same name at {low / 'k'}" in str(info.value)


def test_invalid_spec_error_keeps_the_field(registry: SpecRegistry, kernels: Path) -> None:
    write_spec(kernels, "k", good_spec(argv=["python", 1]))
    with pytest.raises(InvalidSpecError) as info:
        registry.get("k")
    assert info.value.field == "argv"


def test_unknown_name_suggests_close_matches(registry: SpecRegistry, kernels: Path) -> None:
    write_spec(kernels, "julia-1.10", good_spec())
    with pytest.raises(NoSuchKernelError) as info:
        registry.get("julia-1.1")
    assert "julia-1.10" in info.value.suggestions
    assert "did you mean 'julia-1.10'" in str(info.value)


def test_stale_when_argv0_cannot_be_found(registry: SpecRegistry, kernels: Path) -> None:
    write_spec(kernels, "gone", good_spec(argv=["/nonexistent/bin/kernel", "{connection_file}"]))
    write_spec(kernels, "nopath", good_spec(argv=["no-such-program-kh", "-f"]))
    entries = {e.name: e for e in registry.entries()}
    assert entries["gone"].status == "stale"
    assert entries["gone"].executable is None
    assert (
        "'/nonexistent/bin/kernel' is neither an existing file nor on PATH"
        in (entries["gone"].diagnostics[0])
    )
    assert entries["nopath"].status == "stale"


def test_python_aliases_and_path_programs_resolve(
    registry: SpecRegistry, kernels: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool = tmp_path / "bin" / "my-kernel"
    tool.parent.mkdir()
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(tool.parent))
    minor = f"python3.{sys.version_info[1]}"
    for name, argv0 in [("a", "python"), ("b", "python3"), ("c", minor), ("d", "my-kernel")]:
        write_spec(kernels, name, good_spec(argv=[argv0, "-f", "{connection_file}"]))
    write_spec(kernels, "res", good_spec(argv=["{resource_dir}/run.sh"]))
    (kernels / "res" / "run.sh").write_text("#!/bin/sh\n")
    entries = {e.name: e for e in registry.entries()}
    for name in "abc":
        assert entries[name].executable == sys.executable, name
    assert entries["d"].executable == str(tool)
    assert entries["res"].executable == str(kernels / "res" / "run.sh")
    assert all(e.status == "ok" for e in entries.values())


def test_warnings_for_missing_display_name_and_language(
    registry: SpecRegistry, kernels: Path
) -> None:
    write_spec(kernels, "bare", {"argv": ["python"]})
    entry = registry.entry("bare")
    assert entry.status == "ok"
    assert "display_name is missing or empty" in entry.diagnostics
    assert "language is missing or empty" in entry.diagnostics


# -- the native kernel ---------------------------------------------------------------------


def test_native_python3_without_any_directory(tmp_path: Path) -> None:
    pytest.importorskip("ipykernel")
    registry = SpecRegistry([str(tmp_path / "empty")])
    [entry] = registry.entries()
    assert (entry.name, entry.status, entry.kernel_file) == ("python3", "ok", None)
    spec = registry.get("python3")
    assert spec.argv == (sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}")
    assert spec.display_name == "Python 3 (ipykernel)"
    assert spec.language == "python"
    assert spec.metadata["debugger"] is True


def test_native_spec_is_what_jupyter_client_reports() -> None:
    from ipykernel.kernelspec import RESOURCES, get_kernel_dict

    spec = native_spec()
    assert spec is not None
    assert spec.resource_dir == RESOURCES == ipykernel_resources()
    expected = dict(get_kernel_dict())
    got = spec.to_dict()
    for key, value in expected.items():
        assert got[key] == value, key


def test_python_is_an_alias_of_python3(tmp_path: Path) -> None:
    registry = SpecRegistry([str(tmp_path)])
    assert registry.get("python") == registry.get("python3")
    assert registry.get("PYTHON").name == "python3"
    assert "python" not in [e.name for e in registry.entries()]


def test_a_real_python_spec_beats_the_alias(registry: SpecRegistry, kernels: Path) -> None:
    write_spec(kernels, "python", good_spec(display_name="Mine"))
    assert registry.get("python").display_name == "Mine"


def test_a_python3_directory_shadows_the_native_spec(registry: SpecRegistry, kernels: Path) -> None:
    write_spec(kernels, "python3", good_spec(display_name="Custom"))
    assert registry.get("python3").display_name == "Custom"
    hidden = [e for e in registry.entries(include_hidden=True) if e.name == "python3"]
    assert [e.status for e in hidden] == ["ok", "shadowed"]
    assert hidden[1].kernel_file is None


def test_native_spec_absent_without_ipykernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda n, *a: None if n == "ipykernel" else real(n, *a)
    )
    clear_caches()
    assert SpecRegistry([str(tmp_path)]).entries() == []


# -- resources -------------------------------------------------------------------------------

RESOURCES = ["kernel.css", "kernel.js", "logo-32x32.png", "logo-64x64.png", "logo-svg.svg"]


def test_resources_listed_and_readable(registry: SpecRegistry, kernels: Path) -> None:
    spec_dir = write_spec(kernels, "k", good_spec())
    for name in [*RESOURCES, "extra.txt"]:
        (spec_dir / name).write_bytes(name.encode())
    (spec_dir / "subdir").mkdir()
    assert registry.resources("K") == sorted([*RESOURCES, "extra.txt", "kernel.json"])
    assert registry.read_resource("k", "logo-svg.svg") == b"logo-svg.svg"


def test_native_resources_are_ipykernel_logos(tmp_path: Path) -> None:
    registry = SpecRegistry([str(tmp_path)])
    assert {"logo-32x32.png", "logo-64x64.png"} <= set(registry.resources("python3"))
    assert registry.read_resource("python3", "logo-32x32.png").startswith(b"\x89PNG")


@pytest.mark.parametrize(
    "filename", ["../k2/kernel.json", "/etc/passwd", "a/../../k2/kernel.json", "", "outside"]
)
def test_resource_path_escapes_are_refused(
    registry: SpecRegistry, kernels: Path, filename: str
) -> None:
    spec_dir = write_spec(kernels, "k", good_spec())
    write_spec(kernels, "k2", good_spec())
    (spec_dir / "outside").symlink_to(kernels / "k2" / "kernel.json")
    with pytest.raises(SpecError, match="resource"):
        registry.read_resource("k", filename)
    assert "outside" not in registry.resources("k")


def test_missing_resource_suggests(registry: SpecRegistry, kernels: Path) -> None:
    spec_dir = write_spec(kernels, "k", good_spec())
    (spec_dir / "logo-64x64.png").write_bytes(b"x")
    with pytest.raises(NoSuchKernelError, match=r"did you mean 'logo-64x64\.png'"):
        registry.read_resource("k", "logo-64x64.jpg")


def test_fifo_resource_is_not_opened(registry: SpecRegistry, kernels: Path) -> None:
    spec_dir = write_spec(kernels, "k", good_spec())
    os.mkfifo(spec_dir / "pipe")
    with pytest.raises(NoSuchKernelError):
        registry.read_resource("k", "pipe")


def test_a_nul_character_in_a_resource_name_is_refused_like_any_bad_name() -> None:
    from kernelhub.errors import SpecError
    from kernelhub.specs import SpecRegistry

    for name in ("a\x00b", "logo-64x64.png\x00"):
        with pytest.raises(SpecError, match="expected a file name"):
            SpecRegistry().read_resource("python3", name)


@pytest.mark.parametrize(
    ("dist_info", "metadata"),
    [
        ("ipykernel-6.29.5.dist-info", {"debugger": True}),
        ("ipykernel-7.2.0.dist-info", {"debugger": True}),
        ("ipykernel-7.3.0.dist-info", {"debugger": True, "supported_encryption": "curve"}),
        ("ipykernel-7.4.0.dist-info", {"debugger": True, "supported_encryption": ["curve"]}),
        ("ipykernel-8.0.0rc1.dist-info", {"debugger": True, "supported_encryption": ["curve"]}),
        (None, {"debugger": True, "supported_encryption": ["curve"]}),
    ],
)
def test_native_metadata_follows_the_ipykernel_version(
    tmp_path: Path, dist_info: str | None, metadata: dict[str, object]
) -> None:
    from kernelhub.specs import native

    resources = tmp_path / "site-packages" / "ipykernel" / "resources"
    resources.mkdir(parents=True)
    if dist_info is not None:
        (tmp_path / "site-packages" / dist_info).mkdir()
    assert native._metadata(native._version(str(resources))) == metadata
