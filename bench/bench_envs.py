"""Benchmark: discovery of 200 synthetic environments (mixed kinds), cold and warm.

Run: ``python bench/run.py envs``. Each run is a fresh
interpreter (so nothing is cached, in the process or in our code) that imports kernelhub,
then times the first discovery (cold), a second one (warm: the cache checked by stat), and
one with ``refresh=True`` (a full rescan in a warmed-up process), in wall-clock and CPU time.
Medians are printed, with min and max, since these machines are shared and noisy.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _harness import Result, compare

_CHILD = """
import json, sys, time
t0 = time.perf_counter()
from kernelhub.envs import discover, SystemRoots
t1 = time.perf_counter()
spec = json.loads(sys.argv[1])
system = SystemRoots(tuple(spec["conda_roots"]), (), tuple(spec["bin_dirs"]))
def run(**kw):
    t, c = time.perf_counter(), time.process_time()
    r = discover(cwd=spec["cwd"], environ=spec["environ"], system=system, **kw)
    return time.perf_counter() - t, time.process_time() - c, len(r)
cold, cold_cpu, n = run()
warm, warm_cpu, _ = run()
rescan, rescan_cpu, _ = run(refresh=True)
print(json.dumps({"import": t1 - t0, "cold": cold, "cold cpu": cold_cpu, "warm": warm,
                  "warm cpu": warm_cpu, "rescan": rescan, "rescan cpu": rescan_cpu, "n": n}))
"""


TITLE = "environment discovery (issue 4)"
BIN = Path(sys.executable).parent


def _cli_listing(layout: Any, runs: int) -> Result:
    """The whole ``kernelhub list --json`` (100 specs plus the layout's environments) against
    ``jupyter kernelspec list --json`` (the 100 specs only), as whole processes."""
    from spec_trees import make_tree

    root, env = make_tree(100)
    try:
        env.update(
            HOME=str(layout.home),
            PATH=os.pathsep.join([layout.environ["PATH"], "/usr/bin", "/bin"]),
        )
        ours_cmd = [str(BIN / "kernelhub"), "list", "--json"]
        theirs_cmd = [str(BIN / "jupyter"), "kernelspec", "list", "--json"]

        def timed(cmd: list[str]) -> Callable[[], float]:
            def once() -> float:
                start = time.perf_counter()
                subprocess.run(cmd, env=env, cwd=layout.cwd, stdout=subprocess.DEVNULL, check=True)
                return (time.perf_counter() - start) * 1000

            return once

        listed = subprocess.run(ours_cmd, env=env, cwd=layout.cwd, capture_output=True, check=True)
        theirs_listed = subprocess.run(theirs_cmd, env=env, capture_output=True, check=True)
        ours_n = len(json.loads(listed.stdout))
        theirs_n = len(json.loads(theirs_listed.stdout)["kernelspecs"])
        return compare(
            "CLI list --json, 100 specs + 200 envs",
            timed(ours_cmd),
            timed(theirs_cmd),
            runs=runs,
            target=0.5,
            note=f"kernelhub lists {ours_n} kernel types, jupyter {theirs_n} kernelspecs",
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run(quick: bool, n: int = 200) -> list[Result]:
    """Build the layout once, then measure in fresh processes; medians of each figure."""
    runs = 3 if quick else 15
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.envs.layouts import build_layout

    with tempfile.TemporaryDirectory() as tmp:
        layout = build_layout(Path(tmp), n=n)
        spec = {
            "cwd": str(layout.cwd),
            "environ": layout.environ,
            "conda_roots": list(layout.system.conda_roots),
            "bin_dirs": list(layout.system.bin_dirs),
        }
        # Files written in the last clock tick are not trusted by the cache: let them age
        # (the cache's documented window is 50 ms), so "warm" measures a cache hit.
        time.sleep(0.1)
        keys = ("import", "cold", "cold cpu", "warm", "warm cpu", "rescan", "rescan cpu")
        samples: dict[str, list[float]] = {key: [] for key in keys}
        for _ in range(runs):
            out = subprocess.run(
                [sys.executable, "-c", _CHILD, json.dumps(spec)],
                capture_output=True,
                text=True,
                check=True,
                # Discovery reads (and adds project envs to) the registry in the Jupyter data
                # dir: the layout's own, not the user's.
                env={
                    **os.environ,
                    "PYTHONDONTWRITEBYTECODE": "1",
                    "JUPYTER_DATA_DIR": str(Path(tmp) / "data"),
                },
            )
            result = json.loads(out.stdout)
            assert result["n"] == n, result
            for key, values in samples.items():
                values.append(result[key] * 1000)
        cli = _cli_listing(layout, runs)
    med = {key: statistics.median(values) for key, values in samples.items()}
    return [
        cli,
        Result(f"discover {n} envs, cold", med["cold"], None, "ms", runs, target=50),
        Result(f"discover {n} envs, cold (CPU)", med["cold cpu"], None, "ms", runs),
        Result(f"discover {n} envs, warm (stat check)", med["warm"], None, "ms", runs),
        Result(f"discover {n} envs, full rescan", med["rescan"], None, "ms", runs),
        Result("import kernelhub.envs", med["import"], None, "ms", runs),
    ]
