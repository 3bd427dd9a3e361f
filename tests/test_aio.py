"""The resource base class and the deadline every layer uses."""

from __future__ import annotations

import time

import pytest

from kernelhub.aio import AsyncResource, BlockingResource, Deadline


class _Thing(AsyncResource):
    def __init__(self) -> None:
        self.closed = 0

    async def aclose(self) -> None:
        self.closed += 1


async def test_async_with_closes_once_and_returns_the_object() -> None:
    thing = _Thing()
    async with thing as entered:
        assert entered is thing
        assert thing.closed == 0
    assert thing.closed == 1


async def test_async_with_closes_when_the_body_raises() -> None:
    thing = _Thing()
    with pytest.raises(ZeroDivisionError):
        async with thing:
            1 / 0  # noqa: B018
    assert thing.closed == 1


def test_aclose_is_required() -> None:
    class Incomplete(AsyncResource):
        pass

    with pytest.raises(TypeError):
        Incomplete()  # type: ignore[abstract]


def test_deadline_counts_down_and_expires() -> None:
    deadline = Deadline(0.05)
    left = deadline.remaining()
    assert left is not None
    assert 0.0 < left <= 0.05
    assert deadline.within(10.0) <= 0.05
    assert deadline.within(0.001) == 0.001
    assert not deadline.expired
    end = time.monotonic() + 5.0
    while not deadline.expired:  # a bounded spin on the clock itself, nothing to wait for
        assert time.monotonic() < end
    assert deadline.remaining() == 0.0
    assert deadline.within(1.0) == 0.0


def test_no_deadline_never_expires() -> None:
    deadline = Deadline.never()
    assert deadline.remaining() is None
    assert deadline.within(3.0) == 3.0
    assert not deadline.expired
    assert repr(deadline) == "Deadline(never)"


class _Blocking(BlockingResource):
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def test_with_closes_a_blocking_resource_even_when_the_body_raises() -> None:
    thing = _Blocking()
    with thing as entered:
        assert entered is thing
        assert thing.closed == 0
    assert thing.closed == 1
    with pytest.raises(ZeroDivisionError), thing:
        1 / 0  # noqa: B018
    assert thing.closed == 2
