"""The journey_event table: events written in the transaction of the write that caused them, read
back in sequence order for a subscriber that reconnects, and purged after the retention.

Sequence order is commit order. On SQLite writers take turns (BEGIN IMMEDIATE), and AUTOINCREMENT
rolls back with its transaction, so sequences have no gaps either. On PostgreSQL a transaction
takes one advisory lock just before it inserts its first event and keeps it until it commits:
events are numbered one transaction at a time, so an event with a higher sequence never becomes
visible before a lower one (a rolled-back transaction leaves a gap, never a reordering). The lock is
held only from the event's insert to the commit: writes insert their events last.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.store.database import one_at_a_time
from contextgraph.resolvers.store.reader import Rows
from contextgraph.resolvers.store.statements import Statement
from contextgraph.resolvers.store.tables import journey_event_t as t
from contextgraph.resolvers.store.tables import server_state_t, service_t

PURGED_THROUGH = "journey_purged_through"  # server_state: the highest sequence a purge removed
_LOCK = sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext("contextgraph:journey_event")))
FIELDS = ("sequence", "kind", "action", "service_id", "customer_id", "state_id", "task_id", "extension", "at")
_FIELDS = tuple(t.c[name] for name in FIELDS)


async def insert(conn: AsyncConnection, values: dict[str, Any]) -> dict[str, Any]:
    """Write one event (its customer is the service's now); answers the row with its sequence."""
    if conn.dialect.name == "postgresql":
        await conn.execute(_LOCK)  # taken again by the same transaction: a no-op
    customer = sa.select(service_t.c.customer_id).where(service_t.c.id == values["service_id"]).scalar_subquery()
    row = (await conn.execute(sa.insert(t).values({**values, "customer_id": customer}).returning(*_FIELDS))).one()
    return dict(row._mapping)


def _after(subject: sa.ColumnElement[Any]) -> Statement:
    return Statement(
        lambda _d: (
            sa.select(*_FIELDS)
            .where(subject == sa.bindparam("subject"), t.c.sequence > sa.bindparam("after", type_=sa.BigInteger))
            .order_by(t.c.sequence)
            .limit(sa.bindparam("limit", type_=sa.Integer))
        )
    )


_AFTER = {"customer": _after(t.c.customer_id), "service": _after(t.c.service_id)}
# What replay can reach: sequences above the highest purged, up to the newest.
_EXTENT = Statement(
    lambda _d: sa.select(
        sa.select(server_state_t.c.value).where(server_state_t.c.key == PURGED_THROUGH).scalar_subquery(),
        sa.select(sa.func.max(t.c.sequence)).scalar_subquery(),
    )
)
_BETWEEN = Statement(
    lambda _d: (
        sa.select(*_FIELDS)
        .where(
            t.c.sequence >= sa.bindparam("low", type_=sa.BigInteger),
            t.c.sequence < sa.bindparam("high", type_=sa.BigInteger),
        )
        .order_by(t.c.sequence)
    )
)


async def after(
    rows: Rows, sequence: int, limit: int, *, customer_id: str | None, service_id: int | None
) -> list[dict[str, Any]]:
    """At most `limit` events after `sequence` of one customer or one service, oldest first."""
    subject: Any = customer_id if customer_id is not None else service_id
    found = await rows.fetch(
        _AFTER["customer" if customer_id is not None else "service"], subject=subject, after=sequence, limit=limit
    )
    return [dict(zip(FIELDS, row, strict=True)) for row in found]


async def extent(rows: Rows) -> tuple[int, int]:
    """(the highest sequence purged, the newest sequence written or purged)."""
    purged, newest = (await rows.fetch(_EXTENT))[0]
    purged_through = int(purged) if purged is not None else 0
    return purged_through, max(int(newest or 0), purged_through)


async def between(rows: Rows, low: int, high: int) -> list[dict[str, Any]]:
    """Every event with low <= sequence < high, oldest first."""
    return [dict(zip(FIELDS, row, strict=True)) for row in await rows.fetch(_BETWEEN, low=low, high=high)]


async def purge(conn: AsyncConnection, before_ms: int) -> int:
    """Forget the events written before `before_ms`; answers how many. What replay can no longer
    reach is remembered, so a subscriber asking for it is told to reload."""
    await one_at_a_time(conn, "journey purge")  # what is purged only ever grows
    through = await conn.scalar(sa.select(sa.func.max(t.c.sequence)).where(t.c.created_ms < before_ms))
    if through is None:
        return 0
    removed = int((await conn.execute(sa.delete(t).where(t.c.sequence <= through))).rowcount)
    mark = server_state_t.c.key == PURGED_THROUGH
    if (await conn.execute(sa.update(server_state_t).where(mark).values(value=str(through)))).rowcount == 0:
        await conn.execute(sa.insert(server_state_t).values(key=PURGED_THROUGH, value=str(through)))
    return removed
