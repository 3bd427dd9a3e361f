"""Run every benchmark: ``python bench/run.py [--quick] [NAME ...]``.

Each ``bench/bench_<name>.py`` module has ``run(quick: bool) -> list[Result]`` and a ``TITLE``.
Results are printed side by side with the reference stack measured in the same run.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _harness import print_results  # noqa: E402


def main() -> int:
    names = sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="few runs: a smoke test, not figures")
    parser.add_argument(
        "only", nargs="*", choices=[*names, []], metavar="NAME", help=", ".join(names)
    )
    args = parser.parse_args()
    missed = 0
    for name in args.only or names:
        module = importlib.import_module(f"bench_{name}")
        results = module.run(args.quick)
        print_results(getattr(module, "TITLE", name), results)
        missed += sum(1 for r in results if r.met is False)
    print(f"\n{missed} target(s) missed" if missed else "\nall targets met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
