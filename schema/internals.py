"""Every name of Strawberry's and graphql-core's that is not their documented public API, in one
place. Both libraries are pinned exactly (pyproject.toml); tests/schema/test_internals.py has a test
for each name below, so an upgrade that moves one fails there, loudly, before anything else.

- `graphql_schema`: a Strawberry schema's graphql-core schema (`Schema._schema`).
- `strawberry_field`: the Strawberry field behind a graphql-core field (its `extensions` back
  reference), which carries our field metadata (catalog binding, batched loads).
- `python_arguments`: Strawberry's conversion of graphql-core argument values to Python ones
  (enums, input types) as its resolvers get them.
- `exact_classes`: the classes whose exact instances Strawberry's generated `is_type_of` accepts.
- `complete_leaf`: graphql-core's completion of a scalar or enum value, with its error messages.
- `Executor`: Strawberry's graphql-core executor (it gives resolvers their `info`), and on it:
  `root_fields` / `sub_fields` (graphql-core's field collection: aliases, fragments, `@skip`,
  `@include`, in response order), `add_error` (graphql-core's error list, which drops errors
  under a position already nulled), `resolve_info` (the `info` graphql-core gives a resolver).
- `strawberry_validation_rules`: the validation rules Strawberry adds to GraphQL's.
- `replace_fields`: a Strawberry type's field list, rewritten before a schema is built from it
  (extension schemas become typed fields and typed inputs); `replace_arguments` likewise for a
  field's arguments; `build_from_input`: an input type whose value is built by our function from
  the input as graphql-core coerced it (Strawberry's `StrawberryObjectDefinition.from_input`).
- From Strawberry's views and schema: `is_awaitable` (its faster awaitable test), the exceptions its
  views answer with a 400 (`HTTPRefusal`, `CannotGetOperationTypeError`, `InvalidOperationTypeError`),
  `PreExecutionError` (what its websocket handlers send as an `error` message), `TextFrames` (its
  websocket adapter, sending text frames) and the view's hooks `get_sub_response`, `create_response`
  and `parse_json` that schema/view.py overrides; `SequencedEvents` (its `_stream_result` and
  `SSETransport.encode_next`: a Server-Sent Event's `id`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson
from graphql import GraphQLField, GraphQLLeafType, GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema
from graphql.execution.collect_fields import FieldDetails, collect_fields, collect_subfields
from graphql.pyutils import Path
from graphql.validation import ASTValidationRule
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.execution import optimized_is_awaitable as is_awaitable
from strawberry.http.base import HTTPException as HTTPRefusal
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.http.streaming import SSETransport
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types.arguments import StrawberryArgument, convert_arguments
from strawberry.types.execution import PreExecutionError
from strawberry.types.field import StrawberryField

__all__ = [
    "CannotGetOperationTypeError",
    "Executor",
    "FieldDetails",
    "GroupedFields",
    "HTTPRefusal",
    "InvalidOperationTypeError",
    "Path",
    "PreExecutionError",
    "SequencedEvents",
    "StreamWhenPreferred",
    "TextFrames",
    "build_from_input",
    "complete_leaf",
    "exact_classes",
    "graphql_schema",
    "is_awaitable",
    "python_arguments",
    "replace_arguments",
    "replace_fields",
    "strawberry_field",
    "strawberry_validation_rules",
]

GroupedFields = dict[str, list[FieldDetails]]
_BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF


def graphql_schema(schema: Any) -> GraphQLSchema:
    found: GraphQLSchema = schema._schema
    return found


def strawberry_field(field_def: GraphQLField) -> StrawberryField | None:
    found = (field_def.extensions or {}).get(_BACKREF)
    return found if isinstance(found, StrawberryField) else None


def python_arguments(schema: Any, field: StrawberryField, raw: dict[str, Any]) -> dict[str, Any]:
    registry = schema.schema_converter.scalar_registry
    converted: dict[str, Any] = convert_arguments(raw, field.arguments, scalar_registry=registry, config=schema.config)
    return converted


def exact_classes(object_type: GraphQLObjectType) -> frozenset[type] | None:
    """Classes whose exact instances the `is_type_of` of `object_type` accepts: those a type of ours
    names in `__sources__` (schema/types.py), or the Strawberry class itself when its `is_type_of` is
    the one Strawberry generates (an instance of exactly that class, never cast, passes it)."""
    definition = (object_type.extensions or {}).get(_BACKREF)
    if definition is None:
        return None
    declared = getattr(definition.origin, "__sources__", None)
    if declared is not None:
        return frozenset(declared)
    if definition.is_type_of is not None or definition.concrete_of is not None:
        return None
    return frozenset({definition.origin})


def complete_leaf(leaf_type: GraphQLLeafType, value: Any) -> Any:
    """graphql-core's completion of a scalar or enum value (its output coercion, never null)."""
    return StrawberryGraphQLCoreExecutionContext.complete_leaf_value(leaf_type, value)


def strawberry_validation_rules() -> tuple[type[ASTValidationRule], ...]:
    """The rules Strawberry validates with beyond GraphQL's own (`Maybe` nulls, `@oneOf` inputs)."""
    return (MaybeNullValidationRule, OneOfInputValidationRule)


def replace_fields(cls: type, fields: list[StrawberryField]) -> list[StrawberryField]:
    """Give a Strawberry type `fields` (answers the ones it had)."""
    definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    before: list[StrawberryField] = definition.fields
    definition.fields = fields
    return before


def replace_arguments(field: StrawberryField, arguments: list[StrawberryArgument]) -> list[StrawberryArgument]:
    """Give a Strawberry field `arguments` (answers the ones it had)."""
    before = list(field.arguments)
    field.arguments = arguments
    return before


def build_from_input(cls: type, build: Callable[[type, Mapping[str, Any], Any], Any]) -> None:
    """Arguments of input type `cls` reach resolvers as `build(cls, value, context)`, `value` being
    the whole input as graphql-core coerced it (a dict by GraphQL field name, nested ones too)."""
    cls.__strawberry_definition__.from_input = build  # type: ignore[attr-defined]


class Executor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor as Strawberry configures it, with the few of its inner parts the
    compiled plans (schema/plans.py) use."""

    def root_fields(self, root_type: GraphQLObjectType) -> GroupedFields:
        grouped, _defers, _forbidden = collect_fields(
            self.schema, self.fragments, self.variable_values, root_type, self.operation, self.hide_suggestions
        )
        return grouped

    def sub_fields(self, object_type: GraphQLObjectType, details: list[FieldDetails]) -> GroupedFields:
        grouped, _defers, _forbidden = collect_subfields(
            self.schema,
            self.fragments,
            self.variable_values,
            self.operation,
            object_type,
            details,
            self.hide_suggestions,
        )
        return grouped

    def add_error(self, error: Exception, path: Path | None) -> None:
        self.collected_errors.add(error, path)  # type: ignore[arg-type]

    def resolve_info(
        self, field_def: GraphQLField, details: list[FieldDetails], parent_type: GraphQLObjectType, path: Path
    ) -> GraphQLResolveInfo:
        return self.build_resolve_info(field_def, [d.node for d in details], parent_type, path)


class TextFrames(ASGIWebSocketAdapter):
    """graphql-transport-ws speaks in text frames: browsers cannot parse binary ones as JSON."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc
        except RuntimeError as exc:  # Starlette's "send once a close message has been sent"
            raise WebSocketDisconnected from exc


def _prefers_event_stream(accept: str) -> bool:
    """Whether an Accept header prefers text/event-stream to JSON (by q, then by order)."""
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(accept.split(",")):
        media, *params = (p.strip().lower() for p in part.split(";"))
        if media not in ("text/event-stream", "application/json", "application/graphql-response+json", "*/*"):
            continue
        q = next((p[2:] for p in params if p.startswith("q=")), "1")
        try:
            weight = float(q)
        except ValueError:
            weight = 0.0
        if best is None or (weight, -position) > (best[0], best[1]):
            best = (weight, -position, media)
    return best is not None and best[2] == "text/event-stream" and best[0] > 0


class StreamWhenPreferred:
    """Strawberry's view (`_get_stream_transport_from_headers`) answers with Server-Sent Events
    whenever Accept lists text/event-stream anywhere; urql and others list it after the JSON types on
    every query. A stream is chosen only when the client prefers it to JSON.
    """

    def _get_stream_transport_from_headers(self, headers: Mapping[str, str]) -> Any:
        accept = next((value for key, value in headers.items() if key.lower() == "accept"), "")
        if not _prefers_event_stream(accept):
            return None
        return super()._get_stream_transport_from_headers(headers)  # type: ignore[misc]


class SequencedEvents:
    """Each Server-Sent Event of a journey subscription carries the event's sequence as its `id`, so
    a browser's EventSource sends it back as Last-Event-ID when it reconnects. The subscription puts
    the sequence of the event it yields in `request.state.journey_sequence`; Strawberry encodes the
    answer to that event before it asks for the next one.
    """

    def _stream_result(self, request: Any, result: Any, transport: Any) -> Any:
        if isinstance(transport, SSETransport):
            transport = _SequencedSSE(request, transport.heartbeat_interval)
        return super()._stream_result(request, result, transport)  # type: ignore[misc]


class _SequencedSSE(SSETransport):
    def __init__(self, request: Any, heartbeat_interval: float) -> None:
        super().__init__(heartbeat_interval)
        self._state = request.state

    def encode_next(self, response: Any, encode_json: Any) -> str:
        sequence = getattr(self._state, "journey_sequence", None)
        text = super().encode_next(response, encode_json)
        if sequence is None:
            return text
        del self._state.journey_sequence
        return f"id: {int(sequence)}\r\n{text}"
