"""Lenient reading: odd-but-real kernel.json files are listed, each oddity a warning.

The corpus holds kernel.json files as tools and people really wrote them. Only argv can make a
spec invalid; every other oddity is a warning in the entry's diagnostics, and the value is
read as a person would read it. Where jupyter_client lists a file too, kernelhub reads every
field it does not warn about exactly as jupyter_client does.
"""

from __future__ import annotations

import json
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kernelhub.errors import InvalidSpecError
from kernelhub.manager import KernelFinder
from kernelhub.providers.spec import SpecProvider
from kernelhub.specs import SpecRegistry, parse_spec

from .conftest import write_spec


@dataclass(frozen=True)
class Odd:
    content: dict[str, Any]
    warnings: tuple[str, ...] = ()  # substrings, one per expected warning, in order
    reading: dict[str, Any] = field(default_factory=dict)  # to_dict() fields as read
    display_name: str | None = None  # the kernel type's display name, if not the spec's
    status: str = "ok"


PY = ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"]

CORPUS: dict[str, Odd] = {
    # What `pip install ipykernel` gives on Python 3.10 (ipykernel 7.3).
    "ipykernel-7.3": Odd(
        {
            "argv": PY,
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "metadata": {"debugger": True, "supported_encryption": "curve"},
            "kernel_protocol_version": "5.5",
        },
        ("field 'metadata.supported_encryption': expected a list of strings, got string",),
        # Kept as written: metadata is for its readers (Jupyter Server serves it verbatim).
        {"metadata": {"debugger": True, "supported_encryption": "curve"}},
    ),
    "ipykernel-7.4": Odd(
        {
            "argv": PY,
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "metadata": {"debugger": True, "supported_encryption": ["curve"]},
            "kernel_protocol_version": "5.5",
        }
    ),
    # Hand-written for an HPC cluster: numbers where strings belong.
    "hpc-threads": Odd(
        {
            "argv": PY,
            "display_name": "Python (4 threads)",
            "language": "python",
            "env": {"OMP_NUM_THREADS": 4, "MKL_DYNAMIC": False, "CUDA_VISIBLE_DEVICES": None},
            "kernel_protocol_version": 5.3,
        },
        (
            "got number for 'OMP_NUM_THREADS'; read as '4'",
            "got boolean for 'MKL_DYNAMIC'; read as 'false'",
            "got null for 'CUDA_VISIBLE_DEVICES'; left out",
            "field 'kernel_protocol_version': expected a string like '5.3', got number",
        ),
        {"env": {"OMP_NUM_THREADS": "4", "MKL_DYNAMIC": "false"}},
    ),
    # A generator script that wrote None for what it did not know.
    "generated-nulls": Odd(
        {"argv": PY, "display_name": None, "language": None, "env": None, "metadata": None},
        (
            "field 'display_name': expected a string, got null; the directory name is shown",
            "field 'language': expected a string, got null",
            "field 'env': expected an object, got null; ignored",
            "field 'metadata': expected an object, got null; ignored",
        ),
        {"display_name": "", "language": "", "env": {}, "metadata": {}},
        display_name="generated-nulls",
    ),
    # A version number typed as a number.
    "julia-number-name": Odd(
        {
            "argv": ["/opt/julia/bin/julia", "-i", "--color=yes", "{connection_file}"],
            "display_name": 1.10,
            "language": "julia",
            "interrupt_mode": "signal",
        },
        ("field 'display_name': expected a string, got number; read as '1.1'",),
        {"display_name": "1.1"},
        status="stale",
    ),
    # jupyter_client accepts any case here; so do we, without a warning.
    "evcxr-caseless-mode": Odd(
        {
            "argv": ["/root/.cargo/bin/evcxr_jupyter", "--control_file", "{connection_file}"],
            "display_name": "Rust",
            "language": "rust",
            "interrupt_mode": "Message",
        },
        (),
        {"interrupt_mode": "message"},
        status="stale",
    ),
    "ark-unknown-mode": Odd(
        {
            "argv": ["/usr/bin/ark", "--connection_file", "{connection_file}"],
            "display_name": "Ark R Kernel",
            "language": "R",
            "env": {"RUST_LOG": "error"},
            "interrupt_mode": "sigint",
            "kernel_protocol_version": "5.5",
        },
        ("field 'interrupt_mode': expected 'signal' or 'message', got 'sigint'; read as 'signal'",),
        {"interrupt_mode": "signal"},
        status="stale",
    ),
    "broken-help-links": Odd(
        {
            "argv": PY,
            "display_name": "Docs",
            "language": "python",
            "help_links": [{"text": "Python", "url": "https://docs.python.org"}, "https://x"],
            "codemirror_mode": 3,
        },
        ("field 'codemirror_mode'", "item 1 is not one; the item is left out"),
        {"help_links": [{"text": "Python", "url": "https://docs.python.org"}]},
    ),
    "provisioner-typo": Odd(
        {
            "argv": PY,
            "display_name": "Provisioned",
            "language": "python",
            "metadata": {"kernel_provisioner": {"provisioner-name": "docker"}},
        },
        ("expected a string 'provisioner_name', got nothing; kept as written",),
        {"metadata": {"kernel_provisioner": {"provisioner-name": "docker"}}},
    ),
}


@pytest.fixture
def corpus(kernels: Path) -> Path:
    for name, odd in CORPUS.items():
        write_spec(kernels, name, odd.content)
    return kernels


def reference() -> dict[str, Any]:
    from jupyter_client.kernelspec import KernelSpecManager

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        specs: dict[str, Any] = KernelSpecManager().get_all_specs()
    return specs


@pytest.mark.parametrize("name", list(CORPUS))
def test_odd_but_real_specs_are_listed_with_warnings(name: str, corpus: Path) -> None:
    odd = CORPUS[name]
    entry = SpecRegistry([str(corpus)]).entry(name)
    assert entry.status == odd.status, entry.diagnostics
    assert entry.spec is not None
    assert len(entry.spec.warnings) == len(odd.warnings), entry.spec.warnings
    for warning, expected in zip(entry.spec.warnings, odd.warnings, strict=True):
        assert expected in warning
        assert warning in entry.diagnostics
    got = entry.spec.to_dict()
    for key, value in odd.reading.items():
        assert got[key] == value, key
    kernel = KernelFinder([SpecProvider(SpecRegistry([str(corpus)]))]).get(name)
    assert kernel.status == odd.status
    assert kernel.display_name == (odd.display_name or got["display_name"])
    kernel.check_launchable()  # raises for a spec that cannot launch


def test_what_jupyter_client_lists_is_read_as_it_reads_it(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTER_PATH", str(corpus.parent))
    expected = reference()
    # jupyter_client drops the others (a display name, interrupt mode or version it rejects).
    listed = {"ipykernel-7.3", "ipykernel-7.4", "evcxr-caseless-mode", "broken-help-links"}
    assert set(expected) & set(CORPUS) == {*listed, "provisioner-typo"}
    registry = SpecRegistry([str(corpus)])
    for name, ref in expected.items():
        if name not in CORPUS:
            continue
        spec = registry.get(name)
        warned = {w.split("'", 2)[1].split(".")[0] for w in spec.warnings}
        got = spec.to_dict()
        for key in ("argv", "display_name", "language", "env", "metadata", "interrupt_mode"):
            if key not in warned:
                assert got[key] == ref["spec"][key], (name, key)


async def test_the_curve_spec_starts_a_real_kernel(corpus: Path) -> None:
    finder = KernelFinder([SpecProvider(SpecRegistry([str(corpus)]))])
    _, manager = await finder.launch("ipykernel-7.3")
    async with manager:
        async with manager.client() as client:
            result = await client.execute("import sys; print(sys.version_info[0])", timeout=30)
        assert result.text == f"{sys.version_info[0]}\n"


def test_strict_parsing_refuses_what_lenient_reading_warns_about() -> None:
    for name, odd in CORPUS.items():
        path = f"/k/{name}/kernel.json"
        lenient = parse_spec(odd.content, path=path, name=name, resource_dir="/k", strict=False)
        if not odd.warnings:
            parse_spec(odd.content, path=path, name=name, resource_dir="/k")
            continue
        with pytest.raises(InvalidSpecError) as caught:
            parse_spec(odd.content, path=path, name=name, resource_dir="/k")
        error = caught.value
        assert lenient.warnings[0].startswith(f"field {error.field!r}: {error.problem}; ")


def test_a_lenient_reading_is_json_again() -> None:
    for name, odd in CORPUS.items():
        spec = parse_spec(odd.content, path="p", name=name, resource_dir="/k", strict=False)
        if any(w.endswith("kept as written") for w in spec.warnings):
            continue  # a provisioner's settings are not ours to mend
        # What was read is a valid spec even to the strict parser (what install writes).
        data = json.loads(json.dumps(spec.to_dict()))
        assert parse_spec(data, path="p", name=name, resource_dir="/k").warnings == ()


def good(**fields: Any) -> dict[str, Any]:
    return {"argv": ["python"], "display_name": "D", "language": "python", **fields}


@pytest.mark.parametrize(
    ("data", "attr", "value", "warning"),
    [
        (good(display_name=3), "display_name", "3", "read as '3'"),
        (good(display_name=True), "display_name", "", "the directory name is shown"),
        (good(language=["py"]), "language", "", "got list; read as empty"),
        (good(interrupt_mode=1), "interrupt_mode", "signal", "got number; read as 'signal'"),
        (good(env={"A": 1.5, "B": []}), "env", {"A": "1.5"}, "got list for 'B'; left out"),
        (good(env={"": "x"}), "env", {}, "'' cannot be an environment variable name"),
        (good(metadata=[1]), "metadata", {}, "field 'metadata': expected an object, got list"),
        (
            good(metadata={"supported_encryption": ["curve", 1], "debugger": True}),
            "metadata",
            {"supported_encryption": ["curve", 1], "debugger": True},
            "got list; kept as written",
        ),
        (
            good(metadata={"supported_encryption": {"curve": True}}),
            "metadata",
            {"supported_encryption": {"curve": True}},
            "got object; kept as written",
        ),
        (good(kernel_protocol_version=None), "kernel_protocol_version", None, "got null; ignored"),
        (good(kernel_protocol_version=5), "kernel_protocol_version", "5", "read as '5'"),
        (good(codemirror_mode=[]), "codemirror_mode", None, "got list; ignored"),
        (good(help_links="https://x"), "help_links", None, "got string; ignored"),
    ],
)
def test_each_field_is_read_as_a_person_reads_it(
    data: dict[str, Any], attr: str, value: Any, warning: str
) -> None:
    spec = parse_spec(data, path="/k/x/kernel.json", name="x", resource_dir="/k/x", strict=False)
    got = getattr(spec, attr)
    assert (dict(got) if attr in ("env", "metadata") else got) == value
    assert any(warning in w for w in spec.warnings), spec.warnings
    assert all(w.startswith("field '") for w in spec.warnings)
    with pytest.raises(InvalidSpecError):
        parse_spec(data, path="/k/x/kernel.json", name="x", resource_dir="/k/x")
