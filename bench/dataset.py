"""The tree benchmark's data on the server: extension schemas and agent-desktop customers through the
API, background customers by SQL, and the writes made while the tree is measured.

An agent-desktop customer has the shape of the reference floor's dataset: 50 services (every other
one completed), 4 states each (the first two, and all of a completed service's, completed), 3 tasks
per state (the first, and all of a completed state's, completed); a Feedback and three relatedOffers
records per service, a Feedback per state, two Proposal records per task; every start and end at a
timestamp of its own day (the API takes it), so the answers are the same from run to run.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa

_FEEDBACK = [
    {"name": "FeedbackType", "type": "string"},
    {"name": "rating", "type": "integer"},
    {"name": "notes", "type": "string"},
]
SCHEMAS = {
    "services": [
        {"name": "Feedback", "type": "single-valued", "attributes": _FEEDBACK},
        {
            "name": "relatedOffers",
            "type": "multi-valued",
            "unique": ["offer_name"],
            "attributes": [
                {"name": "offer_name", "type": "string"},
                {"name": "type", "type": "integer"},
                {"name": "comments", "type": "string"},
            ],
        },
    ],
    "states": [{"name": "Feedback", "type": "single-valued", "attributes": _FEEDBACK}],
    "tasks": [
        {
            "name": "Proposal",
            "type": "multi-valued",
            "unique": ["car type"],
            "attributes": [
                {"name": "car type", "type": "string"},
                {"name": "price", "type": "integer"},
                {"name": "seats", "type": "integer"},
                {"name": "comments", "type": "string"},
            ],
        }
    ],
}
SERVICES, STATES, TASKS = 50, 4, 3
# A background customer: services, states per service, tasks per state, Proposal records per task
# (and a Feedback record per service, one interaction).
BACKGROUND = {"services": 2, "states": 2, "tasks": 2, "task_records": 2}
OFFERS = [
    ("VIP credit card black ed.", 9, "proposed to all client"),
    ("3 times payment GOLD", 4, "limited offer"),
    ("life insurance", 3, "health check first"),
]


def create_schemas(http: httpx.Client) -> None:
    for word, body in SCHEMAS.items():
        response = http.post(f"/metadata/{word}/extensions", json=body)
        if response.status_code != 201:
            raise SystemExit(f"extension schemas for {word}: {response.status_code} {response.text}")


def _post(http: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = http.post(path, json=body)
    if response.status_code >= 300:
        raise SystemExit(f"seeding: POST {path} answered {response.status_code} {response.text}")
    return response.json() if response.content else {}


def names(number: int) -> tuple[str, str]:
    """An agent-desktop customer's first and last name."""
    return "Agatha", f"Desktop {number}"


def _at(number: int, minutes: int) -> str:
    """A timestamp of customer `number`'s history: its day, `minutes` after 09:00."""
    day = datetime(2026, 1, 5, 9, tzinfo=UTC) + timedelta(days=number, minutes=minutes)
    return day.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def seed_desktop(http: httpx.Client, number: int) -> tuple[str, list[int]]:
    """One agent-desktop customer through the API: its id and its services' ids."""
    first, last = names(number)
    customer = _post(http, "/profiles", {"FirstName": first, "LastName": last})["customer_id"]
    services = []
    for s in range(SERVICES):
        done, at = s % 2 == 1, 120 * s
        body = {
            "customer_id": customer,
            "service_type": 100 + s % 5,
            "est_duration": 3600,
            "timestamp": _at(number, at),
            "interaction_id": f"IXN{number:03d}{s:05d}",
            "media_type": "voice",
            "Feedback": {"FeedbackType": "survey", "rating": s % 10, "notes": "thanks for the nice trip"},
            "relatedOffers": [{"offer_name": o, "type": t, "comments": c} for o, t, c in OFFERS],
        }
        sid = _post(http, "/services/start", body)["service_id"]
        services.append(sid)
        for st in range(STATES):
            state_done, state_at = done or st < STATES // 2, at + 10 * st + 1
            body = {
                "state_type": st + 1,
                "est_duration": 300,
                "timestamp": _at(number, state_at),
                "Feedback": {"FeedbackType": "survey", "rating": (s + st) % 10, "notes": "warm welcome at frontdesk"},
            }
            state = _post(http, f"/services/{sid}/states/start", body)["state_id"]
            for tk in range(TASKS):
                proposals = [
                    {"car type": f"model-{s}-{st}-{tk}-a", "price": 25000, "seats": 2, "comments": "200 cv"},
                    {"car type": f"model-{s}-{st}-{tk}-b", "price": 70000, "seats": 8, "comments": "4wd"},
                ]
                body = {
                    "task_type": f"TT{tk}",
                    "est_duration": 60,
                    "state_id": state,
                    "timestamp": _at(number, state_at + 2 * tk),
                    "Proposal": proposals,
                }
                task = _post(http, f"/services/{sid}/tasks/start", body)["task_id"]
                if state_done or tk == 0:
                    end = {"disposition": 10, "timestamp": _at(number, state_at + 2 * tk + 1)}
                    _post(http, f"/services/{sid}/tasks/{task}/end", end)
            if state_done:
                _post(
                    http,
                    f"/services/{sid}/states/{state}/end",
                    {"disposition": 1, "timestamp": _at(number, state_at + 9)},
                )
        if done:
            _post(http, f"/services/{sid}/end", {"disposition": 10, "timestamp": _at(number, at + 90)})
    return customer, services


def seed_desktops(base: str, headers: dict[str, str], count: int) -> list[tuple[str, list[int]]]:
    """`count` agent-desktop customers, one after the other (the server is the bottleneck: sending
    them side by side is no quicker).
    """
    with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
        return [seed_desktop(http, number) for number in range(count)]


def feedback_write(http: httpx.Client, service: int, rating: int) -> bool:
    """The write interleaved with the measurements: a service's Feedback record replaced (a new
    rating: the tree's answer changes, its size does not).
    """
    body = {"FeedbackType": "survey", "rating": rating % 10, "notes": "thanks for the nice trip"}
    return http.put(f"/services/{service}/extensions/Feedback", json=body).status_code < 300


async def seed_background(url: str, first: int, count: int) -> None:
    """`count` customers by SQL in the server's tables, shaped as BACKGROUND says: one of the two
    services completed, a Feedback record per service, Proposal records per task, an interaction.
    """
    from contextgraph.app.settings import load_settings
    from contextgraph.resolvers.store.database import Database
    from contextgraph.resolvers.store.tables import (
        customer_t,
        extension_record_t,
        extension_schema_t,
        interaction_t,
        service_t,
        state_t,
        task_t,
    )

    database = Database(load_settings(None, database=url).async_database_url)
    stamp = 1_700_000_000_000
    journey = {
        "type_value": 1,
        "type_key": "1",
        "started_ms": stamp,
        "started_at": "2023-11-14T22:13:20.000Z",
        "started": {"timestamp": "2023-11-14T22:13:20.000Z"},
    }
    b = BACKGROUND
    async with database.write() as conn:
        schemas = (
            await conn.execute(
                sa.select(extension_schema_t.c.id, extension_schema_t.c.name, extension_schema_t.c.owner_kind)
            )
        ).all()
        schema = {(kind, name): i for i, name, kind in schemas}
        for start in range(first, first + count, 500):
            ids = [f"bg{n:014d}" for n in range(start, min(start + 500, first + count))]
            await conn.execute(
                sa.insert(customer_t), [{"id": c, "attributes": {"FirstName": c}, "created_ms": stamp} for c in ids]
            )
            services = (
                (
                    await conn.execute(
                        sa.insert(service_t).returning(service_t.c.id),
                        [
                            journey
                            | {"customer_id": c}
                            | (
                                {
                                    "completed_ms": stamp + 1000,
                                    "completed_at": "2023-11-14T22:13:21.000Z",
                                    "duration": 1000,
                                }
                                if k % 2
                                else {}
                            )
                            for c in ids
                            for k in range(b["services"])
                        ],
                    )
                )
                .scalars()
                .all()
            )
            states = (
                await conn.execute(
                    sa.insert(state_t).returning(state_t.c.id, state_t.c.service_id),
                    [journey | {"service_id": s} for s in services for _ in range(b["states"])],
                )
            ).all()
            tasks = (
                (
                    await conn.execute(
                        sa.insert(task_t).returning(task_t.c.id),
                        [
                            journey | {"service_id": s.service_id, "state_id": s.id}
                            for s in states
                            for _ in range(b["tasks"])
                        ],
                    )
                )
                .scalars()
                .all()
            )
            await conn.execute(
                sa.insert(extension_record_t),
                [
                    *(
                        {
                            "schema_id": schema[("service", "Feedback")],
                            "owner_id": str(s),
                            "record": {"FeedbackType": "bg", "rating": 3},
                        }
                        for s in services
                    ),
                    *(
                        {
                            "schema_id": schema[("task", "Proposal")],
                            "owner_id": str(t),
                            "record": {"car type": f"car {i}", "price": 1},
                        }
                        for t in tasks
                        for i in range(b["task_records"])
                    ),
                ],
            )
            await conn.execute(
                sa.insert(interaction_t),
                [
                    {
                        "id": f"bg-{c}",
                        "customer_id": c,
                        "entity_type": 3,
                        "start_ms": stamp,
                        "fields": {"interaction_id": f"bg-{c}", "media_type": "voice", "type": "Inbound", "status": 3},
                    }
                    for c in ids
                ],
            )
    if not database.is_sqlite:  # what autovacuum does a little later in production: plan on today's sizes
        async with database.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(sa.text("ANALYZE"))
    await database.dispose()
