"""Replay protection: a bounded history of verified signatures."""

from __future__ import annotations

import pytest

from kernelhub.errors import LocalProtocolError, SignatureError
from kernelhub.protocol import ReplayHistory, Session


def _frames(sender: Session, n: int) -> list[list[bytes]]:
    return [sender.serialize(sender.message("status", {"i": i})) for i in range(n)]


def test_the_same_signed_frames_twice_is_a_replay() -> None:
    sender, receiver = Session(b"k"), Session(b"k")
    (frames,) = _frames(sender, 1)
    receiver.deserialize(frames)
    with pytest.raises(SignatureError, match="replayed"):
        receiver.deserialize(frames)


def test_history_is_bounded_and_evicts_the_oldest() -> None:
    sender, receiver = Session(b"k"), Session(b"k", replay_history=3)
    first, second, third, fourth = _frames(sender, 4)
    for frames in (first, second, third, fourth):
        receiver.deserialize(frames)
    assert len(receiver._history) == 3
    receiver.deserialize(first)  # evicted, so accepted again (and now the newest)
    with pytest.raises(SignatureError):
        receiver.deserialize(fourth)
    with pytest.raises(SignatureError):
        receiver.deserialize(first)


def test_forged_frames_do_not_enter_the_history() -> None:
    sender, receiver = Session(b"k"), Session(b"k")
    (frames,) = _frames(sender, 1)
    forged = [*frames[:-1], b'{"i":666}']  # same signature, other content
    with pytest.raises(SignatureError, match="invalid"):
        receiver.deserialize(forged)
    receiver.deserialize(frames)  # the genuine message is still accepted once


def test_unverified_peeks_are_not_recorded() -> None:
    sender, receiver = Session(b"k"), Session(b"k")
    (frames,) = _frames(sender, 1)
    receiver.deserialize(frames, verify=False)
    receiver.deserialize(frames, verify=False)
    receiver.deserialize(frames)


def test_history_of_zero_disables_the_check() -> None:
    sender, receiver = Session(b"k"), Session(b"k", replay_history=0)
    (frames,) = _frames(sender, 1)
    receiver.deserialize(frames)
    receiver.deserialize(frames)


def test_unsigned_sessions_keep_no_history() -> None:
    sender, receiver = Session(), Session()
    (frames,) = _frames(sender, 1)
    receiver.deserialize(frames)
    receiver.deserialize(frames)
    assert len(receiver._history) == 0


def test_negative_history_is_refused() -> None:
    with pytest.raises(LocalProtocolError):
        ReplayHistory(-1)


def test_long_run_stays_within_the_bound() -> None:
    history = ReplayHistory(100)
    for i in range(10_000):
        assert history.add(str(i).encode())
    assert len(history) == 100
    assert b"9999" in history
    assert b"0" not in history
