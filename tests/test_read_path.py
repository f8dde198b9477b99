"""The one read path (resolvers/store/reader.py): prepared statements straight through the driver,
rows equal to SQLAlchemy's, a service by id one statement over either surface, a customer's tree one
snapshot over either surface while writes go on, and a locked SQLite file a 503."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from contextgraph.app.settings import load_settings
from contextgraph.resolvers.errors import Unavailable
from contextgraph.resolvers.store.database import Database, StatementCounter
from contextgraph.resolvers.store.migrate import migrate
from contextgraph.resolvers.store.statements import Statement, any_of
from contextgraph.resolvers.store.tables import read_json, service_t
from tests.helpers import new_customer, new_service, new_state

# JSON read both ways (read_json and the column's own type), a nullable column, a list parameter.
STATEMENT = Statement(
    lambda d: (
        sa.select(
            service_t.c.id,
            read_json(service_t.c.started),
            service_t.c.type_value,
            service_t.c.completed_ms,
            service_t.c.customer_id,
        )
        .where(any_of(d, service_t.c.id, "ids"), service_t.c.type_key != "no such type")
        .order_by(service_t.c.id)
    )
)


async def test_a_read_is_the_row_sqlalchemy_reads(app: Starlette, client: httpx.AsyncClient) -> None:
    db: Database = app.state.runtime.db
    customer = await new_customer(client)
    ids = [await new_service(client, customer_id=customer, service_type="gold") for _ in range(3)]
    counter = StatementCounter(db)
    try:
        async with db.reader.session(snapshot=False) as rows:
            found = await rows.fetch(STATEMENT, ids=[*ids[:2], 10**12])
    finally:
        counter.close()
    async with db.read() as conn:
        asked = [*ids[:2], 10**12]
        params = {"ids": str(asked)} if db.is_sqlite else {"ids": asked}
        expected = [tuple(r) for r in await conn.execute(STATEMENT.select(conn.dialect.name), params)]
    assert found == expected
    assert [row[0] for row in found] == ids[:2]
    assert found[0][2] == "gold"
    assert found[0][3] is None
    assert found[0][4] == customer
    assert isinstance(found[0][1], dict)
    assert found[0][1]["timestamp"].endswith("Z")
    assert counter.count == 1  # no BEGIN, no COMMIT: one statement alone

    # A commit is visible to the next session (no stale snapshot, no cache).
    assert (await client.post(f"/services/{ids[0]}/end", json={"disposition": "done"})).status_code == 204
    async with db.reader.session(snapshot=True) as rows:
        assert (await rows.fetch(STATEMENT, ids=[ids[0]]))[0][3] is not None


async def test_a_service_by_id_is_one_statement_over_both_surfaces(app: Starlette, client: httpx.AsyncClient) -> None:
    service_id = await new_service(client, contact_key="k1")
    query = {
        "query": "query($s: ID!) { service(id: $s) { id: serviceId contactKey active } }",
        "variables": {"s": service_id},
    }
    for _ in range(2):  # the second GraphQL request is a known query
        counter = StatementCounter(app.state.runtime.db)
        try:
            rest = await client.get(f"/services/{service_id}")
            graphql = await client.post("/graphql", json=query)
        finally:
            counter.close()
        assert rest.json()["contact_key"] == "k1"
        assert graphql.json() == {"data": {"service": {"id": service_id, "contactKey": "k1", "active": True}}}
        assert counter.count == 2


class _WritesBetweenStatements:
    """Another client that commits a new state of a service, with a task in it, right after each
    statement the server reads (synchronously, on a connection of its own), until stopped."""

    def __init__(self, db: Database, url: str, service_id: int) -> None:
        self.db, self.url, self.service_id, self.on = db, url, service_id, False
        self.writes = 0

    def __call__(self) -> None:
        if not self.on:
            return
        self.on = False  # not again for the statements of this write
        try:
            if self.db.is_sqlite:
                conn = sqlite3.connect(self.url.split("///", 1)[1], isolation_level=None, timeout=30)
                try:
                    conn.executescript(self._sql())
                finally:
                    conn.close()
            else:
                thread = threading.Thread(target=lambda: asyncio.run(self._postgres()))
                thread.start()
                thread.join()
            self.writes += 1
        finally:
            self.on = True

    def _sql(self) -> str:
        now = 1_700_000_000_000
        at = "2023-11-14T22:13:20.000Z"
        return (
            f"BEGIN; INSERT INTO state (service_id, type_value, type_key, started_ms, started_at, started) "
            f"VALUES ({self.service_id}, '2', '2', {now}, '{at}', '{{}}'); "
            f"INSERT INTO task (service_id, state_id, type_value, type_key, started_ms, started_at, started) "
            f"SELECT {self.service_id}, max(id), '1', '1', {now}, '{at}', '{{}}' FROM state; COMMIT;"
        )

    async def _postgres(self) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.url.replace("postgresql+asyncpg", "postgresql"))
        try:
            await conn.execute(self._sql())
        finally:
            await conn.close()


async def test_a_tree_is_one_snapshot_over_both_surfaces_while_writes_go_on(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    """Another client commits a state with a task in it between every two statements the server
    reads; every tree, REST and GraphQL, still shows each task's state among the service's states
    (levels read in separate snapshots would show the new task but not its state)."""
    db: Database = app.state.runtime.db
    customer = await new_customer(client)
    service_id = await new_service(client, customer_id=customer)
    await new_state(client, service_id)
    writer = _WritesBetweenStatements(db, db.url, service_id)
    db.statement_listeners.append(writer)
    flags = "active_states=true&completed_states=true&active_tasks=true&completed_tasks=true"
    query = "query($c: ID!) { customer(id: $c) { services { states { id: stateId } tasks { id: taskId stateId } } } }"
    try:
        for _ in range(3):
            writer.on = True
            rest = (await client.get(f"/customers/{customer}/services?{flags}")).json()[0]
            writer.on = False
            states = {s["state_id"] for s in rest.get("active_states", []) + rest.get("completed_states", [])}
            tasks = {t["state_id"] for t in rest.get("active_tasks", []) + rest.get("completed_tasks", [])}
            assert tasks <= states, "a REST tree shows a task of a state it does not show"
            writer.on = True
            body = (await client.post("/graphql", json={"query": query, "variables": {"c": customer}})).json()
            writer.on = False
            service = body["data"]["customer"]["services"][0]
            shown = {s["id"] for s in service["states"]}
            assert {t["stateId"] for t in service["tasks"]} <= shown, (
                "a GraphQL tree shows a task of a state it does not"
            )
        assert writer.writes >= 6  # the other client did write between the statements
    finally:
        db.statement_listeners.remove(writer)


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
        await conn.execute(
            sa.insert(service_t).values(
                id=1, type_value=1, type_key="1", started_ms=0, started_at="1970-01-01T00:00:00.000Z", started={}
            )
        )
    await setup.dispose()
    durations = Statement(lambda d: sa.select(service_t.c.est_duration).where(service_t.c.id == 1))

    holder = _locked(path)
    db = Database(url)
    try:
        with pytest.raises(Unavailable):  # at once: the event loop's thread never waits on a lock
            async with db.reader.session(snapshot=True) as rows:
                await rows.fetch(durations)
        holder.close()
        async with db.reader.session(snapshot=False) as rows:
            assert await rows.fetch(durations) == [(7,)]
    finally:
        holder.close()
        await db.dispose()


async def test_the_reader_never_creates_a_database_file(tmp_path: Path) -> None:
    missing = tmp_path / "not made yet.db"
    db = Database(load_settings(None, database=f"sqlite:///{missing}").async_database_url)
    try:
        with pytest.raises(Unavailable):  # the engine, which migrates, makes the file
            async with db.reader.session(snapshot=False) as rows:
                await rows.fetch(Statement(lambda d: sa.select(sa.literal(1))))
        assert not missing.exists()
    finally:
        await db.dispose()


async def test_no_read_session_outlives_its_request(app: Starlette, client: httpx.AsyncClient) -> None:
    """A request's snapshot ends with it: nothing stays idle in a transaction, holding old rows."""
    customer = await new_customer(client)
    service_id = await new_service(client, customer_id=customer)
    await new_state(client, service_id)
    assert (await client.get(f"/customers/{customer}/services?active_states=true")).status_code == 200
    assert (await client.get(f"/services/{service_id}/states")).status_code == 200
    body = await client.post(
        "/graphql",
        json={
            "query": "query($c: ID!) { customer(id: $c) { services { states { id: stateId } } } }",
            "variables": {"c": customer},
        },
    )
    assert "errors" not in body.json()
    assert (await client.get(f"/services/{service_id + 1000}/states")).status_code == 404  # a refused read too
    db: Database = app.state.runtime.db
    if db.is_sqlite:  # a checkpoint that would have to wait for a reader's snapshot reports busy
        other = sqlite3.connect(db.url.split("///", 1)[1], isolation_level=None)
        try:
            assert other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
        finally:
            other.close()
        return
    async with db.write() as conn:
        idle = await conn.scalar(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
            )
        )
    assert idle == 0
