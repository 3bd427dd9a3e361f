"""A broken kernel.json is one clear error at every entry point, never a traceback.

Each entry point (``kernelhub run``, ``kernelhub console``, :func:`kernelhub.start_kernel`,
:func:`kernelhub.start_kernel_blocking`, :meth:`KernelFinder.launch`, :class:`KernelManager`)
is tried with each kind of broken spec; a valid spec beside them still starts (real ipykernel).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from client_fixtures import install_test_specs, kernelhub_command

import kernelhub
from kernelhub.errors import InvalidSpecError, LaunchError
from kernelhub.manager import KernelFinder, KernelManager
from kernelhub.providers.spec import SpecProvider

# name -> (kernel.json content, or None for a spec directory without one; the field at fault;
# words the error must contain)
BROKEN: dict[str, tuple[str | None, str | None, str]] = {
    "empty-argv": (json.dumps({"argv": [], "display_name": "x"}), "argv", "empty list"),
    "argv-not-list": (json.dumps({"argv": "python -m ipykernel"}), "argv", "got string"),
    "invalid-json": ('{"argv": ["python", "-m"', None, "not valid JSON"),
    "missing-file": (None, None, "no kernel.json"),
    "argv-non-strings": (json.dumps({"argv": ["python", 3, None]}), "argv", "number at index 1"),
}


@pytest.fixture(autouse=True)
def broken_specs(jupyter_dirs: Any) -> Path:
    kernels = Path(jupyter_dirs.path_kernels)
    install_test_specs(kernels)
    for name, (content, _, _) in BROKEN.items():
        (kernels / name).mkdir(parents=True)
        if content is not None:
            (kernels / name / "kernel.json").write_text(content)
    return kernels


def check_error(exc: BaseException, name: str) -> None:
    _, field, words = BROKEN[name]
    assert isinstance(exc, InvalidSpecError)
    assert f"{name}{os.sep}kernel.json" in exc.path
    assert exc.field == field
    assert words in str(exc)
    assert "\n" not in str(exc)


def exists(path: str) -> bool:
    return os.path.exists(path)


def runtime_files(jupyter_dirs: Any) -> list[str]:
    runtime = Path(jupyter_dirs.runtime)
    return sorted(p.name for p in runtime.iterdir()) if runtime.exists() else []


@pytest.mark.parametrize("name", list(BROKEN))
async def test_library_entry_points_raise_invalid_spec_error(name: str, jupyter_dirs: Any) -> None:
    with pytest.raises(InvalidSpecError) as caught:
        async with kernelhub.start_kernel(name):
            pass
    check_error(caught.value, name)

    with pytest.raises(InvalidSpecError) as caught:
        await KernelFinder([SpecProvider()]).launch(name)
    check_error(caught.value, name)

    kernel_type = KernelFinder([SpecProvider()]).get(name)
    async with KernelManager(kernel_type) as km:
        with pytest.raises(InvalidSpecError) as caught:
            await km.start(timeout=10)
        check_error(caught.value, name)
        assert not exists(km.connection_file)
    assert runtime_files(jupyter_dirs) == []


@pytest.mark.parametrize("name", ["empty-argv", "invalid-json"])
def test_blocking_one_liner_raises_invalid_spec_error(name: str) -> None:
    with pytest.raises(InvalidSpecError) as caught:
        kernelhub.start_kernel_blocking(name)
    check_error(caught.value, name)


async def test_a_hand_made_type_with_an_empty_argv_is_a_launch_error(make_type: Any) -> None:
    async with KernelManager(make_type(())) as km:
        with pytest.raises(LaunchError, match=r"cannot launch test/test: argv is \[\]"):
            await km.start(timeout=10)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        kernelhub_command(*args),
        input="",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("name", list(BROKEN))
def test_run_and_console_print_one_line(name: str) -> None:
    _, _, words = BROKEN[name]
    for done in (cli("run", name, "-c", "1"), cli("console", name)):
        assert done.returncode != 0
        assert done.stdout == ""
        assert "Traceback" not in done.stderr
        # Warnings about other providers may come first; the error is one line of its own.
        errors = [line for line in done.stderr.splitlines() if line.startswith("kernelhub: ")]
        assert len(errors) == 1, done.stderr
        assert f"{name}{os.sep}kernel.json" in errors[0]
        assert words in errors[0]
        assert done.stderr.endswith(errors[0] + "\n")


def test_a_valid_spec_still_runs_beside_broken_ones() -> None:
    done = cli("run", "testpy", "-c", "print(6 * 7)")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "42\n"
