"""The versions every worker watches: of the metadata (bumped by every schema or identification-key
change), of the API keys and of the trusted documents.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.store.tables import server_state_t

METADATA, KEYS, DOCUMENTS = "metadata_version", "keys_version", "documents_version"


async def read_versions(conn: AsyncConnection, *names: str) -> dict[str, int]:
    """The versions named, in one query (0 for one never bumped)."""
    rows = await conn.execute(
        sa.select(server_state_t.c.key, server_state_t.c.value).where(server_state_t.c.key.in_(names))
    )
    found = {key: int(value) for key, value in rows}
    return {name: found.get(name, 0) for name in names}


async def read_version(conn: AsyncConnection, name: str = METADATA) -> int:
    return (await read_versions(conn, name))[name]


async def bump_version(conn: AsyncConnection, name: str = METADATA) -> None:
    """Tell every worker `name` changed (its row appears on the first bump)."""
    value = sa.cast(sa.cast(server_state_t.c.value, sa.Integer) + 1, sa.String)
    updated = await conn.execute(sa.update(server_state_t).where(server_state_t.c.key == name).values(value=value))
    if updated.rowcount == 0:
        await conn.execute(sa.insert(server_state_t).values(key=name, value="1"))
