"""Schema operations: create, query and delete extension schemas.

A change bumps `metadata_version` in the same transaction; each worker notices the bump (its poller)
and reloads, and its listeners (the GraphQL schema builder) follow. Profile extension schemas change
only in maintenance mode; service, state and task schemas in either mode (README "Extensions").
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from contextgraph.resolvers.context import Context
from contextgraph.resolvers.errors import Conflict, MalformedBody, not_found
from contextgraph.resolvers.metadata.extension_schema import KINDS, parse_schema
from contextgraph.resolvers.store.tables import extension_record_t, extension_schema_t
from contextgraph.resolvers.store.versions import bump_version
from contextgraph.resolvers.timefmt import now_ms


async def _require_mode_for(ctx: Context, kind: str) -> None:
    if kind == "profile":
        await ctx.require_maintenance("profile extension schemas")


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise not_found("extension owner", kind)
    return kind


async def create_schemas(ctx: Context, kind: str, body: Any) -> list[str]:
    """Create one schema (an object) or several (an array) at once; answers their names."""
    items = body if isinstance(body, list) else [body]
    if not items:
        raise MalformedBody("expected an extension schema or a non-empty array of them")
    schemas = [parse_schema(check_kind(kind), item) for item in items]
    names = [s.name.lower() for s in schemas]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise Conflict(f"extension '{duplicate}' is defined twice in this request")
    async with ctx.metadata_write():
        await _require_mode_for(ctx, kind)
        try:
            async with ctx.db.write() as conn:
                for schema in schemas:
                    await conn.execute(sa.insert(extension_schema_t).values(
                        owner_kind=kind, name=schema.name, name_key=schema.name.lower(),
                        definition=schema.describe(), created_ms=now_ms(),
                    ))  # fmt: skip
                await bump_version(conn)
        except IntegrityError:
            raise Conflict(f"a {kind} extension with one of the names {', '.join(s.name for s in schemas)} "
                           "already exists") from None  # fmt: skip
    await ctx.reload_metadata()
    return [s.name for s in schemas]


async def delete_schema(ctx: Context, kind: str, name: str) -> None:
    """Delete a schema and every record of it; 404 when there is no such schema."""
    check_kind(kind)
    async with ctx.metadata_write():
        await _require_mode_for(ctx, kind)
        async with ctx.db.write() as conn:
            schema_id = await conn.scalar(sa.select(extension_schema_t.c.id).where(
                extension_schema_t.c.owner_kind == kind, extension_schema_t.c.name_key == name.lower()
            ))  # fmt: skip
            if schema_id is None:
                raise not_found(f"{kind} extension", name)
            users = [k.name for k in ctx.metadata.keys if k.source and k.source.lower() == name.lower()]
            if kind == "profile" and users:
                raise Conflict(f"identification key(s) {', '.join(users)} use extension '{name}': delete them first")
            await conn.execute(sa.delete(extension_record_t).where(extension_record_t.c.schema_id == schema_id))
            await conn.execute(sa.delete(extension_schema_t).where(extension_schema_t.c.id == schema_id))
            await bump_version(conn)
    await ctx.reload_metadata()


def describe_schemas(ctx: Context, kind: str) -> list[dict[str, Any]]:
    return [s.describe() for s in ctx.metadata.of_kind(check_kind(kind))]


def describe_schema(ctx: Context, kind: str, name: str) -> dict[str, Any]:
    schema = ctx.metadata.get(check_kind(kind), name)
    if schema is None:
        raise not_found(f"{kind} extension", name)
    result: dict[str, Any] = schema.describe()
    return result


METADATA_RESOURCES = {
    "Profiles Schema": "/metadata/profiles",
    "Profiles Extensions": "/metadata/profiles/extensions",
    "Services Extensions": "/metadata/services/extensions",
    "States Extensions": "/metadata/states/extensions",
    "Tasks Extensions": "/metadata/tasks/extensions",
    "identification-keys schemas": "/metadata/identification-keys",
    "business-attributes mapping": "/metadata/business-attributes",
    "roles": "/metadata/roles",
}
