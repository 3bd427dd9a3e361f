"""Hypothesis strategies shared by the protocol tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

# Surrogates included on purpose: lone ones reach us from filenames decoded with
# surrogateescape, and must survive a round trip.
text = st.text(st.characters(codec=None, exclude_categories=()), max_size=20)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
)

json_values: st.SearchStrategy[Any] = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)

json_objects = st.dictionaries(text, json_values, max_size=5)

buffers = st.lists(st.binary(max_size=64), max_size=3)

identities = st.lists(
    st.binary(min_size=1, max_size=8).filter(lambda b: b != b"<IDS|MSG>"), max_size=3
)

msg_types = st.sampled_from(
    ["execute_request", "kernel_info_request", "comm_msg", "stream", "status"]
) | st.text(min_size=1, max_size=12)
