"""Schema migrations (Alembic), run at every start: `await migrate(database)` brings it to head.

Several workers may start at once; on PostgreSQL an advisory lock lets one migrate at a time, and
on SQLite the write transaction (BEGIN IMMEDIATE) does the same.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from contextgraph.resolvers.store.database import Database, one_at_a_time

_SCRIPTS = Path(__file__).with_name("migrations")


def alembic_config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.attributes["connection"] = connection
    return config


async def migrate(database: Database) -> None:
    async with database.write() as conn:
        await one_at_a_time(conn, "migrations")
        await conn.run_sync(lambda sync: command.upgrade(alembic_config(sync), "head"))
