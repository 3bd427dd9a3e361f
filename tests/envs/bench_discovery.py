"""Benchmark: discovery of 200 synthetic environments (mixed kinds), cold and warm.

Run: ``python tests/envs/bench_discovery.py [--n 200] [--runs 15]``. Each run is a fresh
interpreter (so nothing is cached, in the process or in our code) that imports kernelhub,
then times the first discovery (cold), a second one (warm: the cache checked by stat), and
one with ``refresh=True`` (a full rescan in a warmed-up process), in wall-clock and CPU time.
Medians are printed, with min and max, since these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def main() -> None:
    """Build the layout once, then measure in fresh processes."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.envs.layouts import build_layout

    with tempfile.TemporaryDirectory() as tmp:
        layout = build_layout(Path(tmp), n=args.n)
        spec = {
            "cwd": str(layout.cwd),
            "environ": layout.environ,
            "conda_roots": list(layout.system.conda_roots),
            "bin_dirs": list(layout.system.bin_dirs),
        }
        # Files written in the last clock tick are not trusted by the cache; let them age.
        time.sleep(0.1)
        keys = ("import", "cold", "cold cpu", "warm", "warm cpu", "rescan", "rescan cpu")
        samples: dict[str, list[float]] = {key: [] for key in keys}
        for _ in range(args.runs):
            out = subprocess.run(
                [sys.executable, "-c", _CHILD, json.dumps(spec)],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            )
            result = json.loads(out.stdout)
            assert result["n"] == args.n, result
            for key, values in samples.items():
                values.append(result[key] * 1000)
    print(f"{args.n} environments, {args.runs} fresh processes (ms: median [min-max])")
    for key, values in samples.items():
        med = statistics.median(values)
        print(f"  {key:10s} {med:7.2f}  [{min(values):.2f}-{max(values):.2f}]")


if __name__ == "__main__":
    main()
