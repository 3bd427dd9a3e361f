"""Import names to distributions: from installed files first, then the table of famous ones."""

from __future__ import annotations

from pathlib import Path

from kernelhub.envs.imports import KNOWN, providers_of
from tests.envs.conftest import Setup
from tests.envs.layouts import make_venv, write_dist


def test_top_level_txt_then_record_then_the_table(setup: Setup, base_exe: Path) -> None:
    venv = make_venv(setup.cwd / ".venv", base_exe, "3.12.3")
    site = venv / "lib" / "python3.12" / "site-packages"
    dist = write_dist(site, "scikit-learn", "1.5.0")
    (dist / "top_level.txt").write_text("sklearn\n")
    record = write_dist(site, "opencv-python-headless", "4.10.0")
    (record / "RECORD").write_text(
        "cv2/__init__.py,sha256=x,10\ncv2/data/haar.xml,,\n"
        "opencv_python_headless-4.10.0.dist-info/METADATA,,\n"
        "six.py,,\n_cffi_backend.cpython-312-x86_64-linux-gnu.so,,\n../../../bin/tool,,\n"
    )
    env = setup.by_prefix(setup.discover(), venv)
    assert providers_of("sklearn", [env]) == ["scikit-learn"]
    assert providers_of("cv2", [env]) == ["opencv-python-headless"]  # not the table's guess
    assert providers_of("six", [env]) == ["opencv-python-headless"]
    assert providers_of("_cffi_backend", [env]) == ["opencv-python-headless"]
    assert providers_of("tool", [env]) == []
    assert providers_of("yaml", [env]) == ["pyyaml"]  # installed nowhere: the table
    assert providers_of("google.protobuf", []) == ["protobuf"]
    assert providers_of("nosuchmodule", [env]) == []


def test_the_table_holds_the_famous_mismatches() -> None:
    for name, dist in {
        "sklearn": "scikit-learn",
        "cv2": "opencv-python",
        "PIL": "pillow",
        "yaml": "pyyaml",
        "bs4": "beautifulsoup4",
    }.items():
        assert KNOWN[name] == dist
    assert all(name != dist for name, dist in KNOWN.items())
