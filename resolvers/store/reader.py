"""The read path: every read outside a write transaction — a service by id, a customer's whole tree,
REST and GraphQL alike — runs in a read session, prepared statements straight through the driver.

    async with db.reader.session(snapshot=True) as rows:   # one consistent view for several statements
        services = await rows.fetch(SERVICES, ids=[customer_id])

A session with `snapshot` is one read transaction (PostgreSQL: REPEATABLE READ READ ONLY; SQLite:
BEGIN, whose first read fixes the snapshot), so every statement of a tree sees the same database;
without, a single statement runs alone (no BEGIN, no COMMIT: one round trip).

- SQLite: read-only sqlite3 connections used on the event loop's own thread (a statement of a tree
  takes microseconds to a millisecond, less than a hop to another thread); in WAL mode a reader never
  waits for a writer. A file another program locks is a 503 at once (busy timeout 0: the loop must
  not wait).
- PostgreSQL: an asyncpg pool whose connections only ever read, so they need no reset between uses.
  The pool replaces a connection the server closed (a restart); a database that is away is a 503.

Write transactions keep SQLAlchemy's engine (store/database.py); `InTransaction(conn)` runs the same
statements on a write transaction's connection, so a loader serves both.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol
from urllib.parse import quote

import asyncpg
import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.errors import Unavailable
from contextgraph.resolvers.store.statements import Statement, json_lists

_AWAY = "the database is not reachable right now; retry in a moment"
_LOCKED = "the database file is locked by another program; retry in a moment"
# What asyncpg meets when PostgreSQL is away.
UNREACHABLE = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
)


class Rows(Protocol):
    """Where a loader's statements run: a read session, or a write transaction's connection."""

    async def fetch(self, statement: Statement, **params: Any) -> Sequence[Sequence[Any]]: ...


class InTransaction:
    """A write transaction's connection (SQLAlchemy), running read statements in that transaction."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def fetch(self, statement: Statement, **params: Any) -> Sequence[Sequence[Any]]:
        dialect = self.conn.dialect.name
        if dialect == "sqlite":
            params = json_lists(params)
        return [tuple(row) for row in await self.conn.execute(statement.select(dialect), params)]


class _Session:
    def __init__(self, dialect: sa.Dialect, counted: Callable[[], None]) -> None:
        self.dialect, self.counted = dialect, counted


class SqliteSession(_Session):
    def __init__(
        self, conn: sqlite3.Connection, dialect: sa.Dialect, counted: Callable[[], None], snapshot: bool
    ) -> None:
        super().__init__(dialect, counted)
        self.conn, self.snapshot = conn, snapshot

    def run(self, sql: str, parameters: list[Any] | tuple[()] = ()) -> list[Any]:
        try:
            rows = self.conn.execute(sql, parameters).fetchall()
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise Unavailable(_LOCKED) from exc
            raise
        self.counted()
        return rows

    async def fetch(self, statement: Statement, **params: Any) -> Sequence[Sequence[Any]]:
        prepared = statement.prepared(self.dialect)
        rows = prepared.rows(self.run(prepared.sql, prepared.parameters(params)))
        if self.snapshot:  # a tree's statements give the loop a turn between them (timers, other requests)
            await asyncio.sleep(0)
        return rows


class PostgresSession(_Session):
    def __init__(self, conn: asyncpg.Connection, dialect: sa.Dialect, counted: Callable[[], None]) -> None:
        super().__init__(dialect, counted)
        self.conn = conn
        # One statement at a time on the connection: a GraphQL level loads its fields together.
        self.turn = asyncio.Lock()

    async def fetch(self, statement: Statement, **params: Any) -> Sequence[Sequence[Any]]:
        prepared = statement.prepared(self.dialect)
        try:
            async with self.turn:
                raw = await self.conn.fetch(prepared.sql, *prepared.parameters(params))
        except UNREACHABLE as exc:
            raise Unavailable(_AWAY) from exc
        self.counted()
        return prepared.rows(raw)


class _ReadOnly(asyncpg.Connection):  # type: ignore[misc]
    """Nothing to reset: these connections only read (no LISTEN, locks or settings)."""

    def get_reset_query(self) -> str:
        return ""


async def _json_codecs(conn: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):  # as SQLAlchemy's asyncpg dialect decodes them
        await conn.set_type_codec(
            name, schema="pg_catalog", encoder=lambda v: orjson.dumps(v).decode(), decoder=orjson.loads, format="text"
        )


class Reader:
    """The read sessions of one database (see the module's docstring)."""

    def __init__(self, url: sa.URL, dialect: sa.Dialect, pool_size: int, counted: Callable[[], None]) -> None:
        self.dialect, self.counted = dialect, counted
        self._sqlite = url.get_backend_name() == "sqlite"
        self._path = url.database or ""
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._size = pool_size
        self._idle: list[sqlite3.Connection] = []
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    @asynccontextmanager
    async def session(self, *, snapshot: bool) -> AsyncIterator[Rows]:
        if self._sqlite:
            async with self._sqlite_session(snapshot) as sqlite_session:
                yield sqlite_session
        else:
            async with self._postgres_session(snapshot) as postgres_session:
                yield postgres_session

    # -- SQLite -------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        try:
            # mode=rw: never create a missing file (the engine, which migrates it, does)
            conn = sqlite3.connect(
                f"file:{quote(self._path)}?mode=rw", uri=True, isolation_level=None, check_same_thread=False, timeout=0
            )
            conn.execute("PRAGMA query_only=ON")
        except sqlite3.OperationalError as exc:
            raise Unavailable(_LOCKED if "locked" in str(exc) else f"the database file cannot be read: {exc}") from exc
        return conn

    @asynccontextmanager
    async def _sqlite_session(self, snapshot: bool) -> AsyncIterator[SqliteSession]:
        conn = self._idle.pop() if self._idle else self._connect()
        session = SqliteSession(conn, self.dialect, self.counted, snapshot)
        try:
            if snapshot:
                session.run("BEGIN")
            yield session
        except BaseException:
            conn.close()  # whatever it was left in, it is not worth keeping
            raise
        else:
            if snapshot:
                session.run("COMMIT")
            if len(self._idle) < self._size:
                self._idle.append(conn)
            else:
                conn.close()

    # -- PostgreSQL ---------------------------------------------------------------------------
    async def _pool_of_readers(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self._dsn, min_size=0, max_size=self._size, timeout=5, connection_class=_ReadOnly, init=_json_codecs
                )
        return self._pool

    @asynccontextmanager
    async def _postgres_session(self, snapshot: bool) -> AsyncIterator[PostgresSession]:
        try:
            pool = self._pool or await self._pool_of_readers()
            async with asyncio.timeout(10):  # the pool reconnects what the server closed (a restart)
                conn = await pool.acquire()
        except UNREACHABLE as exc:
            raise Unavailable(_AWAY) from exc
        try:
            session = PostgresSession(conn, self.dialect, self.counted)
            if not snapshot:
                yield session
                return
            transaction = conn.transaction(isolation="repeatable_read", readonly=True)
            try:
                await transaction.start()
            except UNREACHABLE as exc:
                raise Unavailable(_AWAY) from exc
            self.counted()
            try:
                yield session
            except BaseException:
                await transaction.rollback()
                raise
            await transaction.commit()
            self.counted()
        finally:
            await pool.release(conn)

    async def close(self) -> None:
        for conn in self._idle:
            conn.close()
        self._idle.clear()
        if self._pool is not None:
            pool, self._pool = self._pool, None
            try:  # sessions still open (a request cut short) do not hold the shutdown up
                await asyncio.wait_for(pool.close(), 5)
            except TimeoutError:
                pool.terminate()
