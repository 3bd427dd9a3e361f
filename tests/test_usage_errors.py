"""Calls kernelhub does not accept raise errors of the tree, which are the builtins too."""

from __future__ import annotations

import pytest

from kernelhub.client.portal import BlockingPortal
from kernelhub.connection import ConnectionInfo
from kernelhub.errors import (
    InvalidArgumentError,
    KernelhubError,
    UnknownArgumentError,
    UsageError,
    WrongStateError,
)

INFO = ConnectionInfo(shell_port=5001, iopub_port=5002, stdin_port=5003, control_port=5004)


def test_an_unknown_channel_is_an_invalid_argument() -> None:
    with pytest.raises(InvalidArgumentError, match="unknown channel 'nope'") as caught:
        INFO.port("nope")  # type: ignore[arg-type]
    assert isinstance(caught.value, UsageError)
    assert isinstance(caught.value, ValueError)


def test_ports_are_checked_by_name_and_value() -> None:
    with pytest.raises(UnknownArgumentError, match="unknown port 'shel'") as unknown:
        INFO.with_ports(shel=1)
    assert isinstance(unknown.value, TypeError)
    with pytest.raises(InvalidArgumentError, match="port 'shell' must be an int >= 0"):
        INFO.with_ports(shell=-1)


def test_a_portal_call_from_its_own_thread_is_the_wrong_state() -> None:
    async def add(a: int, b: int) -> int:
        return a + b

    with BlockingPortal() as portal:

        async def nested() -> int:
            return portal.call(add, 1, 2)

        with pytest.raises(WrongStateError, match="deadlock") as caught:
            portal.call(nested)
    assert isinstance(caught.value, KernelhubError)
    assert isinstance(caught.value, RuntimeError)
