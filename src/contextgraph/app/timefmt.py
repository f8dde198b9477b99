"""Times on the wire: ISO 8601 in, `YYYY-MM-DDTHH:mm:ss.SSSZ` out; epoch milliseconds inside.

An input without an offset is UTC, as the documents' own examples (`2009-05-07T12:05:20.157`) assume.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

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
    value = _EPOCH + timedelta(milliseconds=ms)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
