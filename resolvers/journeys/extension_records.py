"""The dedicated extension operations of services, states and tasks: lock the owner, change its
records (extensions/records.py), then tell the journey's subscribers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.context import Context
from contextgraph.resolvers.extensions import records
from contextgraph.resolvers.journeys import records as journeys

Owner = tuple[int, int | None]  # (service id, state or task id)


async def _lock(conn: AsyncConnection, kind: str, service_id: int, owner_id: int | None) -> str:
    """Lock the owner row (404 when missing); answers the owner id as extension rows store it."""
    if kind == "service":
        return str((await journeys.fetch_service(conn, service_id, lock=True)).id)
    assert owner_id is not None
    if kind == "state":
        return str((await journeys.fetch_state(conn, service_id, owner_id, lock=True)).id)
    return str((await journeys.fetch_task(conn, service_id, owner_id, lock=True)).id)


async def _apply(ctx: Context, kind: str, owner: Owner, name: str, body: Any, make: Any) -> None:
    schema = records.schema_of(ctx, kind, name)
    change = make(ctx, schema, body)
    async with ctx.write() as conn:
        await change(conn, await _lock(conn, kind, *owner))
    ids = {"state_id": owner[1]} if kind == "state" else {"task_id": owner[1]} if kind == "task" else {}
    await ctx.live.publish(kind, "extension_changed", owner[0], extension=schema.name, **ids)


async def replace_extension(ctx: Context, kind: str, owner: Owner, name: str, body: Any) -> None:
    await _apply(ctx, kind, owner, name, body, records.replacing)


async def update_record(ctx: Context, kind: str, owner: Owner, name: str, body: Any) -> None:
    await _apply(ctx, kind, owner, name, body, records.updating)


async def delete_record(ctx: Context, kind: str, owner: Owner, name: str, body: Any) -> None:
    await _apply(ctx, kind, owner, name, body, records.deleting)
