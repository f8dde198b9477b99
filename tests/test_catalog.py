"""The catalog is the one place an operation's role, input and function are declared: every REST
route and every GraphQL field that resolves anything is bound to a catalog entry, every entry is
reachable and needs a role, and no principal is no access."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLObjectType, GraphQLSchema
from starlette.routing import Mount, Route

from contextgraph.app.main import create_app
from contextgraph.app.settings import load_settings
from contextgraph.compat_rest.routes import BINDINGS
from contextgraph.resolvers.access.keys import require_principal
from contextgraph.resolvers.access.roles import TASKS
from contextgraph.resolvers.catalog import CATALOG, OPERATIONS
from contextgraph.resolvers.errors import NotAuthorized
from contextgraph.resolvers.metadata.extension_schema import parse_schema
from contextgraph.resolvers.metadata.registry import MetadataRegistry
from contextgraph.schema.batched import COMPUTED, ITEM
from contextgraph.schema.binding import binding_of
from contextgraph.schema.view import build_schema
from tests.helpers import FEEDBACK, OFFERS

_KINDS = ("profile", "service", "state", "task")


def _schema() -> GraphQLSchema:
    """The GraphQL schema with an extension of every kind (so every extension field exists)."""
    schemas = []
    for number, kind in enumerate(_KINDS):
        for offset, body in enumerate((FEEDBACK, OFFERS)):
            parsed = parse_schema(kind, body)
            schemas.append(
                type(parsed)(
                    parsed.kind, parsed.name, parsed.type, parsed.attributes, parsed.unique, id=10 * number + offset + 1
                )
            )
    settings = load_settings(None, database="sqlite:///unused.db")
    return build_schema(MetadataRegistry(schemas, 1), settings)._schema  # type: ignore[attr-defined]


def _fields(schema: GraphQLSchema) -> list[tuple[str, str, Any]]:
    """(type, field, its Strawberry field) for every field of every object type but introspection's."""
    found = []
    for name, type_ in schema.type_map.items():
        if name.startswith("__") or not isinstance(type_, GraphQLObjectType):
            continue
        for field_name, field in type_.fields.items():
            found.append((name, field_name, field.extensions.get("strawberry-definition")))
    return found


def test_every_graphql_field_that_resolves_anything_names_its_catalog_operation() -> None:
    schema = _schema()
    roots = {schema.query_type.name, schema.mutation_type.name, schema.subscription_type.name}  # type: ignore[union-attr]
    unbound = [
        f"{type_name}.{name}"
        for type_name, name, field in _fields(schema)
        if (
            type_name in roots
            or (field.base_resolver is not None and ITEM not in field.metadata and COMPUTED not in field.metadata)
        )
        and binding_of(field.metadata) is None
    ]  # an ITEM reads what its object's read loaded; a COMPUTED field (a global id, an edge) too
    assert unbound == []
    bound = [f for _, _, f in _fields(schema) if binding_of(f.metadata) is not None]
    assert len(bound) > 60  # roots, nested lists, links, extension containers and their fields


def test_every_rest_route_is_a_binding_of_a_catalog_operation() -> None:
    app = create_app(load_settings(None, database="sqlite:///unused.db"))
    served = {
        (method, route.path)
        for route in app.routes
        if isinstance(route, Route)
        for method in (route.methods or ())
        if method != "HEAD"
    }
    ours = {"/graphql", "/metrics", "/openapi.json", "/ui"}
    rest = {(m, p.rstrip("/")) for m, p in served if p not in ours}
    bound = {(b.method, b.path) for b in BINDINGS}
    assert rest == bound
    assert any(isinstance(route, Mount) and route.path == "/genesys/1/cs" for route in app.routes)
    assert all(b.operation is CATALOG[b.operation.name] for b in BINDINGS)


def test_every_operation_is_reachable_and_needs_a_known_role() -> None:
    schema = _schema()
    reached = {op.name for b in BINDINGS for op in (b.operation,)}
    for _, _, field in _fields(schema):
        binding = binding_of(field.metadata)
        if binding is not None:
            reached |= {op.name for op in binding.operations.values()}
    assert set(CATALOG) == reached, set(CATALOG) - reached
    for op in OPERATIONS:
        needed = set(op.tasks)
        if op.more_tasks is not None and "kind" in op.input.model_fields:
            for kind in _KINDS:
                needed |= set(op.needs(op.input.model_construct(kind=kind)))
        assert needed, f"{op.name} needs no role"
        assert needed <= set(TASKS), (op.name, needed - set(TASKS))


def test_no_principal_is_no_access() -> None:
    with pytest.raises(NotAuthorized):
        require_principal(None)
