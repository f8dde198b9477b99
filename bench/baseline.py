"""The benchmark's floor: the agent-desktop tree of bench/tree.py's query, read with six hand-written
SELECTs straight through the database driver (aiosqlite or asyncpg, no ORM, constant SQL text) and
serialised with orjson behind a bare Starlette route — the same JSON as the GraphQL answer
(bench/tree.py checks they are equal). Also the small query: one service by id. Run as

    BASELINE_DATABASE=sqlite:///path.db | postgresql://… uvicorn bench.baseline:app --port P
"""

from __future__ import annotations

import contextlib
import os
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from contextgraph.resolvers.timefmt import format_ms

DATABASE = os.environ.get("BASELINE_DATABASE", "")
_JOURNEY = "id, type_value, started_ms, completed_ms, duration, disposition, started, completed"
SQL = {
    "customer": "SELECT id, attributes FROM customer WHERE id = :1",
    "services": f"SELECT {_JOURNEY} FROM service WHERE customer_id = :1 ORDER BY id",
    "states": f"SELECT {_JOURNEY}, service_id FROM state WHERE service_id IN "
              "(SELECT id FROM service WHERE customer_id = :1) ORDER BY id",
    "tasks": f"SELECT {_JOURNEY}, service_id, state_id FROM task WHERE service_id IN "
             "(SELECT id FROM service WHERE customer_id = :1) ORDER BY id",
    "records": "SELECT schema_id, owner_id, record FROM extension_record WHERE schema_id IN {schemas} "
               "AND owner_id IN {owners} ORDER BY id",
    "interactions": "SELECT id, fields FROM interaction WHERE customer_id = :1 ORDER BY start_ms, id",
    "schemas": "SELECT id, owner_kind, name, definition FROM extension_schema",
    "service": "SELECT id, type_value, completed_ms, started_ms, started FROM service WHERE id = :1",
}  # fmt: skip


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


class _Sqlite:
    def __init__(self, path: str) -> None:
        self.path = path

    async def open(self) -> None:
        import aiosqlite

        self.conn = await aiosqlite.connect(self.path)

    async def close(self) -> None:
        await self.conn.close()

    async def rows(self, name: str, *args: Any) -> list[Any]:
        lists = [a for a in args if isinstance(a, list)]
        sql = SQL[name].replace(":1", "?")
        if lists:  # id lists as placeholders: SQLite probes the index once per value
            sql = sql.format(schemas=f"({','.join('?' * len(lists[0]))})", owners=f"({','.join('?' * len(lists[1]))})")
        cursor = await self.conn.execute(sql, [v for a in args for v in (a if isinstance(a, list) else [a])])
        return list(await cursor.fetchall())


class _Postgres:
    def __init__(self, url: str) -> None:
        self.url = url

    async def open(self) -> None:
        import asyncpg

        self.pool = await asyncpg.create_pool(self.url, min_size=2, max_size=10)
        async with self.pool.acquire() as conn:  # jsonb arrives as text; decoded below with orjson
            await conn.execute("SELECT 1")

    async def close(self) -> None:
        await self.pool.close()

    async def rows(self, name: str, *args: Any) -> list[Any]:
        sql = SQL[name].replace(":1", "$1").replace("IN {schemas}", "= ANY($1::int[])")
        sql = sql.replace("IN {owners}", "= ANY($2::text[])")
        async with self.pool.acquire() as conn:
            return list(await conn.fetch(sql, *args))


db: Any = _Sqlite(DATABASE.removeprefix("sqlite:///")) if DATABASE.startswith("sqlite") else _Postgres(DATABASE)
schemas: dict[int, tuple[str, str, bool]] = {}  # id: (kind, name, multi)


def _journey(row: Any, type_name: str) -> dict[str, Any]:
    return {"id": row[0], type_name: _json(row[1]), "active": row[3] is None, "startedAt": format_ms(row[2]),
            "completedAt": format_ms(row[3]) if row[3] is not None else None, "duration": row[4],
            "disposition": _json(row[5]), "started": _json(row[6]), "completed": _json(row[7])}  # fmt: skip


def _records(rows: list[Any], wanted: dict[str, dict[str, list[str]]], owners: dict[str, set[str]]) -> Any:
    """{(kind, owner id): {extension name: record or [records]}} with the asked attributes."""
    found: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
    for schema_id, owner_id, record in rows:
        kind, name, multi = schemas[schema_id]
        if owner_id not in owners[kind]:
            continue  # another kind's row with the same id
        value = _json(record)
        shown = {field.replace(" ", "_"): value.get(field) for field in wanted[kind][name]}
        if multi:
            found[(kind, owner_id)].setdefault(name, []).append(shown)
        else:
            found[(kind, owner_id)][name] = shown
    return found


WANTED = {"service": {"Feedback": ["FeedbackType", "rating", "notes"], "relatedOffers": ["offer_name", "type", "comments"]},
          "state": {"Survey": ["score"]}, "task": {"Proposal": ["car type", "price"]}}  # fmt: skip


def _extensions(found: Any, kind: str, owner: int) -> dict[str, Any]:
    values = found.get((kind, str(owner)), {})
    multi = {name for k, name, m in schemas.values() if k == kind and m}
    return {name: values.get(name, [] if name in multi else None) for name in WANTED[kind]}


async def tree(request: Request) -> Response:
    customer_id = request.path_params["customer_id"]
    customer = (await db.rows("customer", customer_id))[0]
    services = await db.rows("services", customer_id)
    states = await db.rows("states", customer_id)
    tasks = await db.rows("tasks", customer_id)
    owners = {"service": {str(s[0]) for s in services}, "state": {str(s[0]) for s in states},
              "task": {str(t[0]) for t in tasks}}  # fmt: skip
    wanted = [i for i, (kind, name, _m) in schemas.items() if name in WANTED.get(kind, {})]
    found = _records(await db.rows("records", wanted, sorted(set().union(*owners.values()))), WANTED, owners)
    interactions = await db.rows("interactions", customer_id)
    task_rows: dict[int, list[Any]] = defaultdict(list)
    state_tasks: dict[int, list[Any]] = defaultdict(list)
    for t in tasks:
        task_rows[t[8]].append({"id": t[0], "stateId": t[9]})
        if t[9] is not None:
            state_tasks[t[9]].append(_journey(t, "taskType") | {"extensions": _extensions(found, "task", t[0])})
    service_states: dict[int, list[Any]] = defaultdict(list)
    for s in states:
        service_states[s[8]].append(_journey(s, "stateType") | {"extensions": _extensions(found, "state", s[0]),
                                                                "tasks": state_tasks[s[0]]})  # fmt: skip
    attributes = _json(customer[1])
    body = {"id": customer[0], "attributes": attributes,
            "interactions": [{"id": i[0], "mediaType": _json(i[1])["media_type"]} for i in interactions],
            "services": [_journey(s, "serviceType") | {"extensions": _extensions(found, "service", s[0]),
                                                       "states": service_states[s[0]], "tasks": task_rows[s[0]]}
                         for s in services]}  # fmt: skip
    return Response(orjson.dumps({"data": {"customer": body}}), media_type="application/json")


async def service(request: Request) -> Response:
    row = (await db.rows("service", int(request.path_params["service_id"])))[0]
    body = {"id": row[0], "serviceType": _json(row[1]), "active": row[2] is None, "startedAt": format_ms(row[3]),
            "started": _json(row[4])}  # fmt: skip
    return Response(orjson.dumps({"data": {"service": body}}), media_type="application/json")


@contextlib.asynccontextmanager
async def lifespan(_app: Starlette) -> AsyncIterator[None]:
    await db.open()
    for schema_id, kind, name, definition in await db.rows("schemas"):
        schemas[schema_id] = (kind, name, _json(definition)["type"] == "multi-valued")
    yield
    await db.close()


app = Starlette(routes=[Route("/tree/{customer_id}", tree), Route("/service/{service_id}", service)], lifespan=lifespan)
