"""Mutation inputs: the documented event bodies, typed. `body_of(input)` gives the same dict a REST
client would send, so both surfaces go through one set of rules in resolvers/.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types.unset import UNSET

from contextgraph.schema.scalars import Long, LongOrString


def body_of(value: Any) -> Any:
    """An input object as the REST body it stands for (fields left out stay out); the entries of
    `extensions` become body keys, as extension values are in REST bodies.
    """
    if isinstance(value, list):
        return [body_of(v) for v in value]
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return value
    body: dict[str, Any] = {}
    for field in dataclasses.fields(value):
        item = getattr(value, field.name)
        if item is UNSET:
            continue
        if field.name == "extensions" and isinstance(item, dict):
            body.update(item)
        else:
            body[field.name.rstrip("_")] = body_of(item)
    return body


def _extensions() -> Any:
    return strawberry.field(
        default=UNSET,
        description='Extension values by extension name: {"Feedback": {...}, "relatedOffers": [{...}]}.',
    )


@strawberry.input(description="Fields every service, state and task event may carry.")
class EventInput:
    session_id: str | None = UNSET
    interaction_id: str | None = UNSET
    application_type: LongOrString | None = UNSET
    application_id: Long | None = UNSET
    resource_type: LongOrString | None = UNSET
    resource_id: Long | None = UNSET
    media_type: LongOrString | None = UNSET
    timestamp: str | None = strawberry.field(default=UNSET, description="ISO 8601; the server's time if left out.")


@strawberry.input(description="A Service Start Event: a customer id or a contact key is needed.")
class ServiceStartInput(EventInput):
    service_type: LongOrString
    customer_id: str | None = UNSET
    contact_key: str | None = UNSET
    est_duration: int | None = UNSET
    disposition: LongOrString | None = UNSET
    disposition_desc: str | None = UNSET
    extensions: JSON | None = _extensions()


@strawberry.input(description="Start-event fields to update when associating a service.")
class ServiceUpdateInput(EventInput):
    service_type: LongOrString | None = UNSET
    est_duration: int | None = UNSET
    disposition: LongOrString | None = UNSET
    disposition_desc: str | None = UNSET
    extensions: JSON | None = _extensions()


@strawberry.input(description="A Service or State End Event.")
class EndInput(EventInput):
    disposition: LongOrString | None = UNSET
    disposition_desc: str | None = UNSET
    extensions: JSON | None = _extensions()


@strawberry.input(description="A Task End Event; state_id attaches the task to that state.")
class TaskEndInput(EndInput):
    state_id: int | None = UNSET


@strawberry.input(description="A State Start Event.")
class StateStartInput(EventInput):
    state_type: LongOrString
    previous_state_id: int | None = UNSET
    est_duration: int | None = UNSET
    extensions: JSON | None = _extensions()


@strawberry.input(description="A Task Start Event; state_id starts it inside that state.")
class TaskStartInput(EventInput):
    task_type: LongOrString
    state_id: int | None = UNSET
    est_duration: int | None = UNSET
    extensions: JSON | None = _extensions()


@strawberry.input(description="The state a transition completes.")
class TransitionFromInput:
    state_id: int
    disposition: LongOrString | None = UNSET
    disposition_desc: str | None = UNSET
    extensions: JSON | None = _extensions()


@strawberry.input(description="The state a transition starts.")
class TransitionToInput:
    state_type: LongOrString
    est_duration: int | None = UNSET
    extensions: JSON | None = _extensions()


@strawberry.input(description="A State Transition Event; the shared fields apply to both states.")
class TransitionInput(EventInput):
    from_: TransitionFromInput = strawberry.field(name="from")
    to: TransitionToInput


@strawberry.input(description="One Composite Start Event (spec/003).")
class CompositeStartInput:
    service: ServiceStartInput
    state: StateStartInput
    task: TaskStartInput | None = UNSET
    associate_state_task: bool = False
