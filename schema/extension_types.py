"""Typed GraphQL for extension schemas: each owner type (Customer, Service, State, Task) gets an
`extensions` field whose type has one field per extension schema of that kind:

    service { extensions { relatedOffers { offer_name type comments } Feedback { rating notes } } }

Single-valued extensions are nullable objects, multi-valued ones lists. Attribute names that are
not GraphQL names are mangled (`car type` → `car_type`; a clash gets `_2`, `_3` in schema order),
with the original name in the field description. `install(registry)` rewrites the owner types'
definitions just before a new strawberry.Schema is built from them; schemas built earlier keep the
GraphQL types they were built with.
"""

from __future__ import annotations

import re
from typing import Any

import strawberry
from strawberry.tools import create_type
from strawberry.types.field import StrawberryField

from contextgraph.resolvers.journeys import extension_records as journey_extensions
from contextgraph.resolvers.metadata.extension_schema import ExtensionSchema
from contextgraph.resolvers.metadata.registry import MetadataRegistry
from contextgraph.resolvers.operation import Operation
from contextgraph.resolvers.profiles import extension_records as profile_extensions
from contextgraph.schema.batched import ITEM, Batched, as_loaded
from contextgraph.schema.internals import replace_fields
from contextgraph.schema.scalars import Long
from contextgraph.schema.types import Customer, Service, State, Task

OWNER_TYPES: dict[str, type] = {"profile": Customer, "service": Service, "state": State, "task": Task}
PREFIX = {"profile": "Profile", "service": "Service", "state": "State", "task": "Task"}
SCALARS: dict[str, Any] = {
    "boolean": bool,
    "string": str,
    "integer": int,
    "long": Long,
    "double": float,
    "currency": float,
    "date": str,
    "datetime": str,
}


def graphql_names(names: list[str]) -> list[str]:
    """Predictable GraphQL names: invalid characters become `_`; clashes get `_2`, `_3`, …"""
    result: list[str] = []
    for name in names:
        base = re.sub(r"[^A-Za-z0-9_]", "_", name)
        if base.startswith("__"):
            base = "x" + base
        candidate, n = base, 1
        while candidate in result:
            n += 1
            candidate = f"{base}_{n}"
        result.append(candidate)
    return result


def _attribute_field(original: str, name: str, annotation: Any, description: str) -> StrawberryField:
    """A record's attribute: the value under its original name in the record as stored (a dict)."""

    def resolve(root: dict[str, Any]) -> Any:
        return root.get(original)

    resolve.__name__ = f"resolve_{name}"
    made = strawberry.field(
        resolver=resolve, name=name, graphql_type=annotation, description=description, metadata={ITEM: original}
    )
    made.python_name = name
    return made


def _record_type(schema: ExtensionSchema) -> type:
    """The object type of one record: its objects are the records as stored (dicts)."""
    mangled = graphql_names([a.name for a in schema.attributes])
    fields = []
    for attribute, name in zip(schema.attributes, mangled, strict=True):
        python_type = SCALARS[attribute.type]
        annotation = python_type if attribute.mandatory else python_type | None
        fields.append(
            _attribute_field(attribute.name, name, annotation, f"{attribute.type} attribute '{attribute.name}'")
        )
    kind = PREFIX[schema.kind]
    return create_type(
        f"{kind}{schema.name[0].upper()}{schema.name[1:]}Record",
        fields,
        description=f"A record of the {schema.kind} extension '{schema.name}'.",
    )


# The catalog read each owner kind's extensions stand for (its role: UCS.Service.readStateExtension, …).
READS: dict[str, Operation] = {
    "profile": profile_extensions.read_profile_extensions,  # type: ignore[type-arg]
    **journey_extensions.READ,
}


def _records_of(schema: ExtensionSchema, wrap: Any) -> Batched:
    """One extension's value for an extensions container; loaded after the rest of the tree."""
    return Batched(
        READS[schema.kind], lambda found: found.extension, lambda root: (schema, root.owner_id), wrap, deferred=True
    )


def _classifier_field(schema: ExtensionSchema) -> StrawberryField:
    """A classifier has no attributes: the field says whether the customer has it."""
    spec = _records_of(schema, lambda value: value is not None)

    async def resolve(root: Any, info: strawberry.Info) -> bool:
        found: bool = await spec.one(root, info)
        return found

    resolve.__name__ = f"resolve_{schema.kind}_{schema.name}"
    field = strawberry.field(
        resolver=resolve,
        name=schema.name,
        metadata=spec.metadata(),
        description=f"Whether the classifier extension '{schema.name}' is set.",
    )
    field.python_name = f"ext_{schema.id}"
    return field


def _extension_field(schema: ExtensionSchema) -> StrawberryField:
    if not schema.attributes:
        return _classifier_field(schema)
    record_type = _record_type(schema)
    spec = _records_of(schema, as_loaded)  # a record, None, or a multi-valued extension's list of them

    async def resolve(root: Any, info: strawberry.Info) -> Any:
        return await spec.one(root, info)

    resolve.__name__ = f"resolve_{schema.kind}_{schema.name}"  # create_type keys fields by name
    graphql_type = list[record_type] if schema.multi else record_type | None  # type: ignore[valid-type]
    field = strawberry.field(
        resolver=resolve,
        name=schema.name,
        graphql_type=graphql_type,
        metadata=spec.metadata(),
        description=f"The {schema.type} {schema.kind} extension '{schema.name}'.",
    )
    field.python_name = f"ext_{schema.id}"
    return field


def _extensions_field(kind: str, schemas: list[ExtensionSchema]) -> StrawberryField:
    container = create_type(
        f"{PREFIX[kind]}Extensions",
        [_extension_field(s) for s in schemas],
        description=f"The {kind} extensions, one field per extension schema.",
    )

    def make(owner_id: str) -> Any:
        extensions = container()
        extensions.owner_id = owner_id
        return extensions

    spec = Batched(READS[kind], None, lambda root: str(root.id), make)

    def resolve(root: Any) -> Any:
        return spec.value(root)

    resolve.__name__ = f"resolve_{kind}_extensions"
    field = strawberry.field(
        resolver=resolve,
        graphql_type=container,
        metadata=spec.metadata(),
        description="Extension records, typed by their schemas.",
    )
    field.python_name = "extensions"
    return field


def install(registry: MetadataRegistry) -> None:
    """Give each owner type the `extensions` field its kind's current schemas call for (or none)."""
    for kind, owner in OWNER_TYPES.items():
        fields = [
            f
            for f in owner.__strawberry_definition__.fields  # type: ignore[attr-defined]
            if f.python_name != "extensions"
        ]
        schemas = registry.of_kind(kind)
        if schemas:
            fields.append(_extensions_field(kind, schemas))
        replace_fields(owner, fields)
