"""Client-side CPU of the protocol layer: kernelhub's Session against jupyter_client's.

Run: ``.venv/bin/python tests/protocol/bench_session.py [rounds]``. One "round trip" is what a
client does for ``execute("1+1")``: build and serialize one ``execute_request``, then verify
and parse the five messages ipykernel answers with (status busy, execute_input,
execute_result, status idle, execute_reply). Runs alternate between the two implementations
(ABBA) and medians are reported, because these machines are shared and noisy.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

from jupyter_client.session import Session as JupyterSession

from kernelhub.protocol import Session

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
    return time.process_time() - start


def main(rounds: int = 21) -> None:
    """Print medians (µs) per message and per round trip, and the ratios."""
    batch = _kernel_replies(BATCH)
    cases = _parts(batch)
    samples: dict[str, list[float]] = {name: [] for name in [*cases, "rt/ours", "rt/jc"]}
    for i in range(rounds):
        order = ["ours", "jc"] if i % 2 == 0 else ["jc", "ours"]
        for side in order:
            run = _ours(batch) if side == "ours" else _theirs(batch)
            samples[f"rt/{side}"].append(_time(run) / BATCH * 1e6)
            for what in ("serialize", "deserialize"):
                samples[f"{what}/{side}"].append(_time(cases[f"{what}/{side}"]) / BATCH * 1e6)
    med = {name: statistics.median(values) for name, values in samples.items()}
    for what in ("serialize", "deserialize", "rt"):
        ours, theirs = med[f"{what}/ours"], med[f"{what}/jc"]
        label = {"rt": "round trip (1 ser + 5 deser)"}.get(what, what + " (per message)")
        print(
            f"{label:32} ours {ours:7.1f} µs  jupyter_client {theirs:7.1f} µs  "
            f"ratio {ours / theirs:.2f}  ({rounds} runs x {BATCH}, median CPU time)"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 21)
