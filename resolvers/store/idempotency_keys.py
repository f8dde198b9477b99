"""The idempotency_key table: what a key's first request answered, until it expires."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.store.tables import idempotency_key_t as t


async def recall(conn: AsyncConnection, principal: str, key: str, now_ms: int) -> tuple[str, Any] | None:
    """(fingerprint, result) of the key's first request, unless there is none or it expired."""
    mine = (t.c.principal == principal, t.c.key == key, t.c.expires_ms > now_ms)
    found = (await conn.execute(sa.select(t.c.fingerprint, t.c.result).where(*mine))).first()
    return (found.fingerprint, found.result) if found is not None else None


async def forget_expired(conn: AsyncConnection, principal: str, key: str, now_ms: int) -> None:
    """Drop the key's row if it expired, so a write can keep the key again."""
    await conn.execute(sa.delete(t).where(t.c.principal == principal, t.c.key == key, t.c.expires_ms <= now_ms))


async def remember(conn: AsyncConnection, principal: str, key: str, fingerprint: str, result: Any, until: int) -> bool:
    """Keep the key's result in the write's transaction; False when another transaction holding the
    key committed first (the key's primary key refuses the second row: nothing is inserted)."""
    row = {"principal": principal, "key": key, "fingerprint": fingerprint, "result": result, "expires_ms": until}
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    inserted = await conn.execute(dialect.insert(t).values(row).on_conflict_do_nothing())
    return inserted.rowcount == 1


async def purge(conn: AsyncConnection, now_ms: int) -> int:
    """Forget every expired key; answers how many."""
    return int((await conn.execute(sa.delete(t).where(t.c.expires_ms <= now_ms))).rowcount)
