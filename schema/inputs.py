"""Mutation inputs, made from the catalog's input models (resolvers/journeys/events.py): one
GraphQL input type per documented event body, its fields the model's, typed as the model types
them. `body_of(input)` gives the body a REST client would send, which the operation then checks
with the same model, so both surfaces go through one set of rules.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from typing import Any

import strawberry
from pydantic import BaseModel
from strawberry.scalars import JSON
from strawberry.types.unset import UNSET

from contextgraph.resolvers.journeys.composite import CompositeItem
from contextgraph.resolvers.journeys.events import (
    EndEvent,
    EventBody,
    ServiceStartEvent,
    ServiceUpdateEvent,
    Spec,
    StateStartEvent,
    TaskEndEvent,
    TaskStartEvent,
    TransitionEvent,
    TransitionFrom,
    TransitionTo,
)
from contextgraph.resolvers.values import Id, Long, LongOrString
from contextgraph.schema import scalars

# GraphQL's name for each input model.
NAMES: dict[type[BaseModel], str] = {
    ServiceStartEvent: "ServiceStartInput",
    ServiceUpdateEvent: "ServiceUpdateInput",
    EndEvent: "EndInput",
    TaskEndEvent: "TaskEndInput",
    StateStartEvent: "StateStartInput",
    TaskStartEvent: "TaskStartInput",
    TransitionEvent: "TransitionInput",
    TransitionFrom: "TransitionFromInput",
    TransitionTo: "TransitionToInput",
    CompositeItem: "CompositeStartInput",
}
_DOMAIN_TYPES: dict[Any, Any] = {Long: scalars.Long, LongOrString: scalars.LongOrString, Id: strawberry.ID}
_MADE: dict[type[BaseModel], type] = {}


def _graphql_type(annotation: Any, metadata: list[Any]) -> Any:
    """The Strawberry type of a model field: its annotation without None, a nested model as its
    input type, the domain's types as their scalars (or what its Spec says)."""
    spec = next((m for m in metadata if isinstance(m, Spec)), None)
    if spec is not None and spec.graphql is not None:
        return spec.graphql
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = options[0] if len(options) == 1 else annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return input_type(annotation)
    return _DOMAIN_TYPES.get(annotation, annotation)


def input_type(model: type[BaseModel]) -> type:
    """The GraphQL input type of `model` (made once)."""
    if model in _MADE:
        return _MADE[model]
    required = set(getattr(model, "REQUIRED", ())) if issubclass(model, EventBody) else set()
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name == "extensions":
            continue
        kind = _graphql_type(info.annotation, info.metadata)
        needed = name in required or info.is_required()
        annotations[name] = kind if needed else kind | None
        default = dataclasses.MISSING if needed else (UNSET if info.default is None else info.default)
        namespace[name] = strawberry.field(default=default, name=info.alias, description=info.description)
    if getattr(model, "EXTENSIONS", False):  # a JSON object of extension values, by extension name
        annotations["extensions"] = JSON | None
        described = model.model_fields["extensions"].description
        namespace["extensions"] = strawberry.field(default=UNSET, description=described)
    made = type(NAMES[model], (), {"__annotations__": annotations, "__module__": __name__, **namespace})
    _MADE[model] = strawberry.input(made, name=NAMES[model], description=inspect.cleandoc(model.__doc__ or ""))
    return _MADE[model]


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


if typing.TYPE_CHECKING:  # made at run time: to a type checker, whatever a resolver is given
    ServiceStartInput: typing.TypeAlias = Any
    ServiceUpdateInput: typing.TypeAlias = Any
    EndInput: typing.TypeAlias = Any
    TaskEndInput: typing.TypeAlias = Any
    StateStartInput: typing.TypeAlias = Any
    TaskStartInput: typing.TypeAlias = Any
    TransitionInput: typing.TypeAlias = Any
    CompositeStartInput: typing.TypeAlias = Any
else:
    ServiceStartInput = input_type(ServiceStartEvent)
    ServiceUpdateInput = input_type(ServiceUpdateEvent)
    EndInput = input_type(EndEvent)
    TaskEndInput = input_type(TaskEndEvent)
    StateStartInput = input_type(StateStartEvent)
    TaskStartInput = input_type(TaskStartEvent)
    TransitionInput = input_type(TransitionEvent)
    CompositeStartInput = input_type(CompositeItem)
