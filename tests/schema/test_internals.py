"""One test for each Strawberry or graphql-core internal that schema/internals.py relies on: an
upgrade that moves or changes one fails here, by name, before anything subtler breaks.
"""

from __future__ import annotations

import asyncio
import inspect
from enum import Enum
from typing import Any

import pytest
import strawberry
from graphql import GraphQLError, GraphQLInt, GraphQLObjectType, GraphQLSchema, parse
from graphql.validation import ASTValidationRule
from strawberry.asgi import GraphQL
from strawberry.types import ExecutionResult

from contextgraph.schema import internals, view
from contextgraph.schema.internals import Executor, Path


@strawberry.enum
class Colour(Enum):
    RED = "red"


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Pet(Named):
    age: int


@strawberry.type
class Query:
    @strawberry.field(metadata={"mark": 1})
    def pets(self, colour: Colour = Colour.RED) -> list[Pet]:
        return [Pet(name="Rex", age=3)]

    @strawberry.field
    def seen(self, info: strawberry.Info) -> str:
        return f"{info.path.as_list()} {sorted(info.variable_values)} {type(info.context).__name__}"


SCHEMA = strawberry.Schema(query=Query, types=[Pet])


def _executor(query: str, variables: dict[str, Any] | None = None) -> Executor:
    built = Executor.build(internals.graphql_schema(SCHEMA), parse(query), None, {"who": 1}, variables)
    assert isinstance(built, Executor), built
    return built


def test_graphql_schema_is_the_graphql_core_schema() -> None:
    found = internals.graphql_schema(SCHEMA)
    assert isinstance(found, GraphQLSchema)
    assert found.query_type is not None
    assert found.query_type.name == "Query"


def test_strawberry_field_carries_the_field_metadata() -> None:
    query_type = internals.graphql_schema(SCHEMA).query_type
    assert query_type is not None
    field = internals.strawberry_field(query_type.fields["pets"])
    assert field is not None
    assert field.metadata == {"mark": 1}
    assert field.python_name == "pets"


def test_python_arguments_are_what_resolvers_get() -> None:
    query_type = internals.graphql_schema(SCHEMA).query_type
    assert query_type is not None
    field = internals.strawberry_field(query_type.fields["pets"])
    assert field is not None
    raw = {"colour": Colour.RED}  # graphql-core's value of the enum argument
    assert internals.python_arguments(SCHEMA, field, raw) == {"colour": Colour.RED}


def test_exact_classes_are_what_strawberry_is_type_of_accepts() -> None:
    pet_type = internals.graphql_schema(SCHEMA).get_type("Pet")
    assert isinstance(pet_type, GraphQLObjectType)
    assert internals.exact_classes(pet_type) == {Pet}
    assert pet_type.is_type_of is not None
    assert pet_type.is_type_of(Pet(name="a", age=1), None)
    assert not pet_type.is_type_of(object(), None)


def test_complete_leaf_answers_graphql_core_errors() -> None:
    assert internals.complete_leaf(GraphQLInt, 7) == 7
    with pytest.raises(GraphQLError, match="Int cannot represent non 32-bit signed integer value: 4294967296"):
        internals.complete_leaf(GraphQLInt, 2**32)


def test_root_and_sub_fields_are_collected_in_response_order() -> None:
    executor = _executor(
        "query($s: Boolean!) { b: pets { age ...F } a: pets { name } pets @skip(if: $s) { age } }"
        "fragment F on Pet { name age }",
        {"s": True},
    )
    query_type = executor.schema.query_type
    assert query_type is not None
    root = executor.root_fields(query_type)
    assert list(root) == ["b", "a"]
    pet_type = executor.schema.get_type("Pet")
    assert isinstance(pet_type, GraphQLObjectType)
    assert list(executor.sub_fields(pet_type, root["b"])) == ["age", "name"]


def test_add_error_drops_errors_under_a_nulled_position() -> None:
    executor = _executor("{ pets { name } }")
    nulled = Path(None, "pets", "Query")
    executor.add_error(GraphQLError("first"), nulled)
    executor.add_error(GraphQLError("under it"), Path(Path(nulled, 0, None), "name", "Pet"))
    executor.add_error(GraphQLError("elsewhere"), Path(None, "other", "Query"))
    assert [e.message for e in executor.collected_errors.errors] == ["first", "elsewhere"]


def test_resolve_info_is_the_info_resolvers_get() -> None:
    executor = _executor("query($v: Boolean) { seen }", {"v": True})
    query_type = executor.schema.query_type
    assert query_type is not None
    details = executor.root_fields(query_type)["seen"]
    info = executor.resolve_info(query_type.fields["seen"], details, query_type, Path(None, "seen", "Query"))
    assert info.context == {"who": 1}
    assert info.variable_values == {"v": True}  # Strawberry's resolvers get a plain dict
    assert query_type.fields["seen"].resolve is not None
    assert query_type.fields["seen"].resolve(None, info) == "['seen'] ['v'] dict"


def test_strawberry_validation_rules_are_rules() -> None:
    rules = internals.strawberry_validation_rules()
    assert rules
    assert all(issubclass(rule, ASTValidationRule) for rule in rules)


@strawberry.type
class Box:
    a: int


@strawberry.type
class Root:
    box: Box


def test_replace_fields_changes_the_next_schema_built() -> None:
    extra = strawberry.field(name="b", graphql_type=int, default=0)
    extra.python_name = "b"
    before = internals.replace_fields(Box, [*Box.__strawberry_definition__.fields, extra])  # type: ignore[attr-defined]
    assert [f.python_name for f in before] == ["a"]
    box_type = internals.graphql_schema(strawberry.Schema(query=Root)).get_type("Box")
    assert isinstance(box_type, GraphQLObjectType)
    assert list(box_type.fields) == ["a", "b"]


def test_the_view_internals_are_where_schema_view_expects_them() -> None:
    for hook in ("get_sub_response", "create_response", "parse_json", "process_result", "decode_json"):
        assert callable(getattr(GraphQL, hook)), hook
    assert list(inspect.signature(GraphQL.create_response).parameters) == ["self", "response_data", "sub_response"]
    assert GraphQL.websocket_adapter_class is not None
    assert issubclass(internals.TextFrames, GraphQL.websocket_adapter_class)
    assert internals.HTTPRefusal(400, "no").status_code == 400
    assert internals.CannotGetOperationTypeError(None).as_http_error_reason()
    assert issubclass(internals.PreExecutionError, ExecutionResult)  # what the websocket handlers test for
    coroutine = asyncio.sleep(0)
    assert internals.is_awaitable(coroutine)
    assert not internals.is_awaitable({"data": 1})
    coroutine.close()


@strawberry.input
class Pair:
    left: int
    right: int | None = None


@strawberry.type
class Echo:
    @strawberry.field
    def echo(self, pair: Pair, extra: int | None = None) -> str:
        return repr((pair, extra))


def test_build_from_input_gets_the_whole_coerced_input() -> None:
    internals.build_from_input(Pair, lambda cls, value, _context: (cls.__name__, dict(value)))
    try:
        result = strawberry.Schema(query=Echo).execute_sync("{ echo(pair: {left: 1}) }")
    finally:
        internals.build_from_input(Pair, None)  # type: ignore[arg-type]
    assert result.errors is None, result.errors
    assert result.data == {"echo": repr((("Pair", {"left": 1, "right": None}), None))}  # published defaults in


def test_replace_arguments_changes_the_next_schema_built() -> None:
    field = next(f for f in Echo.__strawberry_definition__.fields if f.python_name == "echo")  # type: ignore[attr-defined]
    before = internals.replace_arguments(field, [a for a in field.arguments if a.python_name != "extra"])
    try:
        echo_type = internals.graphql_schema(strawberry.Schema(query=Echo)).get_type("Echo")
        assert isinstance(echo_type, GraphQLObjectType)
        assert list(echo_type.fields["echo"].args) == ["pair"]
    finally:
        internals.replace_arguments(field, before)
    assert [a.python_name for a in before] == ["pair", "extra"]


def test_strawberry_picks_a_stream_transport_from_the_accept_header() -> None:
    # StreamWhenPreferred narrows this method; if Strawberry renames it, urql's queries become streams.
    from strawberry.http.async_base_view import AsyncBaseHTTPView

    assert callable(AsyncBaseHTTPView._get_stream_transport_from_headers)
    assert issubclass(view.ContextGraphQL, internals.StreamWhenPreferred)


def test_sse_events_carry_the_sequence_strawberry_encodes_them_with() -> None:
    # SequencedEvents swaps the transport _stream_result is given; if Strawberry renames either, SSE
    # events lose their id and a reconnecting EventSource cannot resume.
    from strawberry.http.async_base_view import AsyncBaseHTTPView
    from strawberry.http.streaming import SSETransport

    assert callable(AsyncBaseHTTPView._stream_result)
    assert issubclass(view.ContextGraphQL, internals.SequencedEvents)
    request = type("Request", (), {"state": type("State", (), {})()})()
    transport = internals._SequencedSSE(request, 15.0)
    request.state.journey_sequence = 7
    assert transport.encode_next({"data": {}}, lambda d: "{}") == "id: 7\r\n" + SSETransport().encode_next(
        {"data": {}}, lambda d: "{}"
    )
    assert not hasattr(request.state, "journey_sequence")  # one event, one id
