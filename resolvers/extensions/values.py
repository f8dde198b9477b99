"""Extension values: checked against their schemas, written as rows, read back in batches.

Keys of a body that are not documented fields are extension names (spec/004 "Extension").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.access.roles import extension_task
from contextgraph.resolvers.context import Context
from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.extensions.sealing import open_record, stored
from contextgraph.resolvers.metadata.extension_schema import ExtensionSchema
from contextgraph.resolvers.metadata.registry import MetadataRegistry
from contextgraph.resolvers.store.reader import Rows
from contextgraph.resolvers.store.statements import Statement
from contextgraph.resolvers.store.tables import extension_record_t, extension_schema_t, read_json

Checked = dict[ExtensionSchema, list[dict[str, Any]]]


def check_extensions(ctx: Context, kind: str, extensions: Mapping[str, Any], *, action: str = "create") -> Checked:
    """Check extension values named in a body: the caller's key must hold the `action` task of the
    kind (403: UCS.Service.createStateExtension, …); 400 for an undefined name or an invalid record.
    """
    if extensions:
        ctx.require(extension_task(action, kind))
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
        await conn.execute(
            sa.delete(extension_record_t).where(
                extension_record_t.c.schema_id == schema.id, extension_record_t.c.owner_id == owner
            )
        )
        if records:
            rows = [{"schema_id": schema.id, "owner_id": owner, **stored(schema, owner, record)} for record in records]
            await conn.execute(sa.insert(extension_record_t), rows)


async def delete_owned_records(conn: AsyncConnection, kind: str, owner_ids: Sequence[object]) -> None:
    """Delete every extension record of these owners (of one kind)."""
    if not owner_ids:
        return
    schema_ids = sa.select(extension_schema_t.c.id).where(extension_schema_t.c.owner_kind == kind)
    await conn.execute(
        sa.delete(extension_record_t).where(
            extension_record_t.c.schema_id.in_(schema_ids),
            extension_record_t.c.owner_id.in_([str(o) for o in owner_ids]),
        )
    )


async def extension_values(
    rows: Rows, schemas: Sequence[ExtensionSchema], owner_ids: Sequence[object]
) -> dict[str, dict[str, Any]]:
    """{owner id: {extension name: record (single-valued) or [records]}} in one query."""
    values: dict[str, dict[str, Any]] = defaultdict(dict)
    found = await records_by_schema(rows, schemas, owner_ids)
    for schema in schemas:
        for owner in owner_ids:
            value = found.get((schema.id, str(owner)))
            if value is not None or schema.multi:
                values[str(owner)][schema.name] = value if value is not None else []
    return values


# The records of some (extension schema, owner) keys: two list parameters of the same length, the
# schema and the owner of each key, one statement. Each key is looked up through the (owner, schema,
# id) index, so a tree whose levels have different extensions reads no record it does not show (a
# task's id may be a service's too). Each owner's records of one schema in the order they were written.
_R = extension_record_t.c


def _records(dialect: str) -> sa.Select[Any]:
    schema_id: sa.ColumnElement[Any]
    owner_id: sa.ColumnElement[Any]
    if dialect == "postgresql":
        keys = (
            sa.func.unnest(
                sa.bindparam("schemas", type_=postgresql.ARRAY(_R.schema_id.type)),
                sa.bindparam("owners", type_=postgresql.ARRAY(_R.owner_id.type)),
            )
            .table_valued("schema_id", "owner_id")
            .render_derived(name="k")
        )
        schema_id, owner_id = keys.c.schema_id, keys.c.owner_id
    else:  # the owners' JSON array, each with the schema at the same position of the schemas' array
        keys = sa.func.json_each(sa.bindparam("owners", type_=sa.String)).table_valued("key", "value").alias("k")
        position = sa.literal_column("'$['", sa.String) + sa.cast(keys.c.key, sa.String) + sa.literal_column("']'")
        schema_id = sa.func.json_extract(sa.bindparam("schemas", type_=sa.String), position)
        owner_id = keys.c.value
    return (
        sa.select(_R.schema_id, _R.owner_id, read_json(_R.record), _R.sealed)
        .select_from(keys.join(extension_record_t, sa.and_(_R.owner_id == owner_id, _R.schema_id == schema_id)))
        .order_by(_R.owner_id, _R.schema_id, _R.id)
    )


_RECORDS = Statement(_records)


async def records_by_schema(
    rows: Rows, schemas: Sequence[ExtensionSchema], owner_ids: Sequence[object]
) -> dict[tuple[int | None, str], Any]:
    """{(schema id, owner id): record (single-valued) or [records] (multi-valued)} in one query,
    for every schema with every owner."""
    owners = list(dict.fromkeys(str(o) for o in owner_ids))
    return await records_of(
        rows, [(schema, owner) for schema in {s.id: s for s in schemas}.values() for owner in owners]
    )


async def records_of(rows: Rows, keys: Sequence[tuple[ExtensionSchema, object]]) -> dict[tuple[int | None, str], Any]:
    """{(schema id, owner id): record (single-valued) or [records] (multi-valued)} of these (schema,
    owner) keys in one query; schemas of different kinds may be asked together (their owners' ids
    may coincide: each owner's records are read for its own schemas only).
    """
    found: dict[tuple[int | None, str], Any] = {}
    by_id = {schema.id: schema for schema, _ in keys}
    wanted = list(dict.fromkeys((schema.id, str(owner)) for schema, owner in keys))
    if not wanted:
        return found
    multi = {schema_id for schema_id, schema in by_id.items() if schema.multi}
    schema_ids, owners = [k[0] for k in wanted], [k[1] for k in wanted]
    for schema_id, owner_id, record, sealed in await rows.fetch(_RECORDS, schemas=schema_ids, owners=owners):
        if sealed is not None:
            record = open_record(by_id[schema_id], owner_id, record, sealed)
        if schema_id in multi:
            found.setdefault((schema_id, owner_id), []).append(record)
        else:
            found[(schema_id, owner_id)] = record
    return found
