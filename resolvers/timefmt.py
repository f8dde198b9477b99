"""Times on the wire: ISO 8601 in, `YYYY-MM-DDTHH:mm:ss.SSSZ` out; epoch milliseconds inside.

An input without an offset is UTC, as the documents' own examples (`2009-05-07T12:05:20.157`) assume.
Every time kept is a UTC instant of years 1-9999: one that its offset moves outside them
(`9999-12-31T23:59:59-14:00`) is refused like any other value that is not a time.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EARLIEST = (datetime(1, 1, 1, tzinfo=UTC) - _EPOCH) // timedelta(milliseconds=1)
_LATEST = (datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC) - _EPOCH) // timedelta(milliseconds=1)


class OutOfRange(ValueError):
    """A date/time whose UTC instant falls outside years 1-9999 (it could not be shown)."""


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def parse_ms(text: str) -> int:
    """Epoch milliseconds of an ISO 8601 date or date-time; ValueError when it is not one (OutOfRange
    when it is one whose UTC time falls outside years 1-9999)."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("not an ISO 8601 date/time")
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    ms = (value - _EPOCH) // timedelta(milliseconds=1)
    if not _EARLIEST <= ms <= _LATEST:
        raise OutOfRange("its UTC time falls outside years 0001-9999")
    return ms


def format_ms(ms: int) -> str:
    """`YYYY-MM-DDTHH:mm:ss.SSSZ` (a tree formats thousands: arithmetic, the date cached by day)."""
    seconds, millis = divmod(ms, 1000)
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{_date(days)}T{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}Z"


@lru_cache(maxsize=4096)
def _date(days: int) -> str:
    return (_EPOCH + timedelta(days=days)).date().isoformat()  # strftime's %Y drops year 1's zeros
