"""State operations: start, complete, transition, and the state queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.context import Context
from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.extensions.values import check_extensions, extension_values, schemas_named, write_extensions
from contextgraph.resolvers.journeys import records as journeys
from contextgraph.resolvers.journeys.events import (
    STATE_END,
    STATE_START,
    TRANSITION_FROM,
    TRANSITION_SHARED,
    TRANSITION_TO,
    Event,
    parse_event,
)
from contextgraph.resolvers.journeys.records import StateRecord, Status, TaskRecord
from contextgraph.resolvers.metadata.extension_schema import ExtensionSchema
from contextgraph.resolvers.store.tables import state_t
from contextgraph.resolvers.values import require_object


@dataclass
class StateTree:
    """A state with the nested tasks a query asked for (None: not asked for)."""

    state: StateRecord
    tasks: list[TaskRecord] | None = None
    customer_id: str | None = None
    extensions: dict[str, Any] | None = None


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
    checked = check_extensions(ctx, "state", event.extensions)
    async with ctx.write() as conn:
        state_id = await insert_state(conn, service_id, event)
        await write_extensions(conn, state_id, checked)
    await ctx.live.publish("state", "started", service_id, state_id=state_id)
    return state_id


async def complete_state(ctx: Context, service_id: int, state_id: int, body: Any) -> None:
    event = parse_event(body if body is not None else {}, STATE_END)
    checked = check_extensions(ctx, "state", event.extensions, action="update")
    async with ctx.write() as conn:
        state = await journeys.fetch_state(conn, service_id, state_id, lock=True)
        await journeys.complete(conn, "state", state, event)
        await write_extensions(conn, state_id, checked)
    await ctx.live.publish("state", "completed", service_id, state_id=state_id)


async def transition(ctx: Context, service_id: int, body: Any) -> int:
    """Complete the `from` state and start the `to` state in one step; answers the new state id."""
    body = require_object(body)
    for part in ("from", "to"):
        if part not in body:
            raise BadParameter(part, "mandatory field is missing")
    shared = parse_event({k: v for k, v in body.items() if k not in ("from", "to")}, TRANSITION_SHARED)
    source = parse_event(body["from"], TRANSITION_FROM, required=("state_id",), what="'from'", stamp=False)
    target = parse_event(body["to"], TRANSITION_TO, required=("state_type",), what="'to'", stamp=False)
    for key in shared.extensions:  # extension values belong to the state they describe
        raise BadParameter(key, "not a field of a State Transition Event; put extensions in 'from' or 'to'")
    ending_extensions = check_extensions(ctx, "state", source.extensions, action="update")
    starting_extensions = check_extensions(ctx, "state", target.extensions)
    state_id = source.fields.pop("state_id")
    ending = Event(shared.fields | source.fields)
    starting = Event(shared.fields | target.fields | {"previous_state_id": state_id})
    async with ctx.write() as conn:
        state = await journeys.fetch_state(conn, service_id, state_id, lock=True)
        await journeys.complete(conn, "state", state, ending)
        await write_extensions(conn, state_id, ending_extensions)
        new_state_id = await insert_state(conn, service_id, starting)
        await write_extensions(conn, new_state_id, starting_extensions)
    await ctx.live.publish("state", "transitioned", service_id, state_id=new_state_id)
    return new_state_id


async def service_states(
    ctx: Context, service_id: int, status: Status = Status.ALL, types: Sequence[str] | None = None,
    task_status: Status | None = None, extensions: Sequence[str] = (),
) -> list[StateTree]:  # fmt: skip
    schemas = schemas_named(ctx.metadata, "state", extensions)
    async with ctx.read() as conn:
        await journeys.fetch_service(conn, service_id)
        states = (await journeys.states_of_services(conn, [service_id], status, types))[service_id]
        return await _nest(conn, states, task_status, schemas)


async def get_state(
    ctx: Context, service_id: int, state_id: int, task_status: Status | None = None, extensions: Sequence[str] = ()
) -> StateTree:
    schemas = schemas_named(ctx.metadata, "state", extensions)
    async with ctx.read() as conn:
        service = await journeys.fetch_service(conn, service_id)
        state = await journeys.fetch_state(conn, service_id, state_id)
        tree = (await _nest(conn, [state], task_status, schemas))[0]
    tree.customer_id = service.customer_id
    return tree


async def _nest(
    conn: AsyncConnection, states: list[StateRecord], task_status: Status | None, schemas: list[ExtensionSchema]
) -> list[StateTree]:
    trees = [StateTree(s) for s in states]
    if task_status is not None:
        tasks = await journeys.tasks_of_states(conn, [s.id for s in states], task_status)
        for tree in trees:
            tree.tasks = tasks.get(tree.state.id, [])
    if schemas:
        values = await extension_values(conn, schemas, [s.id for s in states])
        for tree in trees:
            tree.extensions = values.get(str(tree.state.id), {})
    return trees
