"""The package surface: curated exports, lazy import, one exception tree."""

from __future__ import annotations

import subprocess
import sys

import pytest

import kernelhub
from kernelhub import errors


def test_all_is_exactly_the_lazy_exports() -> None:
    assert set(kernelhub.__all__) == {"__version__", *kernelhub._EXPORTS}


def test_all_names_resolve() -> None:
    for name in kernelhub.__all__:
        assert getattr(kernelhub, name) is not None, name


def test_every_error_is_exported_and_in_the_tree() -> None:
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type):
            assert issubclass(obj, errors.KernelhubError), name
            assert name in kernelhub.__all__, name
            assert name in (errors.__doc__ or ""), f"{name} missing from the drawn tree"


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="DoesNotExist"):
        kernelhub.DoesNotExist  # noqa: B018


def test_import_is_lazy() -> None:
    code = (
        "import sys, kernelhub; "
        "print(','.join(m for m in ('zmq', 'jupyter_core') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_timeout_error_is_builtin_timeout() -> None:
    assert issubclass(errors.KernelTimeoutError, TimeoutError)


def test_close_matches_is_case_insensitive() -> None:
    assert errors.close_matches("Pyhton3", ["python3", "ir", "bash"]) == ["python3"]
