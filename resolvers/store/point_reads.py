"""Single-statement reads (a service by id, a profile by id) straight through the driver.

A read through SQLAlchemy's async layer costs a pool checkout, BEGIN, the statement and ROLLBACK:
on SQLite each is a hop to aiosqlite's thread, on PostgreSQL a round trip (plus the pool's
pre-ping), ~1.2-2 ms for one row. A single SELECT needs no transaction (it is atomic by itself),
so these readers run it alone, in ~0.05 ms on SQLite and one round trip on PostgreSQL:

- SQLite: a read-only sqlite3 connection used on the event loop's own thread. A primary-key
  lookup takes microseconds, less than a hop to another thread. In WAL mode a reader never waits
  for a writer; if the file is busy anyway (recovery), it does not wait either (busy timeout 0) and
  the caller falls back to the pooled connection.
- PostgreSQL: an asyncpg pool of its own whose connections need no reset between uses (they only
  ever run single SELECTs outside any transaction), so one read is one round trip.

The statement is SQLAlchemy's, compiled once per dialect with its bind and result processors: the
rows are the same as through SQLAlchemy.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import asyncpg
import orjson
import sqlalchemy as sa


class Busy(Exception):
    """SQLite could not read without waiting (or open the file): use the pooled connection instead."""


@dataclass(frozen=True)
class Prepared:
    """A statement compiled for one dialect: SQL text, positional binds, column processors."""

    compiled: Any
    sql: str
    names: tuple[str, ...]
    binds: Mapping[str, Callable[[Any], Any]]
    columns: tuple[Callable[[Any], Any] | None, ...]

    @classmethod
    def of(cls, statement: sa.Select[Any], dialect: sa.Dialect) -> Prepared:
        compiled = statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup or ())
        binds = {}
        for name in names:
            processor = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                binds[name] = processor
        columns = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None)
                        for column in statement.selected_columns)  # fmt: skip
        return cls(compiled, compiled.string, names, binds, columns)

    def parameters(self, params: dict[str, Any]) -> list[Any]:
        values = self.compiled.construct_params(params)
        return [self.binds[n](values[n]) if n in self.binds else values[n] for n in self.names]

    def rows(self, raw: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        columns = self.columns
        if not any(columns):
            return [tuple(row) for row in raw]
        return [tuple(v if p is None else p(v) for p, v in zip(columns, row, strict=True)) for row in raw]


class SqliteReader:
    """One read-only sqlite3 connection, used only from the event loop's thread."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None

    def rows(self, sql: str, parameters: list[Any]) -> list[Any]:
        try:
            if self._conn is None:
                # mode=rw: never create a missing file (the pool's connections, which migrate it, do);
                # one it cannot open is left to the pool, which says why.
                conn = sqlite3.connect(f"file:{quote(self._path)}?mode=rw", uri=True, isolation_level=None,
                                       check_same_thread=False, timeout=0)  # fmt: skip
                conn.execute("PRAGMA query_only=ON")
                self._conn = conn
        except sqlite3.OperationalError as exc:
            raise Busy from exc
        try:
            return self._conn.execute(sql, parameters).fetchall()
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise Busy from exc
            raise

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class _NoReset(asyncpg.Connection):  # type: ignore[misc]
    """Nothing to reset: these connections only run single SELECTs (no LISTEN, locks or settings)."""

    def get_reset_query(self) -> str:
        return ""


async def _json_codecs(conn: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):  # as SQLAlchemy's asyncpg dialect decodes them
        await conn.set_type_codec(name, schema="pg_catalog", encoder=lambda v: orjson.dumps(v).decode(),
                                  decoder=orjson.loads, format="text")  # fmt: skip


class PostgresReader:
    """An asyncpg pool for single SELECTs, opened on first use."""

    def __init__(self, dsn: str, size: int) -> None:
        self._dsn = dsn
        self._size = size
        self._pool: asyncpg.Pool | None = None
        self._opening: asyncio.Lock | None = None

    async def _open(self) -> asyncpg.Pool:
        self._opening = self._opening or asyncio.Lock()
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(self._dsn, min_size=0, max_size=self._size, timeout=5,
                                                       connection_class=_NoReset, init=_json_codecs)  # fmt: skip
        return self._pool

    async def rows(self, sql: str, parameters: list[Any]) -> list[Any]:
        pool = self._pool or await self._open()
        async with asyncio.timeout(10), pool.acquire() as conn:
            return list(await conn.fetch(sql, *parameters))

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()
