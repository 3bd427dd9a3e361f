"""kernel.json parsing and validation: every field read, unknown keys kept, precise errors."""

from __future__ import annotations

from typing import Any

import pytest

from kernelhub.errors import InvalidNameError, InvalidSpecError
from kernelhub.specs import KernelSpec, check_name, is_valid_name, parse_spec

from .conftest import good_spec

PATH = "/k/demo/kernel.json"


def parse(data: object) -> KernelSpec:
    return parse_spec(data, path=PATH, name="demo", resource_dir="/k/demo")


def test_every_field_is_read() -> None:
    data = good_spec(
        interrupt_mode="message",
        env={"A": "1"},
        metadata={
            "debugger": True,
            "kernel_provisioner": {"provisioner_name": "local-provisioner", "config": {}},
            "supported_encryption": ["curve"],
        },
        kernel_protocol_version="5.5",
        codemirror_mode={"name": "ipython", "version": 3},
        help_links=[{"text": "Docs", "url": "https://example.org"}],
    )
    spec = parse(data)
    assert spec.argv == tuple(data["argv"])
    assert (spec.display_name, spec.language, spec.interrupt_mode) == ("Good", "python", "message")
    assert spec.env == {"A": "1"}
    assert spec.metadata["kernel_provisioner"]["provisioner_name"] == "local-provisioner"
    assert spec.metadata["supported_encryption"] == ["curve"]
    assert spec.kernel_protocol_version == "5.5"
    assert spec.codemirror_mode == {"name": "ipython", "version": 3}
    assert spec.help_links == ({"text": "Docs", "url": "https://example.org"},)
    assert spec.to_dict() == data


def test_unknown_keys_are_preserved() -> None:
    data = good_spec(mimetype="text/x-python", vendor={"nested": [1, 2]})
    spec = parse(data)
    assert spec.extra == {"mimetype": "text/x-python", "vendor": {"nested": [1, 2]}}
    out = spec.to_dict()
    assert out["mimetype"] == "text/x-python"
    assert out["vendor"] == {"nested": [1, 2]}
    out["vendor"]["nested"].append(3)  # a deep copy: the cached record is untouched
    assert spec.extra["vendor"] == {"nested": [1, 2]}


def test_defaults_match_jupyter_client() -> None:
    spec = parse({"argv": ["x"]})
    assert (spec.display_name, spec.language, spec.interrupt_mode) == ("", "", "signal")
    assert (spec.env, spec.metadata, spec.kernel_protocol_version) == ({}, {}, None)


def test_interrupt_mode_is_caseless_like_jupyter_client() -> None:
    assert parse(good_spec(interrupt_mode="MESSAGE")).interrupt_mode == "message"


def test_records_are_frozen_and_read_only() -> None:
    spec = parse(good_spec(env={"A": "1"}))
    with pytest.raises(AttributeError):
        spec.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        spec.env["B"] = "2"  # type: ignore[index]


@pytest.mark.parametrize(
    ("data", "field", "problem"),
    [
        ([], None, "expected a JSON object, got list"),
        ({}, "argv", "missing; expected a non-empty list of strings"),
        (good_spec(argv=3), "argv", "expected a non-empty list of strings, got number"),
        (good_spec(argv=[]), "argv", "expected a non-empty list of strings, got an empty list"),
        (good_spec(argv=["a", None]), "argv", "got null at index 1"),
        (good_spec(argv=[""]), "argv", "argv[0] (the program) is an empty string"),
        (good_spec(display_name=1), "display_name", "expected a string, got number"),
        (good_spec(language=None), "language", "expected a string, got null"),
        (good_spec(interrupt_mode="x"), "interrupt_mode", "expected 'signal' or 'message'"),
        (good_spec(env=[]), "env", "expected an object, got list"),
        (good_spec(env={"A": 1}), "env", "string values, got number for 'A'"),
        (good_spec(metadata=True), "metadata", "expected an object, got boolean"),
        (
            good_spec(metadata={"kernel_provisioner": {}}),
            "metadata.kernel_provisioner",
            "expected a string 'provisioner_name', got nothing",
        ),
        (
            good_spec(metadata={"supported_encryption": "curve"}),
            "metadata.supported_encryption",
            "expected a list of strings, got string",
        ),
        (good_spec(kernel_protocol_version=5.3), "kernel_protocol_version", "got number"),
        (good_spec(codemirror_mode=3), "codemirror_mode", "a string or an object, got number"),
        (good_spec(help_links=[{"text": "t"}]), "help_links", "item 0 is not one"),
    ],
)
def test_errors_name_file_field_and_expectation(
    data: object, field: str | None, problem: str
) -> None:
    with pytest.raises(InvalidSpecError) as info:
        parse(data)
    assert info.value.path == PATH
    assert info.value.field == field
    assert problem in info.value.problem
    assert str(info.value).startswith(PATH)


@pytest.mark.parametrize("name", ["python3", "My-Kernel_1.0", "a", "UPPER"])
def test_valid_names(name: str) -> None:
    assert is_valid_name(name)
    assert check_name(name) == name.lower()


@pytest.mark.parametrize("name", ["", "my kernel", "café", "a/b", "a+b", "\uff50\uff59", "x\n"])
def test_invalid_names(name: str) -> None:
    assert not is_valid_name(name)
    with pytest.raises(InvalidNameError, match="expected ASCII letters"):
        check_name(name)


def test_to_dict_of_minimal_spec_is_a_valid_spec_again() -> None:
    data: dict[str, Any] = {"argv": ["x"], "display_name": "X", "language": "x"}
    assert parse(parse(data).to_dict()) == parse(data)
