"""Differential test: on generated spec trees, kernelhub's listing of valid specs is
jupyter_client's ``KernelSpecManager().get_all_specs()``, but for two documented differences.

Stricter where a spec could never launch: ``argv`` missing, empty or holding non-strings (or
NUL characters) makes it ``invalid``; every name jupyter_client lists that kernelhub does not
must be one of those. Lenient everywhere else: a spec jupyter_client drops for a bad
``display_name``, ``env``, ``metadata``, ... is listed by kernelhub with a warning in its
diagnostics; every name kernelhub lists that jupyter_client does not must carry such a warning.
Every field kernelhub does not warn about must match jupyter_client's.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernelhub.specs import SpecEntry, SpecRegistry

pytestmark = pytest.mark.timeout(300)

STRICTER_FIELDS = {"argv"}
NAME_CHARS = "abcXYZ019._-"
BAD_NAME_CHARS = " é+"

texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)
json_scalars = st.none() | st.booleans() | st.integers(-5, 5) | texts
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=6,
)

valid_specs = st.fixed_dictionaries(
    {
        "argv": st.tuples(
            st.sampled_from(["python", "python3", sys.executable, "/nonexistent/kernel", "sh"]),
            st.lists(texts, max_size=3),
        ).map(lambda t: [t[0], *t[1]]),
        "display_name": texts,
        "language": texts,
    },
    optional={
        "env": st.dictionaries(texts, texts, max_size=3),
        "metadata": st.dictionaries(st.sampled_from(["debugger", "x", "y"]), json_values),
        "interrupt_mode": st.sampled_from(["signal", "message", "Signal", "MESSAGE"]),
        "kernel_protocol_version": st.sampled_from(["5.3", "5.5"]),
        "codemirror_mode": st.sampled_from(["python", "r"]),
        "unknown_key": json_values,
    },
)


def broken(kind: str) -> bytes:
    return {
        "json": b'{"argv": [',
        "list": b"[]",
        "argv-str": b'{"argv": "python -m x"}',
        "display-int": b'{"argv": ["python"], "display_name": 3}',
        "lang-null": b'{"argv": ["python"], "language": null}',
        "env-null": b'{"argv": ["python"], "env": null}',
        "meta-list": b'{"argv": ["python"], "metadata": []}',
        "mode-bogus": b'{"argv": ["python"], "interrupt_mode": "bogus"}',
        "kpv-null": b'{"argv": ["python"], "kernel_protocol_version": null}',
        # jupyter_client lists these, kernelhub calls them invalid (STRICTER_FIELDS):
        "argv-empty": b'{"argv": [], "display_name": "e"}',
        "argv-missing": b'{"display_name": "m", "language": "x"}',
        "argv-int": b'{"argv": [1], "display_name": "i"}',
        # jupyter_client lists this too; kernelhub reads the value as "1", with a warning.
        "env-int": b'{"argv": ["python"], "env": {"A": 1}}',
        "curve": b'{"argv": ["python"], "metadata": {"supported_encryption": "curve"}}',
    }[kind]


contents = st.one_of(
    valid_specs.map(lambda d: json.dumps(d).encode()),
    valid_specs.map(lambda d: json.dumps(d).encode()),
    st.sampled_from(
        [
            "json",
            "list",
            "argv-str",
            "display-int",
            "lang-null",
            "env-null",
            "meta-list",
            "mode-bogus",
            "kpv-null",
            "argv-empty",
            "argv-missing",
            "argv-int",
            "env-int",
            "curve",
        ]
    ).map(broken),
    st.sampled_from([b"<no kernel.json>", b"<kernel.json dir>"]),
)

base_names = st.sampled_from(["python3", "ir", "julia-1.10", "My.Kernel", "bash_k", "a", "B"])
free_names = st.text(st.sampled_from(NAME_CHARS), min_size=1, max_size=6)
bad_names = st.tuples(free_names, st.sampled_from(BAD_NAME_CHARS)).map("".join)
names = st.one_of(base_names, base_names.map(str.upper), free_names, bad_names).filter(
    lambda n: n not in (".", "..")
)


def unique_lower(items: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    # jupyter_client's pick between two case variants in ONE directory is listdir order.
    seen: set[str] = set()
    return [(n, c) for n, c in items if not (n.lower() in seen or seen.add(n.lower()))]


trees = st.lists(
    st.lists(st.tuples(names, contents), max_size=6).map(unique_lower), min_size=1, max_size=4
)


@contextmanager
def spec_tree(tree: list[list[tuple[str, bytes]]]) -> Iterator[list[Path]]:
    with tempfile.TemporaryDirectory() as root:
        dirs = [Path(root, f"p{i}") for i in range(len(tree))]
        for base, specs in zip(dirs, tree, strict=True):
            for name, content in specs:
                spec_dir = base / "kernels" / name
                spec_dir.mkdir(parents=True)
                if content == b"<kernel.json dir>":
                    (spec_dir / "kernel.json").mkdir()
                elif content != b"<no kernel.json>":
                    (spec_dir / "kernel.json").write_bytes(content)
        # The last generated directory plays the user's data directory.
        saved = {k: os.environ.get(k) for k in ("JUPYTER_PATH", "JUPYTER_DATA_DIR")}
        os.environ["JUPYTER_PATH"] = os.pathsep.join(str(d) for d in dirs[:-1])
        os.environ["JUPYTER_DATA_DIR"] = str(dirs[-1])
        try:
            yield dirs
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def reference() -> dict[str, Any]:
    from jupyter_client.kernelspec import KernelSpecManager

    with warnings.catch_warnings():
        # Invalid names and unknown keys warn; as errors they would make it drop specs.
        warnings.simplefilter("ignore")
        specs: dict[str, Any] = KernelSpecManager().get_all_specs()
    return specs


def warned(entry: SpecEntry) -> set[str]:
    """The top-level fields a lenient reading warned about."""
    assert entry.spec is not None
    return {w.split("'", 2)[1].split(".")[0] for w in entry.spec.warnings}


def compare() -> None:
    expected = reference()
    registry = SpecRegistry()
    ours = {e.name: e for e in registry.entries()}
    assert len(ours) == len(registry.entries())
    for name in set(expected) - set(ours):
        entry = registry.entry(name)
        assert entry.status == "invalid", (name, entry)
        assert entry.error is not None, entry.diagnostics
        assert entry.error.field in STRICTER_FIELDS, entry.diagnostics
    for name in set(ours) - set(expected):
        assert ours[name].spec is not None
        assert warned(ours[name]), (name, ours[name].diagnostics)
    for name in set(ours) & set(expected):
        entry, ref = ours[name], expected[name]
        assert entry.resource_dir == ref["resource_dir"], name
        assert entry.spec is not None
        got = entry.spec.to_dict()
        for key in ("argv", "display_name", "language", "env", "metadata", "interrupt_mode"):
            if key not in warned(entry):
                assert got[key] == ref["spec"][key], (name, key)
        if "env" in warned(entry):
            # Read as a person reads it: numbers as their text; what cannot be a value is left out.
            assert set(got["env"]) <= set(ref["spec"]["env"]), name


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(tree=trees, rewrite=st.integers(0, 20))
def test_listing_matches_jupyter_client(tree: list[list[tuple[str, bytes]]], rewrite: int) -> None:
    with spec_tree(tree) as dirs:
        compare()
        # Change one kernel.json in place and compare again: the caches must notice.
        files = sorted(p for d in dirs for p in d.glob("kernels/*/kernel.json") if p.is_file())
        if files:
            target = files[rewrite % len(files)]
            target.write_text(json.dumps({"argv": ["python"], "display_name": "rewritten!"}))
            compare()
