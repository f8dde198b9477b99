"""Schema operations: create, query and delete extension schemas.

A change bumps `metadata_version` in the same transaction; each worker notices the bump (its poller)
and reloads, and its listeners (the GraphQL schema builder) follow. Profile extension schemas change
only in maintenance mode; service, state and task schemas in either mode (README "Extensions").
"""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from contextgraph.resolvers.access.roles import extension_schema_task
from contextgraph.resolvers.context import Context
from contextgraph.resolvers.errors import Conflict, MalformedBody, not_found
from contextgraph.resolvers.metadata.extension_schema import parse_schema
from contextgraph.resolvers.operation import Input, operation
from contextgraph.resolvers.store.tables import extension_record_t, extension_schema_t
from contextgraph.resolvers.store.versions import bump_version
from contextgraph.resolvers.timefmt import now_ms

Kind = Literal["profile", "service", "state", "task"]


class NewSchemas(Input):
    kind: Kind
    body: Any  # one schema (an object) or several (an array)


class SchemasOf(Input):
    kind: Kind


class SchemaName(Input):
    kind: Kind
    name: str


def _read_task(input: SchemasOf | SchemaName) -> list[str]:
    return [extension_schema_task(input.kind)]


async def _require_mode_for(ctx: Context, kind: str) -> None:
    if kind == "profile":
        await ctx.require_maintenance("profile extension schemas")


@operation("createExtensionSchemas", tasks=("UCS.SchemaMgt.handleMetadata",), input=NewSchemas)
async def create_schemas(ctx: Context, input: NewSchemas) -> list[str]:
    """Create one extension schema (an object) or several (an array) at once; answers their names.
    Their typed fields appear in the graph at once."""
    kind, body = input.kind, input.body
    items = body if isinstance(body, list) else [body]
    if not items:
        raise MalformedBody("expected an extension schema or a non-empty array of them")
    schemas = [parse_schema(kind, item) for item in items]
    names = [s.name.lower() for s in schemas]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise Conflict(f"extension '{duplicate}' is defined twice in this request")
    async with ctx.metadata_write():
        await _require_mode_for(ctx, kind)
        if any(s.encrypted for s in schemas):
            await ctx.runtime.ensure_encryption()  # the first need of keys: loaded, or made (503 if refused)
        try:
            async with ctx.db.write() as conn:
                for schema in schemas:
                    await conn.execute(
                        sa.insert(extension_schema_t).values(
                            owner_kind=kind,
                            name=schema.name,
                            name_key=schema.name.lower(),
                            definition=schema.describe(),
                            created_ms=now_ms(),
                        )
                    )
                await bump_version(conn)
        except IntegrityError:
            raise Conflict(
                f"a {kind} extension with one of the names {', '.join(s.name for s in schemas)} already exists"
            ) from None
    await ctx.reload_metadata()
    return [s.name for s in schemas]


@operation("deleteExtensionSchema", tasks=("UCS.SchemaMgt.handleMetadata",), input=SchemaName)
async def delete_schema(ctx: Context, input: SchemaName) -> None:
    """Delete an extension schema and every record of it; 404 when there is no such schema."""
    kind, name = input.kind, input.name
    async with ctx.metadata_write():
        await _require_mode_for(ctx, kind)
        async with ctx.db.write() as conn:
            schema_id = await conn.scalar(
                sa.select(extension_schema_t.c.id).where(
                    extension_schema_t.c.owner_kind == kind, extension_schema_t.c.name_key == name.lower()
                )
            )
            if schema_id is None:
                raise not_found(f"{kind} extension", name)
            users = [k.name for k in ctx.metadata.keys if k.source and k.source.lower() == name.lower()]
            if kind == "profile" and users:
                raise Conflict(f"identification key(s) {', '.join(users)} use extension '{name}': delete them first")
            await conn.execute(sa.delete(extension_record_t).where(extension_record_t.c.schema_id == schema_id))
            await conn.execute(sa.delete(extension_schema_t).where(extension_schema_t.c.id == schema_id))
            await bump_version(conn)
    await ctx.reload_metadata()


@operation(
    "readExtensionSchemas",
    tasks=(),
    input=SchemasOf,
    more_tasks=_read_task,
    more_tasks_doc="UCS.SchemaMgt.read<Kind>ExtensionSchema of the kind asked for",
)
async def describe_schemas(ctx: Context, input: SchemasOf) -> list[dict[str, Any]]:
    """The extension schemas of one kind, normalised."""
    return [s.describe() for s in ctx.metadata.of_kind(input.kind)]


@operation(
    "readExtensionSchema",
    tasks=(),
    input=SchemaName,
    more_tasks=_read_task,
    more_tasks_doc="UCS.SchemaMgt.read<Kind>ExtensionSchema of the kind asked for",
)
async def describe_schema(ctx: Context, input: SchemaName) -> dict[str, Any]:
    """One extension schema by name, normalised."""
    kind, name = input.kind, input.name
    schema = ctx.metadata.get(kind, name)
    if schema is None:
        raise not_found(f"{kind} extension", name)
    result: dict[str, Any] = schema.describe()
    return result
