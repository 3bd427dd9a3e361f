"""'did you mean' only for typos: close names are suggested, names that merely share letters not."""

from __future__ import annotations

import pytest

from kernelhub.errors import close_matches
from tests.cli.test_cli_specs import assert_one_line_error, kh, write_spec
from tests.conftest import JupyterDirs

NAMES = [
    "python3",
    "spec/python3",
    "pyimport/kernel",
    "conda/base",
    "conda/datasci",
    "venv/myproj",
    "venv/kh",
    "ir",
    "spec/ir",
    "xpython",
    "bash",
    "julia-1.10",
    "system/python3.11",
    "pyenv/3.12.1",
]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("pyhton3", ["python3", "spec/python3"]),  # a swap
        ("bsah", ["bash"]),
        ("julia-1.1", ["julia-1.10"]),  # a letter short
        ("spec/pyhton3", ["spec/python3", "python3"]),
        ("conda/datasic", ["conda/datasci"]),
        ("datasci", ["conda/datasci"]),  # the name without its provider
        ("kernel", ["pyimport/kernel"]),
        ("pyenv/3.12.2", ["pyenv/3.12.1"]),
        ("python3.12", ["system/python3.11"]),  # the other provider's name, one edit away
        ("Xpyton", ["xpython"]),  # case does not count
    ],
)
def test_typos_are_suggested(typed: str, expected: list[str]) -> None:
    assert close_matches(typed, NAMES) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "py",  # two letters are two edits from any other two letters
        "r",
        "ab",
        "kh2",
        "spec/ab",  # a shared provider prefix is not a resemblance
        "spec/py",
        "conda/xyz",
        "venv/abc",
        "pyth",  # a start, not a typo
        "juila",
    ],
)
def test_names_that_only_share_letters_are_not(typed: str) -> None:
    assert close_matches(typed, NAMES) == []


def test_limits_and_order() -> None:
    assert close_matches("python2", ["python3", "python", "pythonista", "ruby"], n=1) == ["python3"]
    assert close_matches("conda/datascii", NAMES) == ["conda/datasci"]  # not conda/base too
    assert close_matches("logo-64x64.jpg", ["logo-32x32.png", "logo-64x64.png"]) == [
        "logo-64x64.png"
    ]
    assert close_matches("python3", ["PYTHON3"]) == []  # the same name: nothing to suggest


def test_the_cli_suggests_only_typos(jupyter_dirs: JupyterDirs) -> None:
    write_spec(jupyter_dirs.user_kernels, "ir")
    write_spec(jupyter_dirs.user_kernels, "julia-1.10")
    short = kh("show", "r")
    assert_one_line_error(short, "no kernel named 'r'")
    assert "did you mean" not in short.stderr
    assert "did you mean" not in kh("show", "jl").stderr
    assert_one_line_error(kh("show", "julia-1.1"), "did you mean 'julia-1.10'")
