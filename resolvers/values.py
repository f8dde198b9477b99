"""Checks of single values as the documents type them ("long or string", 32-bit ids, ISO 8601 times,
`"true"`/`"false"` flags, whole numbers given as strings): each answers the value, normalised, or
raises BadParameter with the documented message.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from typing import Any, NewType

from contextgraph.resolvers.errors import BadParameter, MalformedBody
from contextgraph.resolvers.timefmt import OutOfRange, format_ms, parse_ms

_INT64 = 2**63
Check = Callable[[str, Any], Any]


def long_or_string(name: str, value: Any) -> Any:
    """ "long or string": a JSON integer or a non-empty string, kept exactly as given."""
    if isinstance(value, int) and not isinstance(value, bool) and -_INT64 <= value < _INT64:
        return value
    if isinstance(value, str) and value.strip() and len(value) <= 256:
        return value
    raise BadParameter(name, "expected a long or a non-empty string of at most 256 characters")


def integer(name: str, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and -_INT64 <= value < _INT64:
        return value
    raise BadParameter(name, f"expected an integer, got {_json_kind(value)}")


def int32(name: str, value: Any) -> int:
    """A state or task id: the documents make them 32-bit."""
    if not -(2**31) <= integer(name, value) < 2**31:
        raise BadParameter(name, "not a 32-bit id")
    return int(value)


def non_negative(name: str, value: Any) -> int:
    if integer(name, value) < 0:
        raise BadParameter(name, "must not be negative")
    return int(value)


def seconds(name: str, value: Any) -> int:
    """An estimated duration in seconds: not negative, and 32-bit as it is stored (PostgreSQL's
    integer refused 2^31 with a 500)."""
    if non_negative(name, value) >= 2**31:
        raise BadParameter(name, f"at most {2**31 - 1} seconds")
    return int(value)


def text(limit: int) -> Check:
    def check(name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise BadParameter(name, f"expected a string, got {_json_kind(value)}")
        if len(value) > limit:
            raise BadParameter(name, f"longer than {limit} characters")
        return value

    return check


# Characters a reader does not see: controls (CR, LF, NUL…), format characters (zero-width space,
# joiners, BOM, soft hyphen…) and the line and paragraph separators.
_UNSEEN = frozenset({"Cc", "Cf", "Zl", "Zp"})


def unseen(char: str) -> bool:
    return unicodedata.category(char) in _UNSEEN


def visible_text(limit: int) -> Check:
    """Text that names something in URLs and headers (an interaction id): no unseen characters."""
    as_text = text(limit)

    def check(name: str, value: Any) -> str:
        checked: str = as_text(name, value)
        if any(unseen(char) for char in checked):
            raise BadParameter(name, "may not hold control or invisible characters")
        return checked

    return check


def identifier(limit: int) -> Check:
    """An id another system made: a string, or an integer as the documents' examples send."""
    as_text = text(limit)

    def check(name: str, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return as_text(name, value)

    return check


def timestamp(name: str, value: Any) -> str:
    try:
        return format_ms(parse_ms(value))
    except (TypeError, ValueError) as exc:
        raise not_a_time(name, value, exc) from None


def not_a_time(name: str, value: Any, exc: Exception) -> BadParameter:
    """The 400 for a value that is no ISO 8601 date/time, or one outside years 1-9999 in UTC."""
    if isinstance(exc, OutOfRange):
        return BadParameter(name, f"'{value}' is out of range: {exc}")
    return BadParameter(name, f"'{value}' is not an ISO 8601 date/time")


def flag(name: str, value: Any) -> bool:
    """A boolean: true/false, or "true"/"false" as the documents' own examples send them."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise BadParameter(name, "expected true or false")


def whole_number(name: str, value: Any, low: int, high: int | None = None) -> int:
    """An integer in a range, given as a JSON integer or as a string of ASCII digits ("10"; not "²",
    which str.isdigit takes and int refuses, nor thousands of digits, which int refuses too)."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value) <= 40:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and low <= value and (high is None or value <= high):
        return value
    bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
    raise BadParameter(name, f"expected an integer {bounds}")


def time_param(name: str, value: str | None) -> int | None:
    """A date/time filter parameter as epoch milliseconds (None when not given)."""
    if value is None:
        return None
    try:
        return parse_ms(value)
    except (TypeError, ValueError) as exc:
        raise not_a_time(name, value, exc) from None


def _json_kind(value: Any) -> str:
    kinds = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
        type(None): "null",
    }
    return kinds.get(type(value), type(value).__name__)


def require_object(body: Any, what: str = "body") -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise MalformedBody(f"the {what} must be a JSON object")
    return body


# The types of the spec's values, as every surface names them (GraphQL maps each to a scalar).
Long = NewType("Long", int)  # a 64-bit integer: service ids, durations in milliseconds
LongOrString = NewType("LongOrString", object)  # "long or string": a JSON integer or a string, kept as given
Id = NewType("Id", str)  # an id a client passes back as it got it (customer ids)
