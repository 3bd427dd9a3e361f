"""Client-side CPU of the protocol layer: kernelhub's Session against jupyter_client's.

Run: ``python bench/run.py protocol``. One "round trip" is what a
client does for ``execute("1+1")``: build and serialize one ``execute_request``, then verify
and parse the five messages ipykernel answers with (status busy, execute_input,
execute_result, status idle, execute_reply). Runs alternate between the two implementations
(ABBA) and medians are reported, because these machines are shared and noisy.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from _harness import Result, compare
from jupyter_client.session import Session as JupyterSession

from kernelhub.protocol import Session

TITLE = "protocol layer CPU (issue 3)"

KEY = b"0a1b2c3d-4e5f60718293a4b5c6d7e8f9"
BATCH = 500


def _kernel_replies(n: int) -> list[list[list[bytes]]]:
    """``n`` distinct sets of the five replies, signed by a jupyter_client 'kernel'."""
    kernel = JupyterSession(key=KEY)
    client = JupyterSession(key=KEY)
    out = []
    for i in range(n):
        req = client.msg("execute_request", {"code": "1+1", "silent": False})
        ident = [b"client-identity"]
        replies = [
            kernel.msg("status", {"execution_state": "busy"}, parent=req),
            kernel.msg("execute_input", {"code": "1+1", "execution_count": i}, parent=req),
            kernel.msg(
                "execute_result",
                {"data": {"text/plain": "2"}, "metadata": {}, "execution_count": i},
                parent=req,
            ),
            kernel.msg("status", {"execution_state": "idle"}, parent=req),
            kernel.msg(
                "execute_reply",
                {"status": "ok", "execution_count": i, "user_expressions": {}, "payload": []},
                parent=req,
                metadata={"started": "2024-01-01T00:00:00.000000Z", "dependencies_met": True},
            ),
        ]
        out.append([kernel.serialize(r, ident) for r in replies])
    return out


def _ours(batch: list[list[list[bytes]]]) -> Callable[[], None]:
    session = Session(KEY)
    content = {"code": "1+1", "silent": False, "store_history": True, "allow_stdin": True}

    def run() -> None:
        for replies in batch:
            session.serialize(session.message("execute_request", content))
            for frames in replies:
                session.deserialize(frames)

    return run


def _theirs(batch: list[list[list[bytes]]]) -> Callable[[], None]:
    session = JupyterSession(key=KEY)
    content = {"code": "1+1", "silent": False, "store_history": True, "allow_stdin": True}

    def run() -> None:
        for replies in batch:
            session.serialize(session.msg("execute_request", content))
            for frames in replies:
                _, rest = session.feed_identities(frames)
                session.deserialize(rest)

    return run


def _parts(batch: list[list[list[bytes]]]) -> dict[str, Callable[[], None]]:
    """Per-message serialize and deserialize+verify, each side."""
    ours, theirs = Session(KEY), JupyterSession(key=KEY)
    flat = [frames for replies in batch for frames in replies][:BATCH]
    content = {"code": "1+1", "silent": False, "store_history": True, "allow_stdin": True}

    def ours_ser() -> None:
        for _ in range(BATCH):
            ours.serialize(ours.message("execute_request", content))

    def theirs_ser() -> None:
        for _ in range(BATCH):
            theirs.serialize(theirs.msg("execute_request", content))

    def ours_de() -> None:
        for frames in flat:
            ours.deserialize(frames, verify=True)
        ours._history = type(ours._history)(ours._history.size)  # the same frames next run

    def theirs_de() -> None:
        for frames in flat:
            _, rest = theirs.feed_identities(frames)
            theirs.deserialize(rest)
        theirs.digest_history.clear()

    return {
        "serialize/ours": ours_ser,
        "serialize/jc": theirs_ser,
        "deserialize/ours": ours_de,
        "deserialize/jc": theirs_de,
    }


def _time(fn: Callable[[], None]) -> float:
    start = time.process_time()
    fn()
    return (time.process_time() - start) / BATCH * 1e6


def run(quick: bool) -> list[Result]:
    """Medians (µs of CPU) per message and per client round trip, interleaved ABBA."""
    rounds = 3 if quick else 21
    batch = _kernel_replies(BATCH)
    cases = _parts(batch)
    results = [
        compare(
            f"{what} one message",
            lambda what=what: _time(cases[f"{what}/ours"]),
            lambda what=what: _time(cases[f"{what}/jc"]),
            runs=rounds,
            unit="µs CPU",
        )
        for what in ("serialize", "deserialize")
    ]
    results.append(
        compare(
            "execute round trip, protocol layer",
            lambda: _time(_ours(batch)),
            lambda: _time(_theirs(batch)),
            runs=rounds,
            unit="µs CPU",
            target=0.6,
            note="1 serialize + 5 verify/parse, as a client does for execute('1+1')",
        )
    )
    return results
