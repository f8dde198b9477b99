"""The metadata version (bumped by every schema or key change, watched by every worker) and the
maintenance-mode rule for profile metadata.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.app.errors import Forbidden
from contextgraph.app.models import server_state_t

if TYPE_CHECKING:
    from contextgraph.resolvers.context import Context


async def read_version(conn: AsyncConnection) -> int:
    query = sa.select(server_state_t.c.value).where(server_state_t.c.key == "metadata_version")
    return int(await conn.scalar(query) or 0)


async def bump_version(conn: AsyncConnection) -> None:
    value = sa.cast(sa.cast(server_state_t.c.value, sa.Integer) + 1, sa.String)
    await conn.execute(sa.update(server_state_t).where(server_state_t.c.key == "metadata_version").values(value=value))


async def require_maintenance(ctx: Context, what: str) -> None:
    """Profile extension schemas and identification keys change only in maintenance mode."""
    if await ctx.server.mode() != "maintenance":
        raise Forbidden(f"{what} can only be changed in maintenance mode")
