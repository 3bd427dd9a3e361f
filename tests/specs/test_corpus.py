"""The bad-input corpus: listing never crashes, each bad entry says precisely what is wrong,
and the good spec beside it is unaffected."""

from __future__ import annotations

import errno
import json
import os
import sys
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kernelhub.specs import MAX_SPEC_BYTES, SpecRegistry, scan

from .conftest import good_spec, write_spec

Setup = Callable[[Path, pytest.MonkeyPatch], str]


@dataclass(frozen=True)
class Case:
    id: str
    setup: Setup
    expect: str  # a substring of one of the bad entry's diagnostics
    status: str = "invalid"
    listed: bool = False  # whether the bad entry is in the default listing


def raw(content: bytes | str, name: str = "bad") -> Setup:
    def setup(kernels: Path, _: pytest.MonkeyPatch) -> str:
        write_spec(kernels, name, content.encode() if isinstance(content, str) else content)
        return name.lower()

    return setup


def spec(name: str = "bad", **fields: Any) -> Setup:
    return raw(json.dumps(good_spec(**fields)), name)


def huge_file(kernels: Path, _: pytest.MonkeyPatch) -> str:
    path = write_spec(kernels, "huge", b'{"argv": ["python"], "pad": "') / "kernel.json"
    with open(path, "r+b") as f:  # sparse: 50 MB on paper, nothing on disk
        f.truncate(50 * 1024 * 1024)
    return "huge"


def kernel_json_dir(kernels: Path, _: pytest.MonkeyPatch) -> str:
    (kernels / "isdir" / "kernel.json").mkdir(parents=True)
    return "isdir"


def kernel_json_fifo(kernels: Path, _: pytest.MonkeyPatch) -> str:
    (kernels / "fifo").mkdir()
    os.mkfifo(kernels / "fifo" / "kernel.json")
    return "fifo"


def kernel_json_link_to_dir(kernels: Path, _: pytest.MonkeyPatch) -> str:
    (kernels / "linkdir").mkdir()
    (kernels / "linkdir" / "kernel.json").symlink_to(kernels)
    return "linkdir"


def dangling_kernel_json(kernels: Path, _: pytest.MonkeyPatch) -> str:
    (kernels / "dangle").mkdir()
    (kernels / "dangle" / "kernel.json").symlink_to(kernels / "nowhere.json")
    return "dangle"


def dangling_dir(kernels: Path, _: pytest.MonkeyPatch) -> str:
    (kernels / "ghost").symlink_to(kernels.parent / "removed-env" / "ghost")
    return "ghost"


def dir_loop(kernels: Path, _: pytest.MonkeyPatch) -> str:
    (kernels / "loop").symlink_to(kernels / "loop")
    return "loop"


def file_loop(kernels: Path, _: pytest.MonkeyPatch) -> str:
    (kernels / "floop").mkdir()
    (kernels / "floop" / "kernel.json").symlink_to(kernels / "floop" / "kernel.json")
    return "floop"


def empty_dir(kernels: Path, _: pytest.MonkeyPatch) -> str:
    (kernels / "empty").mkdir()
    return "empty"


def unreadable_file(kernels: Path, mp: pytest.MonkeyPatch) -> str:
    # Tests run as root, whom chmod 000 does not stop: simulate the open failing.
    target = str(write_spec(kernels, "noread", good_spec()) / "kernel.json")
    real = scan.read_spec

    def read_spec(kernel_file: str, *args: Any) -> Any:
        if kernel_file == target:
            raise PermissionError(errno.EACCES, "Permission denied", kernel_file)
        return real(kernel_file, *args)

    mp.setattr(scan, "read_spec", read_spec)
    return "noread"


def unreadable_dir(kernels: Path, mp: pytest.MonkeyPatch) -> str:
    target = str(write_spec(kernels, "nodir", good_spec()))
    real = os.stat

    def fake_stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if str(path).startswith(target + os.sep):
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real(path, *args, **kwargs)

    mp.setattr(os, "stat", fake_stat)
    return "nodir"


def symlinked_good_spec(kernels: Path, _: pytest.MonkeyPatch) -> str:
    write_spec(kernels.parent / "elsewhere", "real", good_spec())
    (kernels / "linked").symlink_to(kernels.parent / "elsewhere" / "real")
    return "linked"


OK = ("ok", True)
HUGE_ARGV = json.dumps(good_spec(argv=["python", *[f"--opt{i}" for i in range(50_000)]]))
DEEP = "[" * 100_000 + "]" * 100_000

CASES = [
    Case("malformed json", raw('{"argv": ['), "not valid JSON"),
    Case(
        "trailing comma",
        raw('{"argv": ["x"],}'),
        # The json module's own words, which Python 3.13 changed.
        "not valid JSON: "
        + ("Illegal trailing comma" if sys.version_info >= (3, 13) else "Expecting property name"),
    ),
    Case("empty file", raw(b""), "the file is empty"),
    Case("whitespace only", raw(b" \n\t"), "the file is empty"),
    Case("json list", raw("[1, 2]"), "expected a JSON object, got list"),
    Case("json string", raw('"argv"'), "expected a JSON object, got string"),
    Case("json null", raw("null"), "expected a JSON object, got null"),
    Case("argv missing", raw('{"display_name": "x"}'), "field 'argv': missing"),
    Case(
        "argv int", spec(argv=1), "field 'argv': expected a non-empty list of strings, got number"
    ),
    Case("argv string", spec(argv="python -m x"), "strings, got string"),
    Case("argv null", spec(argv=None), "strings, got null"),
    Case("argv empty", spec(argv=[]), "got an empty list"),
    Case("argv item int", spec(argv=["python", 3]), "got number at index 1"),
    Case("argv0 empty", spec(argv=["", "x"]), "argv[0] (the program) is an empty string"),
    Case("argv item object", spec(argv=["python", {"a": 1}]), "got object at index 1"),
    Case("argv item list", spec(argv=[["python"]]), "got list at index 0"),
    Case("argv NUL", spec(argv=["python", "a\0b"]), "item 1 holds a NUL character"),
    # Only argv can make a spec invalid: everything else is a warning, and the spec is listed.
    Case("display_name int", spec(display_name=3), "'display_name': expected a string", *OK),
    Case("display_name null", spec(display_name=None), "expected a string, got null", *OK),
    Case("language list", spec(language=["py"]), "'language': expected a string, got list", *OK),
    Case("interrupt_mode bad", spec(interrupt_mode="sometimes"), "got 'sometimes'", *OK),
    Case("interrupt_mode int", spec(interrupt_mode=1), "field 'interrupt_mode'", *OK),
    Case("env list", spec(env=["A=1"]), "field 'env': expected an object, got list", *OK),
    Case("env int value", spec(env={"A": 1}), "string values, got number for 'A'", *OK),
    Case("env bad name", spec(env={"A=B": "1"}), "cannot be an environment variable", *OK),
    Case("env NUL value", spec(env={"A": "a\0b"}), "holds a NUL character", *OK),
    Case("metadata string", spec(metadata="x"), "field 'metadata': expected an object", *OK),
    Case(
        "provisioner not object",
        spec(metadata={"kernel_provisioner": "local"}),
        "field 'metadata.kernel_provisioner': expected an object, got string",
        *OK,
    ),
    Case(
        "provisioner without name",
        spec(metadata={"kernel_provisioner": {"config": {}}}),
        "expected a string 'provisioner_name'",
        *OK,
    ),
    Case(
        "encryption not list",
        spec(metadata={"supported_encryption": True}),
        "field 'metadata.supported_encryption'",
        *OK,
    ),
    Case(
        "encryption a string",
        spec(metadata={"supported_encryption": "curve"}),
        "got string; kept as written",
        *OK,
    ),
    Case("protocol version null", spec(kernel_protocol_version=None), "got null", *OK),
    Case("codemirror number", spec(codemirror_mode=1), "field 'codemirror_mode'", *OK),
    Case("help_links object", spec(help_links={}), "field 'help_links'", *OK),
    Case("non-utf8 bytes", raw(b'{"argv": ["\xff\xfe"]}'), "not UTF-8: byte 0xff at offset 11"),
    Case("bom", raw(b'\xef\xbb\xbf{"argv": ["x"]}'), "byte-order mark"),
    Case("50 MB file", huge_file, f"kernelhub reads at most {MAX_SPEC_BYTES} bytes"),
    Case("deep nesting", raw(DEEP), "nested too deeply"),
    Case("kernel.json is a directory", kernel_json_dir, "kernel.json is not a regular file"),
    Case("kernel.json is a fifo", kernel_json_fifo, "kernel.json is not a regular file"),
    Case("kernel.json links to a dir", kernel_json_link_to_dir, "is not a regular file"),
    Case("dangling kernel.json", dangling_kernel_json, "kernel.json is a dangling symlink"),
    Case("dangling spec dir", dangling_dir, "dangling symlink to"),
    Case("spec dir symlink loop", dir_loop, "symlink loop"),
    Case("kernel.json symlink loop", file_loop, "symlink loop"),
    Case("dir without kernel.json", empty_dir, "no kernel.json inside"),
    Case("unreadable kernel.json", unreadable_file, "cannot be read: Permission denied"),
    Case("unreadable spec dir", unreadable_dir, "cannot be read: Permission denied"),
    Case("unicode name", spec(name="Café"), "breaks the kernel name rule", "ok", True),
    Case("space in name", spec(name="my kernel"), "'my kernel' breaks the kernel name", "ok", True),
    Case("plus in name", spec(name="c++17"), "breaks the kernel name rule", "ok", True),
    Case(
        "stale argv0",
        spec(argv=["/gone/bin/k"]),
        "neither an existing file nor on PATH",
        "stale",
        True,
    ),
    Case("no display_name", raw('{"argv": ["python"]}'), "display_name is missing", "ok", True),
]


def test_the_corpus_is_big_enough() -> None:
    assert len([c for c in CASES if c.status == "invalid"]) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, kernels: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_spec(kernels, "good", good_spec(display_name="Fine"))
    name = case.setup(kernels, monkeypatch)
    registry = SpecRegistry([str(kernels)])

    listed = registry.entries()
    everything = registry.entries(include_hidden=True)

    good = [e for e in listed if e.name == "good"]
    assert [(e.status, e.diagnostics) for e in good] == [("ok", ())]
    assert good[0].spec is not None
    assert good[0].spec.display_name == "Fine"
    bad = [e for e in everything if e.name == name]
    assert bad, f"{name!r} missing from the full listing"
    matching = [e for e in bad if any(case.expect in d for d in e.diagnostics)]
    assert matching, [e.diagnostics for e in bad]
    assert matching[0].status == case.status
    assert (name in [e.name for e in listed]) == case.listed
    if case.status == "invalid":
        # The diagnostic names the file or directory at fault.
        assert any(str(kernels) in d for d in matching[0].diagnostics)


def test_a_symlinked_spec_directory_is_a_spec(kernels: Path) -> None:
    symlinked_good_spec(kernels, pytest.MonkeyPatch())
    entry = SpecRegistry([str(kernels)]).entry("linked")
    assert (entry.status, entry.resource_dir) == ("ok", str(kernels / "linked"))


def test_huge_argv_is_fine(kernels: Path) -> None:
    write_spec(kernels, "wide", HUGE_ARGV)
    spec = SpecRegistry([str(kernels)]).get("wide")
    assert len(spec.argv) == 50_001


def test_a_50_mb_file_is_rejected_without_reading_it(kernels: Path) -> None:
    huge_file(kernels, pytest.MonkeyPatch())
    tracemalloc.start()
    try:
        entries = SpecRegistry([str(kernels)]).entries(include_hidden=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [e.status for e in entries if e.name == "huge"] == ["invalid"]
    assert peak < 4 * 1024 * 1024


def test_an_unlistable_directory_is_a_problem_not_a_crash(
    tmp_path: Path, kernels: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_spec(kernels, "good", good_spec())
    locked = tmp_path / "locked"
    locked.mkdir()
    real = os.scandir

    def fake_scandir(path: Any = ".") -> Any:
        if str(path) == str(locked):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", fake_scandir)
    registry = SpecRegistry([str(locked), str(kernels)])
    assert "good" in [e.name for e in registry.entries()]
    assert registry.problems == [f"cannot list {locked}: Permission denied"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_really_unreadable_kernel_json(kernels: Path) -> None:
    kernel_file = write_spec(kernels, "locked", good_spec()) / "kernel.json"
    kernel_file.chmod(0)
    [entry] = [e for e in SpecRegistry([str(kernels)]).entries(True) if e.name == "locked"]
    assert entry.status == "invalid"
    assert "cannot be read" in entry.diagnostics[0]
