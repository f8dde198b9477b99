"""What every resolver is given: the database, the settings and the server runtime.

`ctx.read()` / `ctx.write()` open a transaction for profile and service work, behind the
server-mode guard (403 in maintenance, 503 while switching).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.app.db import Database
from contextgraph.app.settings import Settings
from contextgraph.resolvers.profile_schema import ProfileSchema
from contextgraph.resolvers.server import ServerRuntime


@dataclass
class Context:
    db: Database
    settings: Settings
    server: ServerRuntime
    profile_schema: ProfileSchema

    @classmethod
    def create(cls, db: Database, settings: Settings) -> Context:
        server = ServerRuntime(
            db,
            switch_timeout=settings.mode_switch_timeout,
            refresh_interval=settings.mode_refresh_interval,
        )
        schema = ProfileSchema(settings.profile_attributes, check_values=settings.check_reserved_values)
        return cls(db, settings, server, schema)

    @asynccontextmanager
    async def read(self, *, snapshot: bool = True) -> AsyncIterator[AsyncConnection]:
        async with self.server.operation(), self.db.read(snapshot=snapshot) as conn:
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        async with self.server.operation(), self.db.write() as conn:
            yield conn
