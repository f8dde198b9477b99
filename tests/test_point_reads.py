"""One SELECT straight through the driver (app/point_reads.py): the row SQLAlchemy would read, one
statement counted, every commit seen at once; a SQLite file another connection holds is a 503.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from contextgraph.app.settings import load_settings
from contextgraph.resolvers.errors import Unavailable
from contextgraph.resolvers.store.database import Database, StatementCounter
from contextgraph.resolvers.store.migrate import migrate
from contextgraph.resolvers.store.point_reads import Busy, SqliteReader
from contextgraph.resolvers.store.tables import read_json, service_t
from tests.helpers import new_customer, new_service

# JSON read both ways (read_json and the column's own type), a nullable column, a bound and a fixed value.
STATEMENT = sa.select(
    service_t.c.id, read_json(service_t.c.started), service_t.c.type_value, service_t.c.completed_ms,
    service_t.c.customer_id,
).where(service_t.c.id == sa.bindparam("id"), service_t.c.type_key != "no such type")  # fmt: skip


async def test_a_point_read_is_the_row_sqlalchemy_reads(app: Starlette, client: httpx.AsyncClient) -> None:
    db: Database = app.state.runtime.db
    customer = await new_customer(client)
    service_id = await new_service(client, customer_id=customer, service_type="gold")
    counter = StatementCounter(db)
    try:
        row = await db.first(STATEMENT, id=service_id)
    finally:
        counter.close()
    async with db.read() as conn:
        expected = (await conn.execute(STATEMENT, {"id": service_id})).first()
    assert expected is not None
    assert row == tuple(expected)
    assert row[2] == "gold"
    assert row[3] is None
    assert row[4] == customer
    assert isinstance(row[1], dict)
    assert row[1]["timestamp"].endswith("Z")
    assert counter.count == 1
    assert await db.first(STATEMENT, id=service_id + 1000) is None

    # A commit is visible to the next point read (no stale snapshot, no cache).
    assert (await client.post(f"/services/{service_id}/end", json={"disposition": "done"})).status_code == 204
    completed = await db.first(STATEMENT, id=service_id)
    assert completed is not None
    assert completed[3] is not None


async def test_a_service_by_id_is_one_statement_over_both_surfaces(app: Starlette, client: httpx.AsyncClient) -> None:
    service_id = await new_service(client, contact_key="k1")
    query = {"query": "query($s: Long!) { service(id: $s) { id contactKey active } }", "variables": {"s": service_id}}
    for _ in range(2):  # the second GraphQL request is a known query (schema/known_queries.py)
        counter = StatementCounter(app.state.runtime.db)
        try:
            rest = await client.get(f"/services/{service_id}")
            graphql = await client.post("/graphql", json=query)
        finally:
            counter.close()
        assert rest.json()["contact_key"] == "k1"
        assert graphql.json() == {"data": {"service": {"id": service_id, "contactKey": "k1", "active": True}}}
        assert counter.count == 2


def _locked(path: Path) -> sqlite3.Connection:
    """A connection in exclusive locking mode (a backup tool, the sqlite3 shell): no other may read."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE service SET est_duration = 7")
    holder.execute("COMMIT")  # the lock stays until the connection closes
    return holder


async def test_a_locked_sqlite_file_is_503_then_reads_again(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    url = load_settings(None, database=f"sqlite:///{path}").async_database_url
    setup = Database(url)
    await migrate(setup)
    async with setup.write() as conn:
        await conn.execute(sa.insert(service_t).values(id=1, type_value=1, type_key="1", started_ms=0, started={}))
    await setup.dispose()

    holder = _locked(path)
    db = Database(url)
    try:
        with pytest.raises(Busy):  # the point reader does not wait on the event loop's thread...
            SqliteReader(str(path)).rows("SELECT id FROM service", [])
        with pytest.raises(Unavailable):  # ...it leaves it to the pool, which says 503, not 500
            await db.first(STATEMENT, id=1)
        holder.close()
        assert await db.first(sa.select(service_t.c.est_duration).where(service_t.c.id == 1)) == (7,)
    finally:
        holder.close()
        await db.dispose()


def test_the_point_reader_never_creates_a_database_file(tmp_path: Path) -> None:
    missing = tmp_path / "not made yet.db"
    with pytest.raises(Busy):  # left to the pool, which migrates the file or says why it cannot
        SqliteReader(str(missing)).rows("SELECT 1", [])
    assert not missing.exists()
