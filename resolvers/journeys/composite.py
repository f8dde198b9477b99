"""The composite start of spec/003: find or create a service, a state and a task in one call.

A service matches when it is active, has the given service type and the given customer (or, with
no customer, none) and, when one is given, the contact key. A state or task matches when it is
active in that service with the given type (a task also in the state, with associate_state_task).
The newest match wins. Extension values given replace those of the found or created item. The whole
array is one transaction, so it is bounded (resolvers/bounds.py): at most COMPOSITE_ITEMS items, each
writing at most COMPOSITE_RECORDS extension records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pydantic import model_validator
from pydantic_core.core_schema import ValidatorFunctionWrapHandler
from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.bounds import COMPOSITE_ITEMS, COMPOSITE_RECORDS, check_count
from contextgraph.resolvers.context import Context
from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.extensions.values import Checked, check_extensions, write_extensions
from contextgraph.resolvers.journeys import records as journeys
from contextgraph.resolvers.journeys.events import Event, ServiceStartEvent, StateStartEvent, TaskStartEvent
from contextgraph.resolvers.journeys.services import insert_service
from contextgraph.resolvers.journeys.states import insert_state
from contextgraph.resolvers.journeys.tasks import insert_task
from contextgraph.resolvers.operation import Input, operation
from contextgraph.resolvers.store.tables import service_t, state_t, task_t
from contextgraph.resolvers.values import flag, require_object
from contextgraph.resolvers.versions import Journey, touch


class CompositeItem(Input):
    """One Composite Start Event (spec/003)."""

    service: ServiceStartEvent
    state: StateStartEvent
    task: TaskStartEvent | None = None
    associate_state_task: bool = False


class CompositeStart(Input):
    """The composite start's body: `{"services": [...]}`, one item per service to find or create."""

    services: list[CompositeItem]

    @model_validator(mode="wrap")
    @classmethod
    def _checked(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        if isinstance(value, cls):
            return value
        services = require_object(value).get("services")
        if not isinstance(services, list) or not services:
            raise BadParameter("services", "expected a non-empty array of Composite Start Events")
        check_count("services", len(services), COMPOSITE_ITEMS, "Composite Start Events")
        return handler({"services": [_item(index, raw) for index, raw in enumerate(services)]})


def _item(index: int, raw: Any) -> CompositeItem:
    item = require_object(raw, f"services[{index}]")
    unknown = set(item) - {"service", "state", "task", "associate_state_task"}
    if unknown:
        raise BadParameter(sorted(unknown)[0], "not a field of a Composite Start Event")
    for part in ("service", "state"):
        if item.get(part) is None:
            raise BadParameter(f"services[{index}].{part}", "mandatory field is missing")
    service, state = ServiceStartEvent.parse(item["service"], "service"), StateStartEvent.parse(item["state"], "state")
    task = TaskStartEvent.parse(item["task"], "task") if item.get("task") is not None else None
    records = sum(_records(part.extensions) for part in (service, state, task) if part is not None)
    check_count(f"services[{index}]", records, COMPOSITE_RECORDS, "extension records per Composite Start Event")
    associate = flag("associate_state_task", item.get("associate_state_task") or False)
    return CompositeItem.model_construct(
        service=_as(ServiceStartEvent, service),
        state=_as(StateStartEvent, state),
        task=_as(TaskStartEvent, task) if task else None,
        associate_state_task=associate,
    )


def _records(extensions: dict[str, Any]) -> int:
    """How many extension records these values write (a multi-valued extension takes a list)."""
    return sum(len(value) if isinstance(value, list) else 1 for value in extensions.values())


def _as(model: Any, event: Event) -> Any:
    """A body model holding an event already checked (with the item's own error wording)."""
    built = model.model_construct(**event.fields, extensions=event.extensions)
    built._event = event
    return built


def _tasks(input: CompositeStart) -> list[str]:
    """An item that names a task may create one: the composite then needs that role too."""
    return ["UCS.Service.startTask"] if any(item.task is not None for item in input.services) else []


@dataclass
class CompositeResult:
    service_id: int
    service_created: bool
    state_id: int
    state_created: bool
    task_id: int | None = None
    task_created: bool = False


@dataclass
class _Item:
    service: Event
    state: Event
    task: Event | None
    associate: bool
    extensions: dict[str, Checked]


def _checked(ctx: Context, item: CompositeItem) -> _Item:
    parts = (("service", item.service), ("state", item.state), ("task", item.task))
    extensions = {kind: check_extensions(ctx, kind, body.event.extensions) for kind, body in parts if body is not None}
    task = item.task.event if item.task is not None else None
    return _Item(item.service.event, item.state.event, task, item.associate_state_task, extensions)


async def _newest(conn: AsyncConnection, table: sa.Table, *where: Any) -> int | None:
    query = sa.select(table.c.id).where(table.c.completed_ms.is_(None), *where)
    return await conn.scalar(query.order_by(table.c.id.desc()).limit(1).with_for_update())


async def _start_one(conn: AsyncConnection, item: _Item, is_sqlite: bool) -> CompositeResult:
    fields = item.service.fields
    customer_id, contact_key = fields.get("customer_id"), fields.get("contact_key")
    if not is_sqlite:  # serialise find-or-create per customer/contact key (SQLite: BEGIN IMMEDIATE)
        key = f"composite:{customer_id}:{contact_key}"
        await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(key))))
    where = [
        service_t.c.type_key == journeys.type_key(fields["service_type"]),
        service_t.c.customer_id == customer_id if customer_id is not None else service_t.c.customer_id.is_(None),
    ]
    if contact_key is not None:
        where.append(service_t.c.contact_key == contact_key)
    service_id = await _newest(conn, service_t, *where)
    result = CompositeResult(service_id or 0, service_id is None, 0, False)
    if service_id is None:
        result.service_id = await insert_service(conn, item.service)
    await write_extensions(conn, result.service_id, item.extensions["service"])

    state_type = journeys.type_key(item.state.fields["state_type"])
    state_id = await _newest(conn, state_t, state_t.c.service_id == result.service_id, state_t.c.type_key == state_type)
    result.state_created = state_id is None
    result.state_id = state_id or await insert_state(conn, result.service_id, item.state)
    await write_extensions(conn, result.state_id, item.extensions["state"])

    if item.task is not None:
        where = [
            task_t.c.service_id == result.service_id,
            task_t.c.type_key == journeys.type_key(item.task.fields["task_type"]),
        ]
        if item.associate:
            where.append(task_t.c.state_id == result.state_id)
            item.task.fields["state_id"] = result.state_id
        task_id = await _newest(conn, task_t, *where)
        result.task_created = task_id is None
        result.task_id = task_id or await insert_task(conn, result.service_id, item.task)
        await write_extensions(conn, result.task_id, item.extensions["task"])
    await touch(None, conn, Journey(result.service_id, result.state_id, result.task_id))  # found ones changed
    return result


@operation(
    "compositeStart",
    tasks=("UCS.Service.startService", "UCS.Service.startState"),
    input=CompositeStart,
    more_tasks=_tasks,
    more_tasks_doc="UCS.Service.startTask when an item names a task",
    replay=lambda kept: [CompositeResult(**item) for item in kept],
)
async def composite_start(ctx: Context, input: CompositeStart) -> list[CompositeResult]:
    """Find or create services, states and tasks in one step (spec/003); one transaction."""
    items = [_checked(ctx, item) for item in input.services]
    async with ctx.write() as conn:
        results = [await _start_one(conn, item, ctx.db.is_sqlite) for item in items]
        for item, r in zip(items, results, strict=True):  # recorded last: see store/journal.py
            if r.service_created:
                await ctx.publish(conn, "service", "started", r.service_id)
            if r.state_created:
                await ctx.publish(conn, "state", "started", r.service_id, state_id=r.state_id)
            if r.task_created:
                state_id = item.task.fields.get("state_id") if item.task is not None else None
                await ctx.publish(conn, "task", "started", r.service_id, task_id=r.task_id, state_id=state_id)
    return results
