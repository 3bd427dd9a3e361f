"""KernelFinder.launch: from a kernel name to a running kernel and its manager."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kernelhub.errors import InvalidSpecError, LaunchParamsError
from kernelhub.manager import KernelFinder
from kernelhub.providers.base import KernelType
from kernelhub.providers.spec import SpecProvider

SCHEMA = {
    "type": "object",
    "properties": {"greeting": {"type": "string"}},
    "required": ["greeting"],
    "additionalProperties": False,
}


class SchemaProvider:
    """A provider publishing one kernel type whose argv takes a launch parameter."""

    id = "schema"

    def find(self, *, include_hidden: bool = False) -> Iterator[KernelType]:
        yield KernelType(
            id="schema/greeter",
            provider="schema",
            name="greeter",
            display_name="Greeter",
            language="python",
            argv=("python", "-m", "ipykernel_launcher", "-f", "{connection_file}"),
            env={"GREETING": "{greeting}"},
            interpreter=sys.executable,
            launch_schema=SCHEMA,
        )


async def test_launch_by_bare_name_gives_a_ready_kernel() -> None:
    finder = KernelFinder([SpecProvider()])
    info, manager = await finder.launch("python3", cwd=os.getcwd())
    async with manager:
        assert manager.is_alive()
        assert all(port > 0 for port in (info.shell_port, info.iopub_port, info.hb_port))
        assert manager.kernel_type.id == "spec/python3"
        async with manager.client() as client:
            reply = await client.kernel_info(timeout=30)
        assert reply["language_info"]["name"] == "python"
    assert not manager.is_alive()


async def test_launch_refuses_an_invalid_spec(jupyter_dirs: Any) -> None:
    broken = Path(jupyter_dirs.path_kernels) / "broken"
    broken.mkdir(parents=True)
    (broken / "kernel.json").write_text(json.dumps({"argv": [], "display_name": "x"}))
    with pytest.raises(InvalidSpecError, match=r"broken.kernel.json: field .argv."):
        await KernelFinder([SpecProvider()]).launch("broken")


async def test_launch_params_are_checked_against_the_schema() -> None:
    finder = KernelFinder([SchemaProvider()])
    with pytest.raises(LaunchParamsError, match="greeting"):
        await finder.launch("schema/greeter", launch_params={"greeting": 42})
    with pytest.raises(LaunchParamsError, match="greeting"):
        await finder.launch("schema/greeter", launch_params={})
