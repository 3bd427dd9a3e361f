"""Kernelspec listing: kernelhub against jupyter_client, in the same run.

Whole processes: ``kernelhub list --json`` against ``jupyter kernelspec list --json`` with 2,
100 and 1,000 specs. In-process: the first and the repeated listing of 1,000 specs against
``KernelSpecManager().get_all_specs()``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from _harness import Result, compare
from spec_trees import make_tree

TITLE = "kernelspec listing (issue 2)"
BIN = Path(sys.executable).parent


def _process(cmd: list[str], env: dict[str, str]) -> Callable[[], float]:
    def once() -> float:
        start = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
        return (time.perf_counter() - start) * 1000

    return once


def _in_process(env: dict[str, str], runs: int) -> list[Result]:
    import warnings

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        from kernelhub.providers.finder import KernelFinder
        from kernelhub.specs import SpecRegistry, clear_caches

        def ours_first() -> float:
            clear_caches()
            start = time.perf_counter()
            SpecRegistry().entries()
            return (time.perf_counter() - start) * 1000

        def theirs_first() -> float:
            start = time.perf_counter()
            KernelSpecManager().get_all_specs()
            return (time.perf_counter() - start) * 1000

        registry = SpecRegistry()
        registry.entries()
        finder = KernelFinder.from_entrypoints()
        finder.find_kernels()
        ksm = KernelSpecManager()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ksm.get_all_specs()

        def ours_again() -> float:
            start = time.perf_counter()
            registry.entries()
            return (time.perf_counter() - start) * 1000

        def finder_again() -> float:
            start = time.perf_counter()
            finder.find_kernels()
            return (time.perf_counter() - start) * 1000

        def theirs_again() -> float:
            start = time.perf_counter()
            ksm.get_all_specs()
            return (time.perf_counter() - start) * 1000

        return [
            compare("first listing, 1,000 specs", ours_first, theirs_first, runs=runs, target=0.7),
            compare(
                "repeated listing, 1,000 specs", ours_again, theirs_again, runs=runs, target=0.1
            ),
            compare(
                "repeated finder.find_kernels(), 1,000 specs",
                finder_again,
                theirs_again,
                runs=runs,
                note="every provider, KernelType records built",
            ),
        ]
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run(quick: bool) -> list[Result]:
    """Measure every case; ``quick`` runs each a few times only."""
    runs = 3 if quick else 21
    results = []
    roots = []
    try:
        for n in (2, 100, 1000):
            root, env = make_tree(n)
            roots.append(root)
            ours = _process([str(BIN / "kernelhub"), "list", "--json"], env)
            theirs = _process([str(BIN / "jupyter"), "kernelspec", "list", "--json"], env)
            ours()  # warm the OS caches for both before measuring
            theirs()
            results.append(
                compare(f"CLI list --json, {n} specs", ours, theirs, runs=runs, target=0.5)
            )
        root, env = make_tree(1000)
        roots.append(root)
        results.extend(_in_process(env, runs * 3))
    finally:
        for root in roots:
            shutil.rmtree(root, ignore_errors=True)
    return results
