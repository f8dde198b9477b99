"""The database: the engine and its transactions (`write()` for one atomic change, `read()` for the
queries of the start-up and the metadata), and the read path (`reader`, store/reader.py).

On SQLite a write transaction takes the write lock up front (BEGIN IMMEDIATE): a deferred BEGIN
that upgrades later fails with "database is locked" and loses read-modify-write races.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import orjson
import sqlalchemy as sa
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from contextgraph.resolvers.errors import Unavailable
from contextgraph.resolvers.store.reader import Reader

_WRITE = "contextgraph_write"
_NO_SNAPSHOT = "contextgraph_no_snapshot"


SQL_STATEMENTS = Counter("contextgraph_sql_statements_total", "SQL statements sent to the database")


def _count_statement(*_args: Any) -> None:
    SQL_STATEMENTS.inc()


def _json_loads(value: Any) -> Any:
    if not isinstance(value, str | bytes):  # SQLite hands JSON numbers over as numbers; SQLAlchemy
        raise TypeError("not JSON text")  # then takes them as they are on a TypeError
    return orjson.loads(value)


class Database:
    """An async engine plus the transaction discipline every resolver uses."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        # orjson reads JSON columns about five times faster than json (request bodies are read with it too).
        options: dict[str, Any] = {"json_deserializer": _json_loads}
        if self.is_sqlite:
            options["connect_args"] = {"timeout": 30}
        else:
            # A database that went away answers 503 within seconds instead of hanging requests;
            # pre-ping replaces the pool's dead connections once it is back.
            options.update(
                pool_size=pool_size,
                max_overflow=pool_size,
                pool_pre_ping=True,
                pool_timeout=10,
                connect_args={"timeout": 5},
            )
        self.engine: AsyncEngine = create_async_engine(url, **options)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        sa.event.listen(self.engine.sync_engine, "before_cursor_execute", _count_statement)
        # Called once per statement the reader runs (SQLAlchemy's events do not see them).
        self.statement_listeners: list[Callable[[], None]] = [SQL_STATEMENTS.inc]
        self.reader = Reader(self.engine.url, self.engine.dialect, pool_size, self._read)

    def _read(self) -> None:
        for listener in self.statement_listeners:
            listener()

    @asynccontextmanager
    async def _connect(self) -> AsyncIterator[AsyncConnection]:
        """A pooled connection; losing the database is a 503 (Unavailable), not a 500."""
        try:
            async with self.engine.connect() as conn:
                yield conn
        except (sa.exc.DBAPIError, OSError, TimeoutError) as exc:
            if _unreachable(exc, self.is_sqlite):
                raise Unavailable("the database is not reachable right now; retry in a moment") from exc
            raise

    @asynccontextmanager
    async def read(self, *, snapshot: bool = True) -> AsyncIterator[AsyncConnection]:
        """A connection in a read transaction: one consistent snapshot for several queries.

        `snapshot=False` is for a single query, which is atomic by itself: it saves the
        BEGIN/COMMIT round trips (the batched loads of a GraphQL tree run many of these).
        """
        async with self._connect() as conn:
            if not snapshot:
                if self.is_sqlite:
                    await conn.execution_options(**{_NO_SNAPSHOT: True})
                else:
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
            async with conn.begin():
                yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One transaction that commits when the block ends and rolls back if it raises."""
        async with self._connect() as conn:
            await conn.execution_options(**{_WRITE: True})
            async with conn.begin():
                yield conn

    async def dispose(self) -> None:
        await self.reader.close()
        await self.engine.dispose()


def asyncpg_dsn(url: str | sa.URL) -> str:
    """The plain postgresql:// DSN asyncpg takes, of a SQLAlchemy URL."""
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _unreachable(exc: BaseException, is_sqlite: bool) -> bool:
    """Whether an error means the database is away (for now), rather than a bug."""
    if isinstance(exc, OSError | TimeoutError | sa.exc.InterfaceError):
        return True
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa.exc.OperationalError):
        # On SQLite an OperationalError is also "no such table"; only a held lock is passing.
        return not is_sqlite or "database is locked" in str(exc)
    return False


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @sa.event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module: it would not BEGIN before a SELECT.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: with WAL, NORMAL may lose the last acknowledged commits on power loss.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @sa.event.listens_for(sync_engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        options = conn.get_execution_options()
        if options.get(_WRITE, False):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif not options.get(_NO_SNAPSHOT, False):
            conn.exec_driver_sql("BEGIN")


async def one_at_a_time(conn: AsyncConnection, what: str) -> None:
    """Serialise this write transaction with every other one that says `what` (the start-up work of
    several workers at once: migrations, the bootstrap key). SQLite's writers take turns anyway."""
    if conn.dialect.name == "postgresql":
        await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(f"contextgraph:{what}"))))


class StatementCounter:
    """Counts the SQL statements a database runs (tests and the benchmark report it per request)."""

    def __init__(self, db: Database) -> None:
        self.count = 0
        self._db = db
        sa.event.listen(db.engine.sync_engine, "before_cursor_execute", self._count)
        db.statement_listeners.append(self._count)

    def _count(self, *_args: Any) -> None:
        self.count += 1

    def close(self) -> None:
        sa.event.remove(self._db.engine.sync_engine, "before_cursor_execute", self._count)
        self._db.statement_listeners.remove(self._count)
