"""The strict floor: the agent-desktop tree and the small query answered from a minimal normalised
schema (bench/floor_tables.py: timestamps as text, one row per extension record) with hand-written
SQL through the raw driver (sqlite3 on the event loop's thread, or an asyncpg pool whose connections
skip the reset round trip on release), serialised with orjson behind a bare Starlette route. It
writes the very bytes the GraphQL documents of bench/request_texts.py answer: bench/tree.py checks
that first. A tree is six SELECTs (services, states, tasks, and the records of each level, by the
ids of the level above); the customer's own row is read only when it has no services, to tell an
empty tree from an unknown customer. Records are stored as the JSON text of their output shape and
go into the answer as they are (orjson.Fragment), not decoded and encoded again.

    FLOOR_DATABASE=sqlite:///path.db | postgresql://… uvicorn bench.floor:app --port P

GET /tree/{customer_id}, GET /service/{service_id}; GET /statements: the statements sent so far.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

_JOURNEY = "id, {parent}, {kind}_type, est_duration, started, completed, disposition"
# Each level by the ids of the one above ({ids}: an array parameter), ordered by id: grouped under
# their parents, the lists come out in the order the tree shows them.
SQL = {
    "customer": "SELECT id FROM customer WHERE id = $1",
    "services": f"SELECT {_JOURNEY.format(parent='customer_id', kind='service')} FROM service WHERE customer_id = $1 ORDER BY id",
    "states": f"SELECT {_JOURNEY.format(parent='service_id', kind='state')} FROM state WHERE service_id {{ids}} ORDER BY id",
    "tasks": f"SELECT {_JOURNEY.format(parent='service_id', kind='task')}, state_id FROM task WHERE state_id {{ids}} ORDER BY id",
    "service records": "SELECT service_id, name, data FROM service_ext WHERE service_id {ids} ORDER BY id",
    "state records": "SELECT state_id, name, data FROM state_ext WHERE state_id {ids} ORDER BY id",
    "task records": "SELECT task_id, name, data FROM task_ext WHERE task_id {ids} ORDER BY id",
    "service": f"SELECT {_JOURNEY.format(parent='customer_id', kind='service')} FROM service WHERE id = $1",
}


class _Sqlite:
    """One connection, used on the event loop's thread (no hop to another thread per statement)."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, check_same_thread=False)
        self.sql = {
            name: text.replace("$1", "?1").replace("{ids}", "IN (SELECT value FROM json_each(?1))")
            for name, text in SQL.items()
        }

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        yield self

    async def rows(self, name: str, value: Any) -> list[Any]:
        if isinstance(value, list):
            value = orjson.dumps(value)
        return self.conn.execute(self.sql[name], (value,)).fetchall()

    async def close(self) -> None:
        self.conn.close()


async def _no_reset(_conn: Any) -> None:
    """These connections run plain SELECTs only: nothing to reset when one goes back to the pool."""


class _Postgres:
    """An asyncpg pool; a request takes one connection for all its statements."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sql = {name: text.replace("{ids}", "= ANY($1::int[])") for name, text in SQL.items()}

    async def open(self) -> None:
        self.pool = await asyncpg.create_pool(self.url, min_size=2, max_size=10, reset=_no_reset)

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        async with self.pool.acquire() as conn:
            yield _Connection(conn, self.sql)

    async def close(self) -> None:
        await self.pool.close()


class _Connection:
    def __init__(self, conn: asyncpg.Connection, sql: dict[str, str]) -> None:
        self.conn, self.sql = conn, sql

    async def rows(self, name: str, value: Any) -> list[Any]:
        return list(await self.conn.fetch(self.sql[name], value))


DATABASE = os.environ.get("FLOOR_DATABASE", "")
db: Any = None
sent = 0  # statements sent to the database


async def rows(conn: Any, name: str, value: Any) -> list[Any]:
    global sent
    sent += 1
    return await conn.rows(name, value)


def _journey(row: Any, parent: str, kind: str) -> dict[str, Any]:
    return {
        "id": row[0],
        parent: row[1],
        f"{kind}Type": row[2],
        "estDuration": row[3],
        "startedAt": row[4],
        "completedAt": row[5],
        "disposition": row[6],
    }


async def _records(conn: Any, name: str, owners: list[int]) -> dict[tuple[int, str], list[Any]]:
    """{(owner id, extension name): its records}"""
    found: dict[tuple[int, str], list[Any]] = {}
    for owner, extension, data in await rows(conn, name, owners):
        found.setdefault((owner, extension), []).append(orjson.Fragment(data))
    return found


async def tree(request: Request) -> Response:
    customer_id = request.path_params["customer_id"]
    async with db.connection() as conn:
        services = await rows(conn, "services", customer_id)
        if not services and not await rows(conn, "customer", customer_id):  # an empty tree, or no customer?
            return Response(b'{"data":{"customer":null}}', media_type="application/json")
        service_ids = [s[0] for s in services]
        states = await rows(conn, "states", service_ids)
        state_ids = [st[0] for st in states]
        tasks = await rows(conn, "tasks", state_ids)
        service_records = await _records(conn, "service records", service_ids)
        state_records = await _records(conn, "state records", state_ids)
        task_records = await _records(conn, "task records", [t[0] for t in tasks])
    state_tasks: dict[int, list[Any]] = defaultdict(list)
    for t in tasks:
        state_tasks[t[7]].append(
            {
                "id": t[0],
                "serviceId": t[1],
                "stateId": t[7],
                "taskType": t[2],
                "estDuration": t[3],
                "startedAt": t[4],
                "completedAt": t[5],
                "disposition": t[6],
                "extensions": {"Proposal": task_records.get((t[0], "Proposal"), [])},
            }
        )
    service_states: dict[int, list[Any]] = defaultdict(list)
    for st in states:
        feedback = state_records.get((st[0], "Feedback"))
        service_states[st[1]].append(
            _journey(st, "serviceId", "state")
            | {"extensions": {"Feedback": feedback[0] if feedback else None}, "tasks": state_tasks[st[0]]}
        )
    body = []
    for s in services:
        feedback = service_records.get((s[0], "Feedback"))
        body.append(
            _journey(s, "customerId", "service")
            | {
                "extensions": {
                    "Feedback": feedback[0] if feedback else None,
                    "relatedOffers": service_records.get((s[0], "relatedOffers"), []),
                },
                "states": service_states[s[0]],
            }
        )
    return Response(
        orjson.dumps({"data": {"customer": {"id": customer_id, "services": body}}}), media_type="application/json"
    )


async def service(request: Request) -> Response:
    async with db.connection() as conn:
        found = await rows(conn, "service", int(request.path_params["service_id"]))
    body = _journey(found[0], "customerId", "service") if found else None
    return Response(orjson.dumps({"data": {"service": body}}), media_type="application/json")


async def statements(_request: Request) -> Response:
    return Response(str(sent), media_type="text/plain")


@contextlib.asynccontextmanager
async def lifespan(_app: Starlette) -> AsyncIterator[None]:
    global db
    if DATABASE.startswith("sqlite"):
        db = _Sqlite(DATABASE.removeprefix("sqlite:///"))
    else:
        db = _Postgres(DATABASE)
        await db.open()
    yield
    await db.close()


app = Starlette(
    routes=[
        Route("/tree/{customer_id}", tree),
        Route("/service/{service_id}", service),
        Route("/statements", statements),
    ],
    lifespan=lifespan,
)
