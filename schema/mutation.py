"""Mutations: every REST write, bound to the same catalog operations; each answers the resource it
changed. The answer is read back as part of the write (no read role is needed to see what one just
wrote; its nested fields are checked like any other).
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from contextgraph.resolvers import interactions, system
from contextgraph.resolvers.context import Context
from contextgraph.resolvers.journeys import composite, services, states, tasks
from contextgraph.resolvers.operation import Operation
from contextgraph.resolvers.profiles import profiles
from contextgraph.schema import relay
from contextgraph.schema.binding import binds
from contextgraph.schema.conditions import IdempotencyKey, IfMatch, conditioned
from contextgraph.schema.extension_inputs import ProfileExtensionsInput, profile_body
from contextgraph.schema.inputs import (
    CompositeStartInput,
    ServiceEndInput,
    ServiceStartInput,
    ServiceUpdateInput,
    StateEndInput,
    StateStartInput,
    TaskEndInput,
    TaskStartInput,
    TransitionInput,
    body_of,
)
from contextgraph.schema.loaders import loaders
from contextgraph.schema.scalars import Long
from contextgraph.schema.types import Customer, Interaction, Service, State, Task


def _ctx(info: strawberry.Info) -> Context:
    return loaders(info).ctx


async def written(ctx: Context, read: Operation, **input: Any) -> Any:  # type: ignore[type-arg]
    """What a write changed, read back as the write's own answer (so without the read's role)."""
    return await read.run(ctx, read.parse(input))


async def _service(ctx: Context, service_id: int) -> Service:
    return (await written(ctx, services.get_service, service_id=service_id)).service  # type: ignore[return-value]


async def _state(ctx: Context, service_id: int, state_id: int) -> State:
    return (await written(ctx, states.get_state, service_id=service_id, state_id=state_id)).state  # type: ignore[return-value]


async def _task(ctx: Context, service_id: int, task_id: int) -> Task:
    return (await written(ctx, tasks.get_task, service_id=service_id, task_id=task_id)).task  # type: ignore[return-value]


@strawberry.type
class CompositeStartResult:
    service_id: Long
    service_created: bool
    state_id: int
    state_created: bool
    task_id: int | None
    task_created: bool


@strawberry.type
class Mutation:
    @strawberry.mutation(description=profiles.create_profile.summary, metadata=binds(profiles.create_profile))
    async def create_profile(
        self, info: strawberry.Info, attributes: JSON, extensions: ProfileExtensionsInput | None = None
    ) -> Customer:
        ctx = _ctx(info)
        customer_id = await profiles.create_profile(ctx, {"body": profile_body(ctx.metadata, attributes, extensions)})
        return Customer.of(await written(ctx, profiles.get_profile, customer_id=customer_id))

    @strawberry.mutation(description=services.start_service.summary, metadata=binds(services.start_service))
    async def start_service(
        self, info: strawberry.Info, input: ServiceStartInput, idempotency_key: IdempotencyKey = None
    ) -> Service:
        ctx = _ctx(info)
        write = conditioned(ctx, idempotency_key=idempotency_key)
        return await _service(ctx, await services.start_service(write, {"body": body_of(input)}))

    @strawberry.mutation(description=services.associate_service.summary, metadata=binds(services.associate_service))
    async def associate_service(
        self,
        info: strawberry.Info,
        customer_id: strawberry.ID,
        service_id: Long,
        input: ServiceUpdateInput | None = None,
        if_match: IfMatch = None,
    ) -> Service:
        ctx = _ctx(info)
        await services.associate_service(
            conditioned(ctx, if_match=if_match),
            {"customer_id": relay.customer_id(customer_id), "service_id": service_id, "body": body_of(input) or {}},
        )
        return await _service(ctx, service_id)

    @strawberry.mutation(description=services.complete_service.summary, metadata=binds(services.complete_service))
    async def complete_service(
        self,
        info: strawberry.Info,
        service_id: Long,
        input: ServiceEndInput | None = None,
        if_match: IfMatch = None,
    ) -> Service:
        ctx = _ctx(info)
        await services.complete_service(
            conditioned(ctx, if_match=if_match), {"service_id": service_id, "body": body_of(input) or {}}
        )
        return await _service(ctx, service_id)

    @strawberry.mutation(description=states.start_state.summary, metadata=binds(states.start_state))
    async def start_state(
        self,
        info: strawberry.Info,
        service_id: Long,
        input: StateStartInput,
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> State:
        ctx = _ctx(info)
        write = conditioned(ctx, if_match=if_match, idempotency_key=idempotency_key)
        state_id = await states.start_state(write, {"service_id": service_id, "body": body_of(input)})
        return await _state(ctx, service_id, state_id)

    @strawberry.mutation(description=states.complete_state.summary, metadata=binds(states.complete_state))
    async def complete_state(
        self,
        info: strawberry.Info,
        service_id: Long,
        state_id: int,
        input: StateEndInput | None = None,
        if_match: IfMatch = None,
    ) -> State:
        ctx = _ctx(info)
        write = conditioned(ctx, if_match=if_match)
        await states.complete_state(
            write, {"service_id": service_id, "state_id": state_id, "body": body_of(input) or {}}
        )
        return await _state(ctx, service_id, state_id)

    @strawberry.mutation(description=states.transition.summary, metadata=binds(states.transition))
    async def transition_state(
        self,
        info: strawberry.Info,
        service_id: Long,
        input: TransitionInput,
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> State:
        ctx = _ctx(info)
        write = conditioned(ctx, if_match=if_match, idempotency_key=idempotency_key)
        state_id = await states.transition(write, {"service_id": service_id, "body": body_of(input)})
        return await _state(ctx, service_id, state_id)

    @strawberry.mutation(description=tasks.start_task.summary, metadata=binds(tasks.start_task))
    async def start_task(
        self,
        info: strawberry.Info,
        service_id: Long,
        input: TaskStartInput,
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Task:
        ctx = _ctx(info)
        write = conditioned(ctx, if_match=if_match, idempotency_key=idempotency_key)
        task_id = await tasks.start_task(write, {"service_id": service_id, "body": body_of(input)})
        return await _task(ctx, service_id, task_id)

    @strawberry.mutation(description=tasks.complete_task.summary, metadata=binds(tasks.complete_task))
    async def complete_task(
        self,
        info: strawberry.Info,
        service_id: Long,
        task_id: int,
        input: TaskEndInput | None = None,
        if_match: IfMatch = None,
    ) -> Task:
        ctx = _ctx(info)
        write = conditioned(ctx, if_match=if_match)
        await tasks.complete_task(write, {"service_id": service_id, "task_id": task_id, "body": body_of(input) or {}})
        return await _task(ctx, service_id, task_id)

    @strawberry.mutation(description=composite.composite_start.summary, metadata=binds(composite.composite_start))
    async def composite_start(
        self, info: strawberry.Info, services: list[CompositeStartInput], idempotency_key: IdempotencyKey = None
    ) -> list[CompositeStartResult]:
        write = conditioned(_ctx(info), idempotency_key=idempotency_key)
        results = await composite.composite_start(write, {"services": body_of(services)})
        return [CompositeStartResult(**vars(r)) for r in results]

    @strawberry.mutation(
        description=interactions.record_interaction.summary, metadata=binds(interactions.record_interaction)
    )
    async def record_interaction(self, info: strawberry.Info, interaction: JSON) -> Interaction:
        ctx = _ctx(info)
        interaction_id = await interactions.record_interaction(ctx, {"body": interaction})
        return Interaction.of(await written(ctx, interactions.get_interaction, interaction_id=interaction_id))

    @strawberry.mutation(description=system.set_server_mode.summary, metadata=binds(system.set_server_mode))
    async def set_server_mode(self, info: strawberry.Info, mode: str) -> str:
        result: str = await system.set_server_mode(_ctx(info), {"mode": mode})
        return result
