"""Extension values: checked against their schemas, written as rows, read back in batches, and the
dedicated operations (replace, update or delete one record by its unique attributes).

Keys of a body that are not documented fields are extension names (spec/004 "Extension"). Every
write of an owner's extension locks the owner first, so concurrent writers of one owner take turns
and the single-valued and unique rules hold.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.app.errors import BadParameter, not_found
from contextgraph.app.models import customer_t, extension_record_t, extension_schema_t, read_json
from contextgraph.resolvers import journeys
from contextgraph.resolvers.extension_schema import ExtensionSchema
from contextgraph.resolvers.identification import reindex
from contextgraph.resolvers.metadata import MetadataRegistry
from contextgraph.resolvers.roles import extension_task, require_current

if TYPE_CHECKING:
    from contextgraph.resolvers.context import Context

Checked = dict[ExtensionSchema, list[dict[str, Any]]]


def check_extensions(ctx: Context, kind: str, extensions: Mapping[str, Any], *, action: str = "create") -> Checked:
    """Check extension values named in a body: the caller's key must hold the `action` task of the
    kind (403: UCS.Service.createStateExtension, …); 400 for an undefined name or an invalid record.
    """
    if extensions:
        require_current(extension_task(action, kind))
    checked: Checked = {}
    for name, value in extensions.items():
        schema = ctx.metadata.get(kind, name)
        if schema is None:
            raise BadParameter(name, f"not a documented field nor a defined {kind} extension")
        checked[schema] = schema.check_value(value, check_reserved=ctx.settings.check_reserved_values)
    return checked


def schemas_named(registry: MetadataRegistry, kind: str, names: Sequence[str]) -> list[ExtensionSchema]:
    """The schemas of `extensions=A,B` in a query; 400 for a name that is not defined."""
    schemas = []
    for name in names:
        schema = registry.get(kind, name)
        if schema is None:
            raise BadParameter("extensions", f"'{name}' is not a defined {kind} extension")
        schemas.append(schema)
    return schemas


async def write_extensions(conn: AsyncConnection, owner_id: object, checked: Checked) -> None:
    """Replace the owner's records of each checked extension (the documents' replace semantics)."""
    for schema, records in checked.items():
        owner = str(owner_id)
        await conn.execute(sa.delete(extension_record_t).where(
            extension_record_t.c.schema_id == schema.id, extension_record_t.c.owner_id == owner
        ))  # fmt: skip
        if records:
            rows = [{"schema_id": schema.id, "owner_id": owner, "record": record} for record in records]
            await conn.execute(sa.insert(extension_record_t), rows)


async def delete_owned_records(conn: AsyncConnection, kind: str, owner_ids: Sequence[object]) -> None:
    """Delete every extension record of these owners (of one kind)."""
    if not owner_ids:
        return
    schema_ids = sa.select(extension_schema_t.c.id).where(extension_schema_t.c.owner_kind == kind)
    await conn.execute(sa.delete(extension_record_t).where(
        extension_record_t.c.schema_id.in_(schema_ids), extension_record_t.c.owner_id.in_([str(o) for o in owner_ids])
    ))  # fmt: skip


async def extension_values(
    conn: AsyncConnection, schemas: Sequence[ExtensionSchema], owner_ids: Sequence[object]
) -> dict[str, dict[str, Any]]:
    """{owner id: {extension name: record (single-valued) or [records]}} in one query."""
    values: dict[str, dict[str, Any]] = defaultdict(dict)
    found = await records_by_schema(conn, schemas, owner_ids)
    for schema in schemas:
        for owner in owner_ids:
            value = found.get((schema.id, str(owner)))
            if value is not None or schema.multi:
                values[str(owner)][schema.name] = value if value is not None else []
    return values


async def records_by_schema(
    conn: AsyncConnection, schemas: Sequence[ExtensionSchema], owner_ids: Sequence[object]
) -> dict[tuple[int | None, str], Any]:
    """{(schema id, owner id): record (single-valued) or [records] (multi-valued)} in one query;
    schemas of different kinds may be asked together (their owners' ids may coincide).
    """
    found: dict[tuple[int | None, str], Any] = {}
    if not schemas or not owner_ids:
        return found
    by_id = {s.id: s for s in schemas}
    table = extension_record_t
    query = sa.select(table.c.schema_id, table.c.owner_id, read_json(table.c.record)).where(
        table.c.schema_id.in_(list(by_id)), table.c.owner_id.in_(list(dict.fromkeys(str(o) for o in owner_ids))),
    ).order_by(table.c.id)  # fmt: skip
    multi = {schema_id for schema_id, schema in by_id.items() if schema.multi}
    for schema_id, owner_id, record in (await conn.execute(query)).all():
        if schema_id in multi:
            found.setdefault((schema_id, owner_id), []).append(record)
        else:
            found[(schema_id, owner_id)] = record
    return found


# -- the dedicated operations -----------------------------------------------------------------
async def _lock_owner(conn: AsyncConnection, kind: str, service_id: int | str, owner_id: int | None) -> str:
    """Lock the owner row (404 when missing); answers the owner id as extension rows store it."""
    if kind == "profile":
        query = sa.select(customer_t.c.id).where(customer_t.c.id == service_id).with_for_update()
        if await conn.scalar(query) is None:
            raise not_found("customer", service_id)
        return str(service_id)
    assert isinstance(service_id, int)
    if kind == "service":
        return str((await journeys.fetch_service(conn, service_id, lock=True)).id)
    if kind == "state":
        assert owner_id is not None
        return str((await journeys.fetch_state(conn, service_id, owner_id, lock=True)).id)
    assert owner_id is not None
    return str((await journeys.fetch_task(conn, service_id, owner_id, lock=True)).id)


def _schema(ctx: Context, kind: str, name: str) -> ExtensionSchema:
    schema = ctx.metadata.get(kind, name)
    if schema is None:
        raise not_found(f"{kind} extension", name)
    return schema


async def replace_extension(ctx: Context, kind: str, owner: tuple[Any, int | None], name: str, body: Any) -> None:
    """PUT …/extensions/{name}: the new value replaces every former record."""
    schema = _schema(ctx, kind, name)
    checked = {schema: schema.check_value(body, check_reserved=ctx.settings.check_reserved_values)}
    async with ctx.write() as conn:
        owner_id = await _lock_owner(conn, kind, *owner)
        await write_extensions(conn, owner_id, checked)
        await _after_write(ctx, conn, kind, owner_id)
    await _announce(ctx, kind, owner, schema.name)


async def _announce(ctx: Context, kind: str, owner: tuple[Any, int | None], extension: str) -> None:
    """Subscribers of a journey hear of its extension changes (profiles are not journeys)."""
    if kind != "profile":
        ids = {"state_id": owner[1]} if kind == "state" else {"task_id": owner[1]} if kind == "task" else {}
        await ctx.live.publish(kind, "extension_changed", owner[0], extension=extension, **ids)


async def _after_write(ctx: Context, conn: AsyncConnection, kind: str, owner_id: str) -> None:
    """A profile's extensions feed its identity rows."""
    if kind == "profile":
        await reindex(ctx, conn, [owner_id])


async def insert_profile_extensions(ctx: Context, customer_id: str, body: Any) -> None:
    """POST /profiles/{id}/extensions: several extensions at once, each replacing its records."""
    if not isinstance(body, Mapping):
        raise BadParameter("body", "expected an object of extension names and values")
    if body.get("customer_id", customer_id) != customer_id:
        raise BadParameter("customer_id", "does not match the customer id of the path")
    checked = check_extensions(ctx, "profile", {k: v for k, v in body.items() if k != "customer_id"})
    async with ctx.write() as conn:
        owner_id = await _lock_owner(conn, "profile", customer_id, None)
        await write_extensions(conn, owner_id, checked)
        await _after_write(ctx, conn, "profile", owner_id)


async def _find_by_unique(
    conn: AsyncConnection, schema: ExtensionSchema, owner_id: str, body: Mapping[str, Any], check_reserved: bool
) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """The record the body's unique attributes name: (row id, stored record, checked body)."""
    if not schema.unique:
        raise BadParameter(schema.name, "the extension has no unique attributes to find a record by")
    given = schema.check_record(body, check_reserved=check_reserved, partial=True)
    keys = [group for group in schema.unique if all(name in given for name in group)]
    if not keys:
        names = " or ".join("+".join(group) for group in schema.unique)
        raise BadParameter(schema.name, f"the body must give the unique attribute(s) {names}")
    rows = await conn.execute(sa.select(extension_record_t.c.id, extension_record_t.c.record).where(
        extension_record_t.c.schema_id == schema.id, extension_record_t.c.owner_id == owner_id
    ))  # fmt: skip
    for row in rows:
        if any(all(row.record.get(n) == given[n] for n in group) for group in keys):
            return row.id, row.record, given
    raise not_found(f"record of extension '{schema.name}'", ", ".join(f"{n}={given[n]}" for n in keys[0]))


async def update_record(ctx: Context, kind: str, owner: tuple[Any, int | None], name: str, body: Any) -> None:
    """…/by/unique: update one record found by its unique attributes, which themselves stay."""
    schema = _schema(ctx, kind, name)
    check = ctx.settings.check_reserved_values
    async with ctx.write() as conn:
        owner_id = await _lock_owner(conn, kind, *owner)
        row_id, record, given = await _find_by_unique(conn, schema, owner_id, body, check)
        updated = record | {k: v for k, v in given.items() if k not in schema.unique_attributes}
        updated = schema.check_record(updated, check_reserved=check)
        update = sa.update(extension_record_t).where(extension_record_t.c.id == row_id)
        await conn.execute(update.values(record=updated))
        await _after_write(ctx, conn, kind, owner_id)
    await _announce(ctx, kind, owner, schema.name)


async def delete_record(ctx: Context, kind: str, owner: tuple[Any, int | None], name: str, body: Any) -> None:
    """…/delete/by/unique: delete one record found by its unique attributes (404 if none)."""
    schema = _schema(ctx, kind, name)
    async with ctx.write() as conn:
        owner_id = await _lock_owner(conn, kind, *owner)
        row_id, _, _ = await _find_by_unique(conn, schema, owner_id, body, ctx.settings.check_reserved_values)
        await conn.execute(sa.delete(extension_record_t).where(extension_record_t.c.id == row_id))
        await _after_write(ctx, conn, kind, owner_id)
    await _announce(ctx, kind, owner, schema.name)

