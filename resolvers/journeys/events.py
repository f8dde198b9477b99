"""Start, end and transition events ("Start Event List", "End Event List"): fields, types, limits.

`parse_event(body, SERVICE_START)` checks every documented field and returns the values as given
(timestamps normalised, set by the server when missing); any other key is an extension name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.timefmt import format_ms, now_ms, parse_ms
from contextgraph.resolvers.values import (
    Check,
    identifier,
    int32,
    integer,
    long_or_string,
    non_negative,
    require_object,
    text,
    timestamp,
)

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
