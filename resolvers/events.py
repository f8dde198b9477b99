"""Start, end and transition events ("Start Event List", "End Event List"): fields, types, limits.

`parse_event(body, SERVICE_START)` checks every documented field and returns the values as given
(timestamps normalised, set by the server when missing); any other key is an extension name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from contextgraph.app.errors import BadParameter, MalformedBody
from contextgraph.app.timefmt import format_ms, now_ms, parse_ms

_INT64 = 2**63
Check = Callable[[str, Any], Any]


def long_or_string(name: str, value: Any) -> Any:
    """"long or string": a JSON integer or a non-empty string, kept exactly as given."""
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


def text(limit: int) -> Check:
    def check(name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise BadParameter(name, f"expected a string, got {_json_kind(value)}")
        if len(value) > limit:
            raise BadParameter(name, f"longer than {limit} characters")
        return value

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
    except (TypeError, ValueError):
        raise BadParameter(name, f"'{value}' is not an ISO 8601 date/time") from None


def flag(name: str, value: Any) -> bool:
    """A boolean: true/false, or "true"/"false" as the documents' own examples send them."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise BadParameter(name, "expected true or false")


def whole_number(name: str, value: Any, low: int, high: int | None = None) -> int:
    """An integer in a range, given as a JSON integer or as a string of digits ("10")."""
    if isinstance(value, str) and value.strip().isdigit():
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
    except (TypeError, ValueError):
        raise BadParameter(name, f"'{value}' is not an ISO 8601 date/time") from None


def _json_kind(value: Any) -> str:
    kinds = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
             list: "an array", dict: "an object", type(None): "null"}  # fmt: skip
    return kinds.get(type(value), type(value).__name__)


_COMMON: dict[str, Check] = {
    "session_id": identifier(32),
    "interaction_id": identifier(50),
    "application_type": long_or_string,
    "application_id": integer,
    "resource_type": long_or_string,
    "resource_id": integer,
    "media_type": long_or_string,
    "timestamp": timestamp,
}
_DISPOSITION: dict[str, Check] = {"disposition": long_or_string, "disposition_desc": text(64)}

SERVICE_UPDATE = _COMMON | _DISPOSITION | {"service_type": long_or_string, "est_duration": non_negative}
SERVICE_START = SERVICE_UPDATE | {"customer_id": text(16), "contact_key": text(256)}
STATE_START = _COMMON | {"state_type": long_or_string, "previous_state_id": int32,
                         "est_duration": non_negative}  # fmt: skip
TASK_START = _COMMON | {"task_type": long_or_string, "state_id": int32, "est_duration": non_negative}
SERVICE_END = _COMMON | _DISPOSITION
STATE_END = SERVICE_END
TASK_END = SERVICE_END | {"state_id": int32}
TRANSITION_SHARED = _COMMON
TRANSITION_FROM = {"state_id": int32} | _DISPOSITION
TRANSITION_TO = {"state_type": long_or_string, "est_duration": non_negative}

# Fields a resource shows at its own level, so its start/end event does not repeat them.
START_LIFTED = frozenset({"service_type", "state_type", "task_type", "est_duration", "customer_id",
                          "contact_key", "state_id"})  # fmt: skip
END_LIFTED = frozenset({"disposition", "disposition_desc", "state_id"})


@dataclass
class Event:
    """A checked event: documented `fields` as given, and the remaining keys (`extensions`)."""

    fields: dict[str, Any]
    extensions: dict[str, Any] = field(default_factory=dict)

    @property
    def timestamp_ms(self) -> int:
        return parse_ms(self.fields["timestamp"])

    def without(self, lifted: frozenset[str]) -> dict[str, Any]:
        return {k: v for k, v in self.fields.items() if k not in lifted}


def require_object(body: Any, what: str = "body") -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise MalformedBody(f"the {what} must be a JSON object")
    return body


def parse_event(
    body: Any,
    spec: Mapping[str, Check],
    *,
    required: tuple[str, ...] = (),
    what: str = "body",
    stamp: bool = True,
) -> Event:
    """Check `body` against `spec`; `stamp` sets the server time when `timestamp` is missing."""
    body = require_object(body, what)
    event = Event(fields={})
    for key, value in body.items():
        check = spec.get(key)
        if check is None:
            event.extensions[key] = value
        elif value is not None:  # null is the same as leaving the field out
            event.fields[key] = check(key, value)
    for name in required:
        if name not in event.fields:
            raise BadParameter(name, "mandatory field is missing")
    if stamp and "timestamp" not in event.fields:
        event.fields["timestamp"] = format_ms(now_ms())
    return event
