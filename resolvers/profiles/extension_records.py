"""The dedicated extension operations of customer profiles: lock the customer, change its records
(extensions/records.py), then rewrite its identity rows (its extensions may identify it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contextgraph.resolvers.context import Context
from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.extensions import records
from contextgraph.resolvers.extensions.values import check_extensions, write_extensions
from contextgraph.resolvers.journeys.records import require_customer
from contextgraph.resolvers.profiles.identification import reindex


async def _apply(ctx: Context, customer_id: str, name: str, body: Any, make: Any) -> None:
    schema = records.schema_of(ctx, "profile", name)
    change = make(ctx, schema, body)
    async with ctx.write() as conn:
        await require_customer(conn, customer_id, lock=True)
        await change(conn, customer_id)
        await reindex(ctx, conn, [customer_id])


async def replace_extension(ctx: Context, customer_id: str, name: str, body: Any) -> None:
    await _apply(ctx, customer_id, name, body, records.replacing)


async def update_record(ctx: Context, customer_id: str, name: str, body: Any) -> None:
    await _apply(ctx, customer_id, name, body, records.updating)


async def delete_record(ctx: Context, customer_id: str, name: str, body: Any) -> None:
    await _apply(ctx, customer_id, name, body, records.deleting)


async def insert_profile_extensions(ctx: Context, customer_id: str, body: Any) -> None:
    """POST /profiles/{id}/extensions: several extensions at once, each replacing its records."""
    if not isinstance(body, Mapping):
        raise BadParameter("body", "expected an object of extension names and values")
    if body.get("customer_id", customer_id) != customer_id:
        raise BadParameter("customer_id", "does not match the customer id of the path")
    checked = check_extensions(ctx, "profile", {k: v for k, v in body.items() if k != "customer_id"})
    async with ctx.write() as conn:
        await require_customer(conn, customer_id, lock=True)
        await write_extensions(conn, customer_id, checked)
        await reindex(ctx, conn, [customer_id])
