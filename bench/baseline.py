"""The benchmark's floor: the agent-desktop tree read with hand-written SQL (six batched SELECTs)
and serialised with orjson behind a bare Starlette route. Run by bench/tree.py as

    BASELINE_DATABASE=postgresql+asyncpg://… uvicorn bench.baseline:app --port P
"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

engine = create_async_engine(os.environ["BASELINE_DATABASE"])
_JOURNEY = "type_value, est_duration, started_ms, completed_ms, duration, disposition, started, completed"


def _journey(row: Any) -> dict[str, Any]:
    return {"type": row.type_value, "active": row.completed_ms is None, "startedMs": row.started_ms,
            "completedMs": row.completed_ms, "duration": row.duration, "disposition": row.disposition,
            "started": _json(row.started), "completed": _json(row.completed)}  # fmt: skip


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str) else value


async def tree(request: Request) -> Response:
    customer_id = request.path_params["customer_id"]
    async with engine.connect() as conn:
        customer = (await conn.execute(sa.text("SELECT id, attributes FROM customer WHERE id = :c"), {"c": customer_id})).one()
        services = (await conn.execute(sa.text(f"SELECT id, {_JOURNEY} FROM service WHERE customer_id = :c ORDER BY id"),
                                       {"c": customer_id})).all()  # fmt: skip
        ids = [s.id for s in services]
        ids_param = sa.bindparam("ids", expanding=True)
        states = (await conn.execute(sa.text(f"SELECT id, service_id, {_JOURNEY} FROM state WHERE service_id IN :ids ORDER BY id")
                                     .bindparams(ids_param), {"ids": ids})).all()  # fmt: skip
        tasks = (await conn.execute(sa.text(f"SELECT id, service_id, state_id, {_JOURNEY} FROM task WHERE service_id IN :ids ORDER BY id")
                                    .bindparams(ids_param), {"ids": ids})).all()  # fmt: skip
        owners = [str(i) for i in ids] + [str(s.id) for s in states] + [str(t.id) for t in tasks]
        records = (await conn.execute(sa.text("SELECT r.owner_id, s.owner_kind, s.name, s.definition, r.record FROM extension_record r "
                                              "JOIN extension_schema s ON s.id = r.schema_id WHERE r.owner_id IN :owners "
                                              "AND s.owner_kind IN ('service', 'state', 'task') ORDER BY r.id")
                                      .bindparams(sa.bindparam("owners", expanding=True)), {"owners": owners})).all()  # fmt: skip
        interactions = (await conn.execute(sa.text("SELECT id, service_id, fields FROM interaction WHERE customer_id = :c"),
                                           {"c": customer_id})).all()  # fmt: skip
    extensions: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
    for row in records:
        definition = _json(row.definition)
        bucket = extensions[(row.owner_kind, row.owner_id)]
        if definition["type"] == "multi-valued":
            bucket.setdefault(row.name, []).append(_json(row.record))
        else:
            bucket[row.name] = _json(row.record)
    tasks_of_state: dict[int, list[dict[str, Any]]] = defaultdict(list)
    tasks_of_service: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for t in tasks:
        body = {"id": t.id, "stateId": t.state_id, **_journey(t), "extensions": extensions.get(("task", str(t.id)), {})}
        tasks_of_service[t.service_id].append(body)
        if t.state_id is not None:
            tasks_of_state[t.state_id].append(body)
    states_of_service: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for s in states:
        states_of_service[s.service_id].append({"id": s.id, **_journey(s), "extensions": extensions.get(("state", str(s.id)), {}),
                                                "tasks": tasks_of_state[s.id]})  # fmt: skip
    body = {"id": customer.id, "attributes": _json(customer.attributes),
            "interactions": [{"id": i.id, **_json(i.fields)} for i in interactions],
            "services": [{"id": s.id, **_journey(s), "extensions": extensions.get(("service", str(s.id)), {}),
                          "states": states_of_service[s.id], "tasks": tasks_of_service[s.id]} for s in services]}  # fmt: skip
    return Response(orjson.dumps({"data": {"customer": body}}), media_type="application/json")


app = Starlette(routes=[Route("/tree/{customer_id}", tree)])
