"""The layout is the architecture: layers import downward only, no module imports itself back
through others, and no module grows past 400 lines.

Every import counts: at module level, under ``TYPE_CHECKING`` and inside functions alike (a
cycle hidden in a function is still a cycle in the design). Read with ``ast``, nothing is run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
MAX_LINES = 400

# Bottom to top; a module may import from its own layer and from the layers below it. The key
# is the first name under ``kernelhub`` (a package or a module).
LAYERS: list[tuple[str, ...]] = [
    ("errors", "aio", "environ", "paths", "_version", "_lazy"),
    ("protocol",),
    ("connection",),
    ("envs",),
    ("specs",),
    ("providers",),
    ("launchers",),
    ("client",),
    ("manager",),
    ("multikernel",),
    ("kernel",),
    ("doctor",),
    ("server",),
    ("cli",),
    ("__init__", "__main__"),  # the facade on top
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted((SRC / "kernelhub").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, source: str, is_package: bool = False) -> Iterator[str]:
    """Every kernelhub module that module ``name`` (of this ``source``) imports, anywhere."""
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            # ``from pkg import mod`` imports ``pkg.mod``; ``from mod import f``, ``mod``.
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names
            ]
        else:
            continue
        for dotted in targets:
            target = dotted
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target.startswith("kernelhub") and target != name:
                yield target


GRAPH = {
    name: sorted(set(_imports(name, path.read_text(encoding="utf-8"), path.name == "__init__.py")))
    for name, path in MODULES.items()
}


def _rank(module: str) -> int:
    parts = module.split(".")
    return RANK["__init__"] if len(parts) == 1 else RANK[parts[1]]


def _cycles(graph: dict[str, list[str]]) -> set[tuple[str, ...]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: set[tuple[str, ...]] = set()

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while (w := stack.pop()) != v:
                component.append(w)
            component.append(v)
            if len(component) > 1:
                found.add(tuple(sorted(component)))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_every_module_has_a_layer() -> None:
    unplaced = [m for m in MODULES if m != "kernelhub" and m.split(".")[1] not in RANK]
    assert unplaced == [], "add these to LAYERS"


def test_imports_go_downward_only() -> None:
    upward = {(a, b) for a, targets in GRAPH.items() for b in targets if _rank(b) > _rank(a)}
    assert sorted(upward) == [], "upward imports (importer, imported)"


def test_no_import_cycles() -> None:
    cycles = _cycles(GRAPH)
    assert sorted(cycles) == [], "modules that import each other, directly or not"


def test_modules_stay_small() -> None:
    sizes = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in MODULES.items()}
    long = {m for m, n in sizes.items() if n > MAX_LINES}
    assert sorted(long) == [], f"modules over {MAX_LINES} lines"


def test_the_checker_sees_imports_everywhere() -> None:
    # The graph is only as good as its parser: imports in functions, under TYPE_CHECKING,
    # relative ones and ``from package import module`` must all be edges.
    source = """
from typing import TYPE_CHECKING
from . import session
if TYPE_CHECKING:
    from ..errors import KernelhubError
def later():
    import kernelhub.paths
    from kernelhub.client.async_client import AsyncKernelClient
"""
    edges = set(_imports("kernelhub.protocol.message", source))
    assert edges == {
        "kernelhub.protocol.session",
        "kernelhub.errors",
        "kernelhub.paths",
        "kernelhub.client.async_client",
    }


def test_the_checker_finds_cycles_and_upward_imports() -> None:
    graph = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"], "e": ["e"]}
    assert _cycles(graph) == {("a", "b", "c")}
    assert _rank("kernelhub.client.async_client") > _rank("kernelhub.launchers.base")
    assert _rank("kernelhub") > _rank("kernelhub.cli")
