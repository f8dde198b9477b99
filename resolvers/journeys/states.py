"""State operations: start, complete, transition, and the state queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.context import Context
from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.extensions.values import check_extensions, extension_values, schemas_named, write_extensions
from contextgraph.resolvers.journeys import loads
from contextgraph.resolvers.journeys import records as journeys
from contextgraph.resolvers.journeys.events import EndEvent, Event, StateStartEvent, TransitionEvent
from contextgraph.resolvers.journeys.query import Include, Names, included_tasks
from contextgraph.resolvers.journeys.records import ServiceRecord, StateRecord, Status, TaskRecord
from contextgraph.resolvers.metadata.extension_schema import ExtensionSchema
from contextgraph.resolvers.operation import Input, operation
from contextgraph.resolvers.store.reader import Rows
from contextgraph.resolvers.store.tables import state_t
from contextgraph.resolvers.values import Long
from contextgraph.resolvers.versions import Journey, touch


class StartState(Input):
    service_id: Long
    body: StateStartEvent


class CompleteState(Input):
    service_id: Long
    state_id: int
    body: EndEvent


class TransitionState(Input):
    service_id: Long
    body: TransitionEvent


class ReadServiceStates(Input):
    service_id: Long
    status: Status = Status.ALL
    types: tuple[str, ...] | None = None
    include: Include = Include()  # its task flags
    extensions: Names = ()


class ReadState(Input):
    service_id: Long
    state_id: int
    include: Include = Include()  # its task flags
    extensions: Names = ()


def _included(input: ReadServiceStates | ReadState) -> list[str]:
    return included_tasks("state", tasks=input.include.tasks is not None, extensions=input.extensions)


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


@operation("startState", tasks=("UCS.Service.startState",), input=StartState, replay=int)
async def start_state(ctx: Context, input: StartState) -> int:
    """Start a state (POST /services/{id}/states/start)."""
    service_id, event = input.service_id, input.body.event
    checked = check_extensions(ctx, "state", event.extensions)
    async with ctx.write() as conn:
        await touch(ctx, conn, Journey(service_id))
        state_id = await insert_state(conn, service_id, event)
        await write_extensions(conn, state_id, checked)
        await ctx.publish(conn, "state", "started", service_id, state_id=state_id)
    return state_id


@operation("completeState", tasks=("UCS.Service.completeState",), input=CompleteState)
async def complete_state(ctx: Context, input: CompleteState) -> None:
    """Complete a state (POST /services/{id}/states/{id}/end)."""
    service_id, state_id, event = input.service_id, input.state_id, input.body.event
    checked = check_extensions(ctx, "state", event.extensions, action="update")
    async with ctx.write() as conn:
        await touch(ctx, conn, Journey(service_id, state_id))
        state = await journeys.fetch_state(conn, service_id, state_id, lock=True)
        await journeys.complete(conn, "state", state, event)
        await write_extensions(conn, state_id, checked)
        await ctx.publish(conn, "state", "completed", service_id, state_id=state_id)


@operation("transitionState", tasks=("UCS.Service.transitionState",), input=TransitionState, replay=int)
async def transition(ctx: Context, input: TransitionState) -> int:
    """Complete one state and start the next (POST /services/{id}/states/transition); answers the
    new state's id."""
    service_id, body = input.service_id, input.body
    shared, source, target = body.event, body.from_.event, body.to.event
    ending_extensions = check_extensions(ctx, "state", source.extensions, action="update")
    starting_extensions = check_extensions(ctx, "state", target.extensions)
    state_id = source.fields.pop("state_id")
    ending = Event(shared.fields | source.fields)
    starting = Event(shared.fields | target.fields | {"previous_state_id": state_id})
    async with ctx.write() as conn:
        await touch(ctx, conn, Journey(service_id, state_id, named="service"))
        state = await journeys.fetch_state(conn, service_id, state_id, lock=True)
        await journeys.complete(conn, "state", state, ending)
        await write_extensions(conn, state_id, ending_extensions)
        new_state_id = await insert_state(conn, service_id, starting)
        await write_extensions(conn, new_state_id, starting_extensions)
        await ctx.publish(conn, "state", "transitioned", service_id, state_id=new_state_id)
    return new_state_id


@operation("readServiceStates", tasks=("UCS.Service.readState",), input=ReadServiceStates, more_tasks=_included)
async def service_states(ctx: Context, input: ReadServiceStates) -> list[StateTree]:
    """The states of a service, oldest first, with the tasks and extensions asked for."""
    service_id = input.service_id
    schemas = schemas_named(ctx.metadata, "state", input.extensions)
    rows = await ctx.rows()
    await loads.one(rows, ServiceRecord, service_id)
    states = (await loads.states_of_services(rows, [service_id], input.status, input.types)).get(service_id, [])
    return await _nest(rows, states, input.include.tasks, schemas)


@operation("readState", tasks=("UCS.Service.readState",), input=ReadState, more_tasks=_included)
async def get_state(ctx: Context, input: ReadState) -> StateTree:
    """A state of a service, with the tasks and extensions asked for."""
    schemas = schemas_named(ctx.metadata, "state", input.extensions)
    rows = await ctx.rows()
    service = await loads.one(rows, ServiceRecord, input.service_id)
    state = await loads.one(rows, StateRecord, input.state_id, input.service_id)
    tree = (await _nest(rows, [state], input.include.tasks, schemas))[0]
    tree.customer_id = service.customer_id
    return tree


async def _nest(
    rows: Rows, states: list[StateRecord], task_status: Status | None, schemas: list[ExtensionSchema]
) -> list[StateTree]:
    trees = [StateTree(s) for s in states]
    if task_status is not None:
        tasks = await loads.tasks_of_states(rows, [s.id for s in states], task_status)
        for tree in trees:
            tree.tasks = tasks.get(tree.state.id, [])
    if schemas:
        values = await extension_values(rows, schemas, [s.id for s in states])
        for tree in trees:
            tree.extensions = values.get(str(tree.state.id), {})
    return trees
