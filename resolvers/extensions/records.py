"""The dedicated extension operations, whatever the owner: replace an extension's value, and update
or delete one record found by its unique attributes. The owner's own module locks the owner row
first (so concurrent writers of one owner take turns and the single-valued and unique rules hold)
and then applies one of these changes (journeys/extension_records.py, profiles/extension_records.py).

Each `…ing(ctx, schema, body)` checks what it can before any transaction (a bad body is a 400
that never waits for a lock) and answers the change to make once the owner is locked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.context import Context
from contextgraph.resolvers.errors import BadParameter, not_found
from contextgraph.resolvers.extensions.sealing import open_record, same_values, stored
from contextgraph.resolvers.extensions.values import write_extensions
from contextgraph.resolvers.metadata.extension_schema import ExtensionSchema
from contextgraph.resolvers.store.tables import extension_record_t

# (connection, the locked owner's id as extension rows store it) -> None
Change = Callable[[AsyncConnection, str], Awaitable[None]]


def schema_of(ctx: Context, kind: str, name: str) -> ExtensionSchema:
    """The extension schema a path names; 404 when there is none."""
    schema = ctx.metadata.get(kind, name)
    if schema is None:
        raise not_found(f"{kind} extension", name)
    return schema


def replacing(ctx: Context, schema: ExtensionSchema, body: Any) -> Change:
    """PUT …/extensions/{name}: the new value replaces every former record."""
    checked = {schema: schema.check_value(body, check_reserved=ctx.settings.check_reserved_values)}

    async def change(conn: AsyncConnection, owner_id: str) -> None:
        await write_extensions(conn, owner_id, checked)

    return change


def updating(ctx: Context, schema: ExtensionSchema, body: Any) -> Change:
    """…/by/unique: update one record found by its unique attributes, which themselves stay."""
    check = ctx.settings.check_reserved_values

    async def change(conn: AsyncConnection, owner_id: str) -> None:
        row_id, record, given = await _find_by_unique(conn, schema, owner_id, body, check)
        updated = record | {k: v for k, v in given.items() if k not in schema.unique_attributes}
        updated = schema.check_record(updated, check_reserved=check)
        update = sa.update(extension_record_t).where(extension_record_t.c.id == row_id)
        await conn.execute(update.values(**stored(schema, owner_id, updated)))

    return change


def deleting(ctx: Context, schema: ExtensionSchema, body: Any) -> Change:
    """…/delete/by/unique: delete one record found by its unique attributes (404 if none)."""
    check = ctx.settings.check_reserved_values

    async def change(conn: AsyncConnection, owner_id: str) -> None:
        row_id, _, _ = await _find_by_unique(conn, schema, owner_id, body, check)
        await conn.execute(sa.delete(extension_record_t).where(extension_record_t.c.id == row_id))

    return change


async def _find_by_unique(
    conn: AsyncConnection, schema: ExtensionSchema, owner_id: str, body: Any, check_reserved: bool
) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """The record the body's unique attributes name: (row id, stored record, checked body)."""
    if not schema.unique:
        raise BadParameter(schema.name, "the extension has no unique attributes to find a record by")
    given = schema.check_record(body, check_reserved=check_reserved, partial=True)
    keys = [group for group in schema.unique if all(name in given for name in group)]
    if not keys:
        names = " or ".join("+".join(group) for group in schema.unique)
        raise BadParameter(schema.name, f"the body must give the unique attribute(s) {names}")
    records = extension_record_t.c
    rows = await conn.execute(
        sa.select(records.id, records.record, records.sealed, records.blind).where(
            records.schema_id == schema.id, records.owner_id == owner_id
        )
    )
    for row in rows:  # encrypted unique attributes compare by their blind index: nothing is decrypted
        if any(same_values(schema, row, given, group) for group in keys):
            return row.id, open_record(schema, owner_id, row.record, row.sealed), given
    raise not_found(f"record of extension '{schema.name}'", ", ".join(f"{n}={given[n]}" for n in keys[0]))
