"""Header dates: made cheaply as strings, parsed only on request.

Headers keep ``date`` as the string that came over the wire: parsing every date of every
message (as jupyter_client does) costs more than the rest of deserialization, and most
callers never look at it. :func:`parse_date` reads one when it is wanted.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone

__all__ = ["parse_date", "utc_now"]

# (second, its formatted prefix), replaced as one tuple so threads never see a torn pair.
_cache: tuple[int, str] = (-1, "")


def utc_now() -> str:
    """The current UTC time as ISO 8601 with microseconds and ``Z`` (jupyter_client's format).

    The part up to the seconds is cached: formatting a datetime per message costs more than
    the HMAC that signs it.
    """
    global _cache
    now = time.time()
    second = int(now)
    cached_second, prefix = _cache
    if second != cached_second:
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _cache = (second, prefix)
    return f"{prefix}.{int((now - second) * 1_000_000):06d}Z"


_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?"
)


def parse_date(value: object) -> datetime | None:
    """Parse a header date into an aware :class:`~datetime.datetime`; ``None`` if it is not one.

    Accepts what real kernels send: ``Z`` or ``+hh:mm``/``+hhmm``/``+hh`` offsets, any number
    of fractional digits, and no timezone at all, which is read as local time (as
    jupyter_client does). Never raises.
    """
    if not isinstance(value, str):
        return None
    match = _DATE.fullmatch(value.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        parsed = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro
        )
        if zone is None:
            return parsed.astimezone()
        if zone in "Zz":
            return parsed.replace(tzinfo=timezone.utc)
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
        return parsed.replace(tzinfo=timezone(-offset if zone[0] == "-" else offset))
    except (ValueError, OverflowError, OSError):
        # OSError: the platform's local-time conversion fails far outside its range.
        return None
