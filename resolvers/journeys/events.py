"""Start, end and transition events ("Start Event List", "End Event List"): fields, types, limits.

Each event is a model whose fields are the documented ones, each with the check that gives its
documented 400 (`Spec`); any other key of a body is an extension name. A model checks a body key by
key, in the body's order, as `parse_event` always has: null is the same as leaving a field out,
a missing `timestamp` is the server's time. `ServiceStartEvent.model_validate(body).event` is the
checked `Event` the journeys work with. GraphQL's input types are made from these models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator
from pydantic_core.core_schema import ValidatorFunctionWrapHandler

from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.timefmt import format_ms, now_ms, parse_ms
from contextgraph.resolvers.values import (
    Check,
    Id,
    Long,
    LongOrString,
    identifier,
    int32,
    integer,
    long_or_string,
    require_object,
    seconds,
    text,
)
from contextgraph.resolvers.values import (
    timestamp as iso_timestamp,
)

# Fields a resource shows at its own level, so its start/end event does not repeat them.
START_LIFTED = frozenset(
    {"service_type", "state_type", "task_type", "est_duration", "customer_id", "contact_key", "state_id"}
)
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


@dataclass(frozen=True)
class Spec:
    """A documented field: the check that gives its documented 400, and how GraphQL types it when
    its Python annotation does not say (a string or an integer, shown as a String)."""

    check: Check
    graphql: Any = None


def parse_event(
    body: Any, spec: Mapping[str, Check], *, required: tuple[str, ...] = (), what: str = "body", stamp: bool = True
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


class EventBody(BaseModel):
    """A documented event body; subclasses declare its fields (see the module's docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    REQUIRED: ClassVar[tuple[str, ...]] = ()
    STAMP: ClassVar[bool] = True
    WHAT: ClassVar[str] = "body"
    EXTENSIONS: ClassVar[bool] = True  # whether extension values may ride along

    extensions: dict[str, Any] = Field(default_factory=dict, description="Extension values by extension name.")
    _event: Event = PrivateAttr()

    @classmethod
    @cache
    def checks(cls) -> dict[str, Check]:
        """The documented fields and their checks."""
        return {
            name: meta.check
            for name, info in cls.model_fields.items()
            for meta in info.metadata
            if isinstance(meta, Spec)
        }

    @classmethod
    def parse(cls, body: Any, what: str | None = None) -> Event:
        return parse_event(body, cls.checks(), required=cls.REQUIRED, what=what or cls.WHAT, stamp=cls.STAMP)

    @model_validator(mode="wrap")
    @classmethod
    def _checked(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        if isinstance(value, cls):
            return value
        event = cls.parse(value)
        model = handler({**event.fields, "extensions": event.extensions})
        model._event = event
        return model

    @property
    def event(self) -> Event:
        """The checked event, fields in the body's order."""
        return self._event


class EventFields(EventBody):
    """Fields every service, state and task event may carry."""

    session_id: Annotated[str | int | None, Spec(identifier(32), graphql=str)] = None
    interaction_id: Annotated[str | int | None, Spec(identifier(50), graphql=str)] = None
    application_type: Annotated[LongOrString | None, Spec(long_or_string)] = None
    application_id: Annotated[Long | None, Spec(integer)] = None
    resource_type: Annotated[LongOrString | None, Spec(long_or_string)] = None
    resource_id: Annotated[Long | None, Spec(integer)] = None
    media_type: Annotated[LongOrString | None, Spec(long_or_string)] = None
    timestamp: Annotated[str | None, Spec(iso_timestamp)] = Field(None, description="ISO 8601; now if absent.")


class Disposition(EventFields):
    disposition: Annotated[LongOrString | None, Spec(long_or_string)] = None
    disposition_desc: Annotated[str | None, Spec(text(64))] = None


class ServiceUpdateEvent(Disposition):
    """Start-event fields to update when associating a service (its `timestamp` dates the association)."""

    STAMP = False
    service_type: Annotated[LongOrString | None, Spec(long_or_string)] = None
    est_duration: Annotated[int | None, Spec(seconds)] = None


class ServiceStartEvent(ServiceUpdateEvent):
    """A Service Start Event: a customer id or a contact key is needed."""

    REQUIRED = ("service_type",)
    STAMP = True
    customer_id: Annotated[Id | None, Spec(text(16))] = None
    contact_key: Annotated[str | None, Spec(text(256))] = None


class EndEvent(Disposition):
    """A Service or State End Event."""


class TaskEndEvent(EndEvent):
    """A Task End Event; state_id attaches the task to that state."""

    state_id: Annotated[int | None, Spec(int32)] = None


class StateStartEvent(EventFields):
    """A State Start Event."""

    REQUIRED = ("state_type",)
    state_type: Annotated[LongOrString | None, Spec(long_or_string)] = None
    previous_state_id: Annotated[int | None, Spec(int32)] = None
    est_duration: Annotated[int | None, Spec(seconds)] = None


class TaskStartEvent(EventFields):
    """A Task Start Event; state_id starts it inside that state."""

    REQUIRED = ("task_type",)
    task_type: Annotated[LongOrString | None, Spec(long_or_string)] = None
    state_id: Annotated[int | None, Spec(int32)] = None
    est_duration: Annotated[int | None, Spec(seconds)] = None


class TransitionFrom(EventBody):
    """The state a transition completes."""

    REQUIRED = ("state_id",)
    STAMP = False
    WHAT = "'from'"
    state_id: Annotated[int | None, Spec(int32)] = None
    disposition: Annotated[LongOrString | None, Spec(long_or_string)] = None
    disposition_desc: Annotated[str | None, Spec(text(64))] = None


class TransitionTo(EventBody):
    """The state a transition starts."""

    REQUIRED = ("state_type",)
    STAMP = False
    WHAT = "'to'"
    state_type: Annotated[LongOrString | None, Spec(long_or_string)] = None
    est_duration: Annotated[int | None, Spec(seconds)] = None


class TransitionEvent(EventFields):
    """A State Transition Event: `from` completes a state, `to` starts the next; the shared fields
    apply to both, extension values belong to the state they describe."""

    EXTENSIONS = False
    from_: TransitionFrom = Field(alias="from")
    to: TransitionTo

    @model_validator(mode="wrap")
    @classmethod
    def _checked(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        if isinstance(value, cls):
            return value
        body = require_object(value)
        for part in ("from", "to"):
            if part not in body:
                raise BadParameter(part, "mandatory field is missing")
        shared = cls.parse({k: v for k, v in body.items() if k not in ("from", "to")})
        for key in shared.extensions:
            raise BadParameter(key, "not a field of a State Transition Event; put extensions in 'from' or 'to'")
        source, target = TransitionFrom.model_validate(body["from"]), TransitionTo.model_validate(body["to"])
        model = handler({**shared.fields, "from": source, "to": target})
        model._event = shared
        return model
