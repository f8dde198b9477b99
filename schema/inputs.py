"""Mutation inputs, made from the catalog's input models (resolvers/journeys/events.py): one
GraphQL input type per documented event body, its fields the model's, typed as the model types
them; its `extensions` typed by the owner kind's extension schemas (schema/extension_inputs.py),
present while the kind has any. `body_of(input)` gives the body a REST client would send, which
the operation then checks with the same model, so both surfaces go through one set of rules.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from typing import Any

import strawberry
from pydantic import BaseModel
from strawberry.types.field import StrawberryField
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
from contextgraph.schema import relay, scalars
from contextgraph.schema.extension_inputs import EXTENSIONS
from contextgraph.schema.internals import replace_fields

# GraphQL's name for each input, the model it is made from and the owner kind of the extension
# values it takes (an end event ends a service or a state: two inputs). A nested model is typed as
# the first input made from it.
INPUTS: dict[str, tuple[type[BaseModel], str | None]] = {
    "ServiceStartInput": (ServiceStartEvent, "service"),
    "ServiceUpdateInput": (ServiceUpdateEvent, "service"),
    "ServiceEndInput": (EndEvent, "service"),
    "StateEndInput": (EndEvent, "state"),
    "TaskEndInput": (TaskEndEvent, "task"),
    "StateStartInput": (StateStartEvent, "state"),
    "TaskStartInput": (TaskStartEvent, "task"),
    "TransitionFromInput": (TransitionFrom, "state"),
    "TransitionToInput": (TransitionTo, "state"),
    "TransitionInput": (TransitionEvent, None),
    "CompositeStartInput": (CompositeItem, None),
}
_DOMAIN_TYPES: dict[Any, Any] = {Long: scalars.Long, LongOrString: scalars.LongOrString, Id: strawberry.ID}
_MADE: dict[str, type] = {}
# input type → its `extensions` field, in the graph while its kind has extension schemas
_EXTENSIONS: dict[type, tuple[str, StrawberryField]] = {}


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
        return input_type(next(name for name, (model, _) in INPUTS.items() if model is annotation))
    return _DOMAIN_TYPES.get(annotation, annotation)


def input_type(name: str) -> type:
    """The GraphQL input type called `name` (made once)."""
    if name in _MADE:
        return _MADE[name]
    model, kind = INPUTS[name]
    required = set(getattr(model, "REQUIRED", ())) if issubclass(model, EventBody) else set()
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        if field_name == "extensions":
            continue
        kind_of_field = _graphql_type(info.annotation, info.metadata)
        needed = field_name in required or info.is_required()
        annotations[field_name] = kind_of_field if needed else kind_of_field | None
        default = dataclasses.MISSING if needed else (UNSET if info.default is None else info.default)
        namespace[field_name] = strawberry.field(default=default, name=info.alias, description=info.description)
    if getattr(model, "EXTENSIONS", False):  # typed by the kind's extension schemas (see install)
        assert kind is not None
        annotations["extensions"] = EXTENSIONS[kind] | None
        described = "Extension values, typed by the extension schemas."
        namespace["extensions"] = strawberry.field(default=UNSET, description=described)
    made = type(name, (), {"__annotations__": annotations, "__module__": __name__, **namespace})
    _MADE[name] = strawberry.input(made, name=name, description=inspect.cleandoc(model.__doc__ or ""))
    for made_field in _MADE[name].__strawberry_definition__.fields:  # type: ignore[attr-defined]
        if made_field.python_name == "extensions":
            assert kind is not None
            _EXTENSIONS[_MADE[name]] = (kind, made_field)
    return _MADE[name]


def install(present: dict[str, bool]) -> None:
    """Each input takes `extensions` while its kind has extension schemas (`present[kind]`)."""
    for cls, (kind, extensions) in _EXTENSIONS.items():
        fields = [f for f in cls.__strawberry_definition__.fields if f.python_name != "extensions"]  # type: ignore[attr-defined]
        replace_fields(cls, [*fields, extensions] if present[kind] else fields)


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
        elif field.name == "customer_id":
            body["customer_id"] = relay.customer_id(item)
        else:
            body[field.name.rstrip("_")] = body_of(item)
    return body


if typing.TYPE_CHECKING:  # made at run time: to a type checker, whatever a resolver is given
    ServiceStartInput: typing.TypeAlias = Any
    ServiceUpdateInput: typing.TypeAlias = Any
    ServiceEndInput: typing.TypeAlias = Any
    StateEndInput: typing.TypeAlias = Any
    TaskEndInput: typing.TypeAlias = Any
    StateStartInput: typing.TypeAlias = Any
    TaskStartInput: typing.TypeAlias = Any
    TransitionInput: typing.TypeAlias = Any
    CompositeStartInput: typing.TypeAlias = Any
else:
    ServiceStartInput = input_type("ServiceStartInput")
    ServiceUpdateInput = input_type("ServiceUpdateInput")
    ServiceEndInput = input_type("ServiceEndInput")
    StateEndInput = input_type("StateEndInput")
    TaskEndInput = input_type("TaskEndInput")
    StateStartInput = input_type("StateStartInput")
    TaskStartInput = input_type("TaskStartInput")
    TransitionInput = input_type("TransitionInput")
    CompositeStartInput = input_type("CompositeStartInput")
