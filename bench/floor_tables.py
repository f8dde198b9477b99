"""The strict floor's tables (a minimal normalised schema: timestamps as text, one row per extension
record, each record the JSON text of its output shape) and what fills them: the agent-desktop
customers exactly as the server answers their tree, and background customers shaped like the
server's (bench/dataset.py). PostGraphile reads these tables too, so they carry their foreign keys.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import asyncpg
import orjson

from bench.dataset import BACKGROUND

DDL = """
CREATE TABLE customer (id text PRIMARY KEY, first_name text, last_name text);
CREATE TABLE service (id integer PRIMARY KEY, customer_id text NOT NULL REFERENCES customer(id),
  service_type integer, est_duration integer, started text, completed text, disposition integer);
CREATE TABLE state (id integer PRIMARY KEY, service_id integer NOT NULL REFERENCES service(id),
  state_type integer, est_duration integer, started text, completed text, disposition integer);
CREATE TABLE task (id integer PRIMARY KEY, service_id integer NOT NULL REFERENCES service(id),
  task_type text, est_duration integer, started text, completed text, disposition integer,
  state_id integer REFERENCES state(id));
CREATE TABLE service_ext (id integer PRIMARY KEY, service_id integer NOT NULL REFERENCES service(id), name text,
  data {json});
CREATE TABLE state_ext (id integer PRIMARY KEY, state_id integer NOT NULL REFERENCES state(id), name text, data {json});
CREATE TABLE task_ext (id integer PRIMARY KEY, task_id integer NOT NULL REFERENCES task(id), name text, data {json});
CREATE INDEX service_customer ON service (customer_id, id);
CREATE INDEX state_service ON state (service_id, id);
CREATE INDEX task_service ON task (service_id, id);
CREATE INDEX task_state ON task (state_id, id);
CREATE INDEX service_ext_owner ON service_ext (service_id, id);
CREATE INDEX state_ext_owner ON state_ext (state_id, id);
CREATE INDEX task_ext_owner ON task_ext (task_id, id);
"""
TABLES = ("customer", "service", "state", "task", "service_ext", "state_ext", "task_ext")
_EXT_BASE = 1_000_000_000  # extension rows of the desktop customers; the background's ids start at 0


def _journey(node: dict[str, Any], parent: str, kind: str) -> tuple[Any, ...]:
    return (
        node["id"],
        node[parent],
        node[f"{kind}Type"],
        node["estDuration"],
        node["startedAt"],
        node["completedAt"],
        node["disposition"],
    )


def desktop_rows(
    answers: list[dict[str, Any]], names: dict[str, tuple[str, str]] | None = None
) -> dict[str, list[tuple[Any, ...]]]:
    """Rows holding what the server answered for each agent-desktop customer's tree (the `data` of
    bench/request_texts.TREE), so the floor answers the same bytes from its own tables; `names` are
    the customers' first and last names.
    """
    out: dict[str, list[tuple[Any, ...]]] = {table: [] for table in TABLES}

    def records(table: str, owner: int, extensions: dict[str, Any]) -> None:
        for name, value in extensions.items():
            for record in value if isinstance(value, list) else [value] if value is not None else []:
                out[table].append((_EXT_BASE + len(out[table]), owner, name, orjson.dumps(record).decode()))

    for answer in answers:
        c = answer["customer"]
        out["customer"].append((c["id"], *(names or {}).get(c["id"], (None, None))))
        for s in c["services"]:
            out["service"].append(_journey(s, "customerId", "service"))
            records("service_ext", s["id"], s["extensions"])
            for st in s["states"]:
                out["state"].append(_journey(st, "serviceId", "state"))
                records("state_ext", st["id"], st["extensions"])
                for t in st["tasks"]:
                    out["task"].append((*_journey(t, "serviceId", "task"), t["stateId"]))
                    records("task_ext", t["id"], t["extensions"])
    return out


def background_rows(first: int, count: int) -> dict[str, list[tuple[Any, ...]]]:
    """Customers `first`… shaped as bench/dataset.seed_background makes them on the server; their
    services, states and tasks are numbered from 10 000 000, clear of the desktop customers' ids.
    """
    out: dict[str, list[tuple[Any, ...]]] = {table: [] for table in TABLES}
    b = BACKGROUND
    t0, t1 = "2023-11-14T22:13:20.000Z", "2023-11-14T22:13:21.000Z"
    feedback = orjson.dumps({"FeedbackType": "bg", "rating": 3, "notes": None}).decode()
    for n in range(first, first + count):
        customer = f"bg{n:014d}"
        out["customer"].append((customer, customer, None))
        for k in range(b["services"]):
            service = n * b["services"] + k
            done = k % 2 == 1
            out["service"].append((10_000_000 + service, customer, 1, None, t0, t1 if done else None, None))
            out["service_ext"].append((service, 10_000_000 + service, "Feedback", feedback))
            for j in range(b["states"]):
                state = service * b["states"] + j
                out["state"].append((10_000_000 + state, 10_000_000 + service, 1, None, t0, None, None))
                for i in range(b["tasks"]):
                    task = state * b["tasks"] + i
                    out["task"].append(
                        (10_000_000 + task, 10_000_000 + service, "1", None, t0, None, None, 10_000_000 + state)
                    )
                    for r in range(b["task_records"]):
                        proposal = {"car_type": f"car {r}", "price": 1, "seats": None, "comments": None}
                        out["task_ext"].append(
                            (
                                task * b["task_records"] + r,
                                10_000_000 + task,
                                "Proposal",
                                orjson.dumps(proposal).decode(),
                            )
                        )
    return out


async def create(url: str) -> None:
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            conn.executescript(DDL.format(json="text"))
        return
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(DDL.format(json="json"))  # json keeps each record's text (jsonb would reorder keys)
    finally:
        await conn.close()


async def load(url: str, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    """Insert the rows and refresh the planner's statistics."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            for table in TABLES:
                if rows[table]:
                    conn.executemany(f"INSERT INTO {table} VALUES ({','.join('?' * len(rows[table][0]))})", rows[table])
            conn.execute("ANALYZE")
        return
    conn = await asyncpg.connect(url)
    try:
        for table in TABLES:
            await conn.copy_records_to_table(table, records=rows[table])
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
