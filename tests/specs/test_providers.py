"""The spec and pyimport providers and the kernel finder."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kernelhub.errors import NoSuchKernelError
from kernelhub.providers import (
    KernelFinder,
    KernelType,
    Provider,
    ProviderProblem,
    PyImportProvider,
    SpecProvider,
)
from kernelhub.providers import finder as finder_module
from kernelhub.specs import SpecRegistry

from .conftest import good_spec, write_spec


class Boom:
    """A provider that fails while listing."""

    id = "boom"

    def find(self, *, include_hidden: bool = False) -> Iterator[KernelType]:
        raise RuntimeError("disk on fire")


class Junk:
    """A provider that yields things that are not kernel types."""

    id = "junk"

    def find(self, *, include_hidden: bool = False) -> Iterator[Any]:
        yield "not a kernel"


@pytest.fixture
def spec_provider(kernels: Path) -> SpecProvider:
    return SpecProvider(SpecRegistry([str(kernels)]))


def test_providers_satisfy_the_protocol() -> None:
    assert isinstance(SpecProvider(), Provider)
    assert isinstance(PyImportProvider(), Provider)


def test_spec_provider_builds_kernel_types(spec_provider: SpecProvider, kernels: Path) -> None:
    spec_dir = write_spec(kernels, "MyK", good_spec(env={"A": "1"}, interrupt_mode="message"))
    (spec_dir / "logo-64x64.png").write_bytes(b"x")
    types = {k.id: k for k in spec_provider.find()}
    kernel = types["spec/myk"]
    assert (kernel.provider, kernel.name, kernel.display_name, kernel.language) == (
        "spec",
        "myk",
        "Good",
        "python",
    )
    assert kernel.argv[0] == "python"
    assert kernel.executable == kernel.interpreter == sys.executable
    assert kernel.resources == ("kernel.json", "logo-64x64.png")
    assert kernel.resource_dir == str(spec_dir)
    assert kernel.origin == str(spec_dir / "kernel.json")
    assert kernel.env == {"A": "1"}
    assert kernel.interrupt_mode == "message"
    assert kernel.status == "ok"
    assert kernel.diagnostics == ()
    assert types["spec/python3"].origin == f"ipykernel in {sys.executable}"
    assert kernel.to_json()["id"] == "spec/myk"


def test_spec_provider_non_python_kernel_has_no_interpreter(
    spec_provider: SpecProvider, kernels: Path
) -> None:
    write_spec(kernels, "shell", good_spec(argv=["/bin/sh", "-c", "x"], language="sh"))
    [kernel] = [k for k in spec_provider.find() if k.name == "shell"]
    assert (kernel.executable, kernel.interpreter) == ("/bin/sh", None)


def test_spec_provider_hidden_entries(spec_provider: SpecProvider, kernels: Path) -> None:
    write_spec(kernels, "bad", b"nope")
    assert "spec/bad" not in [k.id for k in spec_provider.find()]
    [bad] = [k for k in spec_provider.find(include_hidden=True) if k.id == "spec/bad"]
    assert bad.status == "invalid"
    assert bad.display_name == "bad"
    assert bad.argv == ()
    assert "not valid JSON" in bad.diagnostics[0]


def test_pyimport_gives_exactly_one_type() -> None:
    [kernel] = list(PyImportProvider().find())
    assert kernel.id == "pyimport/kernel"
    assert kernel.argv == (sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}")
    assert kernel.interpreter == sys.executable
    assert "logo-64x64.png" in kernel.resources


def test_finder_uses_exactly_the_given_providers(spec_provider: SpecProvider) -> None:
    finder = KernelFinder([spec_provider])
    assert {k.provider for k in finder.find_kernels()} == {"spec"}


def test_a_failing_provider_is_skipped_and_recorded(
    spec_provider: SpecProvider, caplog: pytest.LogCaptureFixture
) -> None:
    finder = KernelFinder([Boom(), Junk(), spec_provider])
    with caplog.at_level(logging.WARNING, logger="kernelhub"):
        kernels = finder.find_kernels()
    assert "spec/python3" in [k.id for k in kernels]
    assert finder.problems == [
        ProviderProblem("boom", "failed while listing: RuntimeError('disk on fire')"),
        ProviderProblem("junk", "yielded str, not a kernel"),
    ]
    assert [r.name for r in caplog.records] == ["kernelhub", "kernelhub"]
    finder = KernelFinder([spec_provider])
    finder.find_kernels()
    assert finder.problems == []


def test_from_entrypoints_loads_the_builtins() -> None:
    finder = KernelFinder.from_entrypoints()
    assert {p.id for p in finder.providers} >= {"spec", "pyimport"}
    assert finder.problems == []
    ids = [k.id for k in finder.find_kernels()]
    assert "pyimport/kernel" in ids
    assert "spec/python3" in ids


def test_entry_point_scan_agrees_with_importlib_metadata() -> None:
    from importlib.metadata import entry_points

    for group in ("kernelhub.providers", "console_scripts", "pytest11"):
        expected = sorted({(ep.name, ep.value) for ep in entry_points(group=group)})
        found = finder_module._scan_entry_points(group)
        assert found is not None
        assert sorted(set(found)) == expected, group


def test_broken_entry_points_are_skipped_and_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    info = tmp_path / "broken_providers-1.0.dist-info"
    info.mkdir()
    (info / "entry_points.txt").write_text(
        "[kernelhub.providers]\n"
        "missing = no_such_module_kh:Provider\n"
        "notaprovider = builtins:object\n"
        "raising = khtest_raising:Raising\n"
        "boom = khtest_raising:Boom\n"
    )
    (tmp_path / "khtest_raising.py").write_text(
        "class Raising:\n"
        "    def __init__(self):\n"
        "        raise ValueError('cannot start')\n"
        "class Boom:\n"
        "    id = 'boom'\n"
        "    def find(self, *, include_hidden=False):\n"
        "        raise OSError('listing failed')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with caplog.at_level(logging.WARNING, logger="kernelhub"):
        finder = KernelFinder.from_entrypoints()
        kernels = finder.find_kernels()
    assert {p.id for p in finder.providers} >= {"spec", "pyimport", "boom"}
    problems = {p.provider: p.message for p in finder.problems}
    assert "No module named 'no_such_module_kh'" in problems["missing"]
    assert problems["notaprovider"] == "builtins:object gave object, not a provider"
    assert "ValueError('cannot start')" in problems["raising"]
    assert "OSError('listing failed')" in problems["boom"]
    assert "spec/python3" in [k.id for k in kernels]
    assert len(caplog.records) >= 4


def test_zip_on_sys_path_falls_back_to_importlib_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "lib.zip"
    archive.write_bytes(b"PK\x05\x06" + b"\0" * 18)  # an empty zip
    monkeypatch.syspath_prepend(str(archive))
    assert finder_module._scan_entry_points("kernelhub.providers") is None
    finder = KernelFinder.from_entrypoints()
    assert {p.id for p in finder.providers} >= {"spec", "pyimport"}


def test_get_by_id_and_bare_name(spec_provider: SpecProvider, kernels: Path) -> None:
    write_spec(kernels, "Julia", good_spec(display_name="Julia"))
    finder = KernelFinder([spec_provider, PyImportProvider()])
    assert finder.get("spec/julia").display_name == "Julia"
    assert finder.get("JULIA").id == "spec/julia"
    assert finder.get("pyimport/kernel").provider == "pyimport"
    assert finder.get("python").id == "spec/python3"


def test_get_returns_invalid_owner_for_diagnostics(
    spec_provider: SpecProvider, kernels: Path
) -> None:
    write_spec(kernels, "bad", b"[")
    kernel = KernelFinder([spec_provider]).get("bad")
    assert kernel.status == "invalid"


def test_get_unknown_suggests_across_providers(spec_provider: SpecProvider, kernels: Path) -> None:
    write_spec(kernels, "julia", good_spec())
    finder = KernelFinder([spec_provider, PyImportProvider()])
    with pytest.raises(NoSuchKernelError) as info:
        finder.get("julai")
    assert "julia" in info.value.suggestions
    with pytest.raises(NoSuchKernelError) as info:
        finder.get("pyimport/kernal")
    assert "pyimport/kernel" in info.value.suggestions
