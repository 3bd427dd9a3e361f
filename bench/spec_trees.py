"""Build isolated Jupyter directories holding N kernelspecs, for the listing benchmarks."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path


def make_tree(n: int) -> tuple[Path, dict[str, str]]:
    """A fresh temporary root with ``n`` specs on JUPYTER_PATH; returns (root, environment).

    The environment isolates HOME and every Jupyter directory, so both tools see exactly the
    same specs and nothing of the machine's own.
    """
    root = Path(tempfile.mkdtemp(prefix=f"kh-bench-{n}-"))
    kernels = root / "path" / "kernels"
    for i in range(n):
        d = kernels / f"bench-kernel-{i:04d}"
        d.mkdir(parents=True)
        spec = {
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": f"Bench kernel {i}",
            "language": "python",
            "env": {"BENCH_INDEX": str(i)},
            "metadata": {"debugger": True},
        }
        (d / "kernel.json").write_text(json.dumps(spec))
    for sub in ("home", "data", "config", "runtime"):
        (root / sub).mkdir(exist_ok=True)
    env = dict(os.environ)
    env.update(
        HOME=str(root / "home"),
        JUPYTER_PATH=str(root / "path"),
        JUPYTER_DATA_DIR=str(root / "data"),
        JUPYTER_CONFIG_DIR=str(root / "config"),
        JUPYTER_RUNTIME_DIR=str(root / "runtime"),
        IPYTHONDIR=str(root / "home" / ".ipython"),
        JUPYTER_PREFER_ENV_PATH="0",
        JUPYTER_PLATFORM_DIRS="1",
    )
    return root, env
