"""Times on the wire: ISO 8601 in, `YYYY-MM-DDTHH:mm:ss.SSSZ` out; epoch milliseconds inside.

An input without an offset is UTC, as the documents' own examples (`2009-05-07T12:05:20.157`) assume.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def parse_ms(text: str) -> int:
    """Epoch milliseconds of an ISO 8601 date or date-time; ValueError when it is not one."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("not an ISO 8601 date/time")
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - _EPOCH) // timedelta(milliseconds=1)


def format_ms(ms: int) -> str:
    """`YYYY-MM-DDTHH:mm:ss.SSSZ` (a tree formats thousands: arithmetic, the date cached by day)."""
    seconds, millis = divmod(ms, 1000)
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{_date(days)}T{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}Z"


@lru_cache(maxsize=4096)
def _date(days: int) -> str:
    return f"{(_EPOCH + timedelta(days=days)).date():%Y-%m-%d}"
