"""What services, states and tasks share: records, lookups, batched child loads, start and completion.

Batched loaders take many parent ids and run one query, so a tree costs one query per level.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any, TypeVar

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.errors import Conflict, not_found
from contextgraph.resolvers.extensions.values import delete_owned_records
from contextgraph.resolvers.journeys.events import END_LIFTED, START_LIFTED, Event
from contextgraph.resolvers.store.tables import (
    customer_t,
    interaction_t,
    read_json,
    service_interaction_t,
    service_t,
    state_t,
    task_t,
)
from contextgraph.resolvers.timefmt import format_ms


class Status(Enum):
    """Which members of a collection: started and not completed, completed, or both."""

    ACTIVE = "active"
    COMPLETED = "completed"
    ALL = "all"

    @classmethod
    def of(cls, active: bool, completed: bool) -> Status | None:
        """The status that covers both flags; None when neither is asked for."""
        if active and completed:
            return cls.ALL
        return cls.ACTIVE if active else cls.COMPLETED if completed else None


@dataclass(slots=True)
class JourneyRecord:
    id: int
    type_value: Any
    type_key: str
    est_duration: int | None
    started_ms: int
    completed_ms: int | None
    duration: int | None
    disposition: Any
    disposition_desc: str | None
    # The start and end events as stored (JSON text), read when asked for: a tree rarely shows them.
    started_json: str = field(metadata={"column": "started"})
    completed_json: str | None = field(metadata={"column": "completed"})
    started_at: str  # as the API shows it (`YYYY-MM-DDTHH:mm:ss.SSSZ`)
    completed_at: str | None
    version: int  # what its ETag names (resolvers/versions.py)

    @property
    def active(self) -> bool:
        return self.completed_ms is None

    @property
    def started(self) -> dict[str, Any]:
        found: dict[str, Any] = orjson.loads(self.started_json)
        return found

    @property
    def completed(self) -> dict[str, Any] | None:
        return orjson.loads(self.completed_json) if self.completed_json is not None else None


@dataclass(slots=True)
class ServiceRecord(JourneyRecord):
    customer_id: str | None
    contact_key: Any


@dataclass(slots=True)
class StateRecord(JourneyRecord):
    service_id: int
    previous_state_id: int | None


@dataclass(slots=True)
class TaskRecord(JourneyRecord):
    service_id: int
    state_id: int | None


R = TypeVar("R", ServiceRecord, StateRecord, TaskRecord)
_RECORDS: dict[str, type] = {"service": ServiceRecord, "state": StateRecord, "task": TaskRecord}
_TABLES = {"service": service_t, "state": state_t, "task": task_t}


def select_records(cls: type[R]) -> sa.Select[Any]:
    """SELECT of a record's columns in its fields' order, so rows become records positionally
    (`cls(*row)` costs a fifth of `cls(**row._mapping)`; a tree has hundreds of rows).
    """
    table = _TABLES[next(kind for kind, record in _RECORDS.items() if record is cls)]
    selected: list[Any] = []
    for f in fields(cls):
        column = table.c[f.metadata.get("column", f.name)]
        if f.name.endswith("_json"):  # the text as stored
            selected.append(sa.cast(column, sa.Text).label(f.name))
        else:
            selected.append(read_json(column) if isinstance(column.type, sa.JSON) else column)
    query: sa.Select[Any] = sa.select(*selected)
    return query


def records(cls: type[R], rows: Iterable[Any]) -> list[R]:
    return [cls(*row) for row in rows]


async def require_customer(conn: AsyncConnection, customer_id: str, *, lock: bool = False, keep: bool = False) -> None:
    """404 unless the customer exists. `lock`: hold its row until the transaction ends (a merge or a
    delete, which take it first); `keep`: keep it from being merged or deleted away until then (a write
    that refers to it — without this, a delete committed between the check and the insert makes the
    insert break its foreign key on PostgreSQL). SQLite runs one write at a time: neither is needed."""
    query = sa.select(customer_t.c.id).where(customer_t.c.id == customer_id)
    if lock or keep:
        query = query.with_for_update(key_share=not lock)
    if await conn.scalar(query) is None:
        raise not_found("customer", customer_id)


# -- single lookups ---------------------------------------------------------------------------
def _check_id(kind: str, value: int, bits: int, label: object) -> None:
    """An id outside its column's range names nothing (and must not reach the database)."""
    if not 0 <= value < 2 ** (bits - 1):
        raise not_found(kind, label)


def _by_id(kind: str, lock: bool = False) -> sa.Select[Any]:
    """One service, or one state or task of a service, by bound `row_id` (and `service_id`)."""
    table = _TABLES[kind]
    query = select_records(_RECORDS[kind]).where(table.c.id == sa.bindparam("row_id"))
    if kind != "service":
        query = query.where(table.c.service_id == sa.bindparam("service_id"))
    return query.with_for_update() if lock else query


_BY_ID = {(kind, lock): _by_id(kind, lock) for kind in _TABLES for lock in (False, True)}


def _ids(kind: str, row_id: int, service_id: int) -> dict[str, int]:
    _check_id("service", service_id, 64, service_id)
    _check_id(kind, row_id, 64 if kind == "service" else 32, row_id)
    return {"row_id": row_id} if kind == "service" else {"row_id": row_id, "service_id": service_id}


def _found(kind: str, row: Any, row_id: int, service_id: int) -> Any:
    if row is None:
        raise not_found(kind, row_id if kind == "service" else f"{row_id}' of service '{service_id}")
    return _RECORDS[kind](*row)


async def _fetch(conn: AsyncConnection, kind: str, row_id: int, service_id: int, lock: bool) -> Any:
    """One service, or one state or task of a service: 404 unless it exists."""
    row = (await conn.execute(_BY_ID[kind, lock], _ids(kind, row_id, service_id))).first()
    return _found(kind, row, row_id, service_id)


async def fetch_service(conn: AsyncConnection, service_id: int, *, lock: bool = False) -> ServiceRecord:
    record: ServiceRecord = await _fetch(conn, "service", service_id, service_id, lock)
    return record


async def fetch_state(conn: AsyncConnection, service_id: int, state_id: int, *, lock: bool = False) -> StateRecord:
    record: StateRecord = await _fetch(conn, "state", state_id, service_id, lock)
    return record


async def fetch_task(conn: AsyncConnection, service_id: int, task_id: int, *, lock: bool = False) -> TaskRecord:
    record: TaskRecord = await _fetch(conn, "task", task_id, service_id, lock)
    return record


# -- writes -----------------------------------------------------------------------------------
def type_key(value: Any) -> str:
    """The text form of a "long or string" value: 100 and "100" are the same type for filters."""
    return str(value)


async def link_interaction(conn: AsyncConnection, service_id: int, event: Event) -> None:
    """Remember that the service's journey names this interaction (it then lists it)."""
    interaction_id = event.fields.get("interaction_id")
    if interaction_id is None:
        return
    row = {"service_id": service_id, "interaction_id": str(interaction_id)[:64]}
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    await conn.execute(dialect.insert(service_interaction_t).values(row).on_conflict_do_nothing())


async def insert_started(conn: AsyncConnection, kind: str, event: Event, type_field: str, **columns: Any) -> int:
    """Insert a started service, state or task; answers the id the database allocated."""
    table = _TABLES[kind]
    values = {
        "type_value": event.fields[type_field],
        "type_key": type_key(event.fields[type_field]),
        "est_duration": event.fields.get("est_duration"),
        "started_ms": event.timestamp_ms,
        "started_at": format_ms(event.timestamp_ms),
        "started": event.without(START_LIFTED),
        **columns,
    }
    result = await conn.execute(sa.insert(table).values(values).returning(table.c.id))
    row_id = int(result.scalar_one())
    await link_interaction(conn, columns.get("service_id", row_id), event)
    return row_id


async def complete(conn: AsyncConnection, kind: str, record: JourneyRecord, event: Event, **columns: Any) -> None:
    """Complete a started service, state or task: end event, disposition, duration in ms.

    Clients stamp events with their own clocks (the documents' examples end "now"-started services
    in 2009): an end earlier than the start is recorded as sent, with a duration of 0, never negative.
    """
    if not record.active:
        raise Conflict(f"{kind} '{record.id}' is already completed")
    ended = event.timestamp_ms
    table = _TABLES[kind]
    values = {
        "completed_ms": ended,
        "completed_at": format_ms(ended),
        "duration": max(0, ended - record.started_ms),
        "completed": event.without(END_LIFTED),
        "disposition": event.fields.get("disposition"),
        "disposition_desc": event.fields.get("disposition_desc"),
        **columns,
    }
    # The condition makes a concurrent second completion update nothing instead of overwriting.
    update = sa.update(table).where(table.c.id == record.id, table.c.completed_ms.is_(None))
    if (await conn.execute(update.values(values))).rowcount != 1:
        raise Conflict(f"{kind} '{record.id}' is already completed")
    await link_interaction(conn, getattr(record, "service_id", record.id), event)


async def delete_services(conn: AsyncConnection, service_ids: list[int]) -> None:
    """Delete services with their states, tasks, the extension records of all three and their
    links to interactions.
    """
    if not service_ids:
        return
    state_ids = (await conn.execute(sa.select(state_t.c.id).where(state_t.c.service_id.in_(service_ids)))).scalars()
    task_ids = (await conn.execute(sa.select(task_t.c.id).where(task_t.c.service_id.in_(service_ids)))).scalars()
    await delete_owned_records(conn, "task", list(task_ids))
    await delete_owned_records(conn, "state", list(state_ids))
    await delete_owned_records(conn, "service", service_ids)
    await conn.execute(sa.delete(task_t).where(task_t.c.service_id.in_(service_ids)))
    await conn.execute(sa.delete(state_t).where(state_t.c.service_id.in_(service_ids)))
    await conn.execute(sa.delete(service_interaction_t).where(service_interaction_t.c.service_id.in_(service_ids)))
    # The customer's interactions stay theirs; they only stop pointing at the deleted service.
    detach = sa.update(interaction_t).where(interaction_t.c.service_id.in_(service_ids))
    await conn.execute(detach.values(service_id=None))
    await conn.execute(sa.delete(service_t).where(service_t.c.id.in_(service_ids)))


def require_active(kind: str, record: JourneyRecord) -> None:
    if not record.active:
        raise Conflict(f"{kind} '{record.id}' is completed")
