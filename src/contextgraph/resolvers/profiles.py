"""Customer profiles, the part services need: create, query, and the existence check."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.app.errors import BadParameter, not_found
from contextgraph.app.ids import new_customer_id
from contextgraph.app.models import customer_t
from contextgraph.app.timefmt import now_ms
from contextgraph.resolvers.context import Context
from contextgraph.resolvers.events import require_object
from contextgraph.resolvers.extensions import check_extensions, extension_values, schemas_named, write_extensions


async def require_customer(conn: AsyncConnection, customer_id: str) -> None:
    """404 unless the customer exists."""
    found = await conn.scalar(sa.select(customer_t.c.id).where(customer_t.c.id == customer_id))
    if found is None:
        raise not_found("customer", customer_id)


async def create_profile(ctx: Context, body: Any) -> str:
    """Create a profile from its attributes; answers the 16-character id the server made."""
    body = require_object(body)
    if "customer_id" in body:
        raise BadParameter("customer_id", "customer ids are made by the server; leave it out")
    attributes, extensions = ctx.profile_schema.split(body)
    checked = check_extensions(ctx, "profile", extensions)
    customer_id = new_customer_id()
    async with ctx.write() as conn:
        await conn.execute(
            sa.insert(customer_t).values(id=customer_id, attributes=attributes, created_ms=now_ms())
        )
        await write_extensions(conn, customer_id, checked)
    return customer_id


async def get_profiles(conn: AsyncConnection, customer_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Profiles by id ({"customer_id": …, attributes…}); ids that do not exist are left out."""
    query = sa.select(customer_t.c.id, customer_t.c.attributes).where(customer_t.c.id.in_(customer_ids))
    return {row.id: {"customer_id": row.id, **row.attributes} for row in await conn.execute(query)}


async def get_profile(ctx: Context, customer_id: str, extensions: Sequence[str] = ()) -> dict[str, Any]:
    """The profile: its id, its attributes and the extensions asked for."""
    schemas = schemas_named(ctx.metadata, "profile", extensions)
    async with ctx.read(snapshot=bool(schemas)) as conn:
        profiles = await get_profiles(conn, [customer_id])
        if customer_id not in profiles:
            raise not_found("customer", customer_id)
        values = await extension_values(conn, schemas, [customer_id])
    return profiles[customer_id] | values.get(customer_id, {})
