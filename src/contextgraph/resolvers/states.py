"""State operations: start, complete, transition, and the state queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.app.errors import BadParameter
from contextgraph.app.models import state_t
from contextgraph.resolvers import journeys
from contextgraph.resolvers.context import Context
from contextgraph.resolvers.events import (
    STATE_END,
    STATE_START,
    TRANSITION_FROM,
    TRANSITION_SHARED,
    TRANSITION_TO,
    Event,
    parse_event,
    require_object,
)
from contextgraph.resolvers.extensions import check_extensions
from contextgraph.resolvers.journeys import StateRecord, Status, TaskRecord


@dataclass
class StateTree:
    """A state with the nested tasks a query asked for (None: not asked for)."""

    state: StateRecord
    tasks: list[TaskRecord] | None = None
    customer_id: str | None = None


async def insert_state(conn: AsyncConnection, service_id: int, event: Event) -> int:
    """Start a state in an active service (shared with the transition and the composite start)."""
    service = await journeys.fetch_service(conn, service_id, lock=True)
    journeys.require_active("service", service)
    previous = event.fields.get("previous_state_id")
    if previous is not None:
        found = await conn.scalar(
            sa.select(state_t.c.id).where(state_t.c.id == previous, state_t.c.service_id == service_id)
        )
        if found is None:
            raise BadParameter("previous_state_id", f"service '{service_id}' has no state '{previous}'")
    return await journeys.insert_started(
        conn, "state", event, "state_type", service_id=service_id, previous_state_id=previous
    )


async def start_state(ctx: Context, service_id: int, body: Any) -> int:
    event = parse_event(body, STATE_START, required=("state_type",))
    check_extensions("state", event.extensions)
    async with ctx.write() as conn:
        return await insert_state(conn, service_id, event)


async def complete_state(ctx: Context, service_id: int, state_id: int, body: Any) -> None:
    event = parse_event(body if body is not None else {}, STATE_END)
    check_extensions("state", event.extensions)
    async with ctx.write() as conn:
        state = await journeys.fetch_state(conn, service_id, state_id, lock=True)
        await journeys.complete(conn, "state", state, event)


async def transition(ctx: Context, service_id: int, body: Any) -> int:
    """Complete the `from` state and start the `to` state in one step; answers the new state id."""
    body = require_object(body)
    for part in ("from", "to"):
        if part not in body:
            raise BadParameter(part, "mandatory field is missing")
    shared = parse_event({k: v for k, v in body.items() if k not in ("from", "to")}, TRANSITION_SHARED)
    source = parse_event(body["from"], TRANSITION_FROM, required=("state_id",), what="'from'", stamp=False)
    target = parse_event(body["to"], TRANSITION_TO, required=("state_type",), what="'to'", stamp=False)
    for extensions in (shared.extensions, source.extensions, target.extensions):
        check_extensions("state", extensions)
    state_id = source.fields.pop("state_id")
    ending = Event(shared.fields | source.fields)
    starting = Event(shared.fields | target.fields | {"previous_state_id": state_id})
    async with ctx.write() as conn:
        state = await journeys.fetch_state(conn, service_id, state_id, lock=True)
        await journeys.complete(conn, "state", state, ending)
        return await insert_state(conn, service_id, starting)


async def service_states(
    ctx: Context, service_id: int, status: Status = Status.ALL, types: Sequence[str] | None = None,
    task_status: Status | None = None,
) -> list[StateTree]:  # fmt: skip
    async with ctx.read() as conn:
        await journeys.fetch_service(conn, service_id)
        states = (await journeys.states_of_services(conn, [service_id], status, types))[service_id]
        return await _with_tasks(conn, states, task_status)


async def get_state(ctx: Context, service_id: int, state_id: int, task_status: Status | None = None) -> StateTree:
    async with ctx.read() as conn:
        service = await journeys.fetch_service(conn, service_id)
        state = await journeys.fetch_state(conn, service_id, state_id)
        tree = (await _with_tasks(conn, [state], task_status))[0]
    tree.customer_id = service.customer_id
    return tree


async def _with_tasks(conn: AsyncConnection, states: list[StateRecord], task_status: Status | None) -> list[StateTree]:
    trees = [StateTree(s) for s in states]
    if task_status is not None:
        tasks = await journeys.tasks_of_states(conn, [s.id for s in states], task_status)
        for tree in trees:
            tree.tasks = tasks.get(tree.state.id, [])
    return trees
