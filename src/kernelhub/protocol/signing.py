"""HMAC signatures of messages, and the history of seen ones that stops replays."""

from __future__ import annotations

import hmac
from collections import deque

from kernelhub.errors import LocalProtocolError

__all__ = ["ReplayHistory", "Signer"]


class Signer:
    """Signs and verifies the four JSON frames of a message with a keyed HMAC.

    ``scheme`` is ``"hmac-<digest>"`` for any digest ``hashlib`` provides (``hmac-sha256``,
    ``hmac-sha512``, ``hmac-sha3_256``, ``hmac-blake2b``, ...). An empty key means unsigned:
    :meth:`sign` returns ``b""`` and :attr:`enabled` is false.
    """

    __slots__ = ("_base", "enabled", "scheme")

    def __init__(self, key: bytes, scheme: str = "hmac-sha256") -> None:
        if not isinstance(key, bytes):
            raise LocalProtocolError(f"signing key must be bytes, not {type(key).__name__}")
        prefix, _, digest = scheme.partition("-")
        if prefix != "hmac" or not digest:
            raise LocalProtocolError(
                f"unsupported signature_scheme {scheme!r}: expected 'hmac-<hashlib digest>'"
            )
        try:
            # Keyed once: each message then costs a copy() instead of re-hashing the key.
            base = hmac.new(key, digestmod=digest)
            base.copy().hexdigest()  # XOF digests (shake_*) fail only here
        except (ValueError, TypeError) as exc:
            raise LocalProtocolError(
                f"unsupported signature_scheme {scheme!r}: unknown digest {digest!r} ({exc})"
            ) from None
        self._base = base
        self.enabled = bool(key)
        self.scheme = scheme

    def sign(self, header: bytes, parent: bytes, metadata: bytes, content: bytes) -> bytes:
        """The hex signature of the four frames, as ASCII bytes (``b""`` when unsigned)."""
        if not self.enabled:
            return b""
        mac = self._base.copy()
        mac.update(header)
        mac.update(parent)
        mac.update(metadata)
        mac.update(content)
        return mac.hexdigest().encode()

    def verify(
        self, signature: bytes, header: bytes, parent: bytes, metadata: bytes, content: bytes
    ) -> bool:
        """Whether ``signature`` is right for the frames, compared in constant time."""
        expected = self.sign(header, parent, metadata, content)
        return hmac.compare_digest(signature, expected)


class ReplayHistory:
    """A bounded set of the signatures seen, oldest evicted first.

    A signature covers the header and so its unique ``msg_id``: seeing it again means the
    same message was sent twice, which a well-behaved peer never does.
    """

    __slots__ = ("_order", "_seen", "size")

    def __init__(self, size: int) -> None:
        if size < 0:
            raise LocalProtocolError(f"replay_history must be >= 0, not {size}")
        self.size = size
        self._seen: set[bytes] = set()
        self._order: deque[bytes] = deque()

    def __len__(self) -> int:
        return len(self._seen)

    def __contains__(self, signature: bytes) -> bool:
        return signature in self._seen

    def add(self, signature: bytes) -> bool:
        """Record ``signature``; ``False`` (and nothing recorded) if it was already seen."""
        if self.size == 0:
            return True
        seen = self._seen
        if signature in seen:
            return False
        if len(seen) >= self.size:
            seen.discard(self._order.popleft())
        seen.add(signature)
        self._order.append(signature)
        return True
