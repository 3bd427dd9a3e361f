"""The provider, ``which`` and ``check`` read files only: no interpreter, no conda, no shell."""

from __future__ import annotations

import pytest

from kernelhub.cli.check import check
from kernelhub.cli.which import locate, to_json
from tests.envkernels.conftest import World, write_spec
from tests.envs.test_no_subprocess import process_events

__all__ = ["process_events"]  # the audit-hook fixture, shared with the discovery tests

LAUNCH_TAIL = ["-m", "ipykernel_launcher", "-f", "{connection_file}"]


def test_provider_which_and_check_run_nothing(
    world: World, process_events: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(world.cwd)  # where uv/uvproj is the project's .venv
    write_spec(world.kernels, "ds", [str(world.datasci / "bin" / "python"), *LAUNCH_TAIL])
    process_events.clear()
    hidden = list(world.provider().find(include_hidden=True))
    assert {"conda/datasci", "conda/datasci-ir", "conda/plain"} <= {k.id for k in hidden}
    found = locate("conda/datasci")
    assert to_json(found)["environment"]["id"] == "conda/datasci"
    assert locate("spec/ds").environment == found.environment
    result = check("uv/uvproj", ["numpy", "ipykernel"])
    assert result["install_command"][:3] == ["uv", "pip", "install"]
    assert process_events == []
