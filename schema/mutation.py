"""Mutations: every REST write, through the same resolvers; each answers the resource it changed."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from contextgraph.resolvers import interactions
from contextgraph.resolvers.context import Context
from contextgraph.resolvers.journeys import composite, services, states, tasks
from contextgraph.resolvers.profiles import profiles
from contextgraph.schema.inputs import (
    CompositeStartInput,
    EndInput,
    ServiceStartInput,
    ServiceUpdateInput,
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


async def _service(ctx: Context, service_id: int) -> Service:
    return Service.of((await services.get_service(ctx, service_id)).service)


async def _state(ctx: Context, service_id: int, state_id: int) -> State:
    return State.of((await states.get_state(ctx, service_id, state_id)).state)


async def _task(ctx: Context, service_id: int, task_id: int) -> Task:
    return Task.of((await tasks.get_task(ctx, service_id, task_id)).task)


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
    @strawberry.mutation(description="Create a customer profile from its attributes.")
    async def create_profile(self, info: strawberry.Info, attributes: JSON) -> Customer:
        ctx = _ctx(info)
        customer_id = await profiles.create_profile(ctx, attributes)
        return Customer.of(await profiles.get_profile(ctx, customer_id))

    @strawberry.mutation(description="Start a service (POST /services/start).")
    async def start_service(self, info: strawberry.Info, input: ServiceStartInput) -> Service:
        ctx = _ctx(info)
        return await _service(ctx, await services.start_service(ctx, body_of(input)))

    @strawberry.mutation(description="Associate a service with a customer (POST /customers/{id}/services/{id}).")
    async def associate_service(
        self, info: strawberry.Info, customer_id: str, service_id: Long, input: ServiceUpdateInput | None = None
    ) -> Service:
        ctx = _ctx(info)
        await services.associate_service(ctx, customer_id, service_id, body_of(input))
        return await _service(ctx, service_id)

    @strawberry.mutation(description="Complete a service (POST /services/{id}/end).")
    async def complete_service(self, info: strawberry.Info, service_id: Long, input: EndInput | None = None) -> Service:
        ctx = _ctx(info)
        await services.complete_service(ctx, service_id, body_of(input))
        return await _service(ctx, service_id)

    @strawberry.mutation(description="Start a state (POST /services/{id}/states/start).")
    async def start_state(self, info: strawberry.Info, service_id: Long, input: StateStartInput) -> State:
        ctx = _ctx(info)
        return await _state(ctx, service_id, await states.start_state(ctx, service_id, body_of(input)))

    @strawberry.mutation(description="Complete a state (POST /services/{id}/states/{id}/end).")
    async def complete_state(
        self, info: strawberry.Info, service_id: Long, state_id: int, input: EndInput | None = None
    ) -> State:
        ctx = _ctx(info)
        await states.complete_state(ctx, service_id, state_id, body_of(input))
        return await _state(ctx, service_id, state_id)

    @strawberry.mutation(description="Complete one state and start the next (POST /services/{id}/states/transition).")
    async def transition_state(self, info: strawberry.Info, service_id: Long, input: TransitionInput) -> State:
        ctx = _ctx(info)
        return await _state(ctx, service_id, await states.transition(ctx, service_id, body_of(input)))

    @strawberry.mutation(description="Start a task (POST /services/{id}/tasks/start).")
    async def start_task(self, info: strawberry.Info, service_id: Long, input: TaskStartInput) -> Task:
        ctx = _ctx(info)
        return await _task(ctx, service_id, await tasks.start_task(ctx, service_id, body_of(input)))

    @strawberry.mutation(description="Complete a task (POST /services/{id}/tasks/{id}/end).")
    async def complete_task(
        self, info: strawberry.Info, service_id: Long, task_id: int, input: TaskEndInput | None = None
    ) -> Task:
        ctx = _ctx(info)
        await tasks.complete_task(ctx, service_id, task_id, body_of(input))
        return await _task(ctx, service_id, task_id)

    @strawberry.mutation(description="Find or create services, states and tasks in one step (spec/003).")
    async def composite_start(
        self, info: strawberry.Info, services: list[CompositeStartInput]
    ) -> list[CompositeStartResult]:
        results = await composite.composite_start(_ctx(info), {"services": body_of(services)})
        return [CompositeStartResult(**vars(r)) for r in results]

    @strawberry.mutation(description="Record an interaction (a POST /interactions body; binary content in base64).")
    async def record_interaction(self, info: strawberry.Info, interaction: JSON) -> Interaction:
        ctx = _ctx(info)
        interaction_id = await interactions.record_interaction(ctx, interaction)
        return Interaction.of(await interactions.get_interaction(ctx, interaction_id))

    @strawberry.mutation(description="Switch the server mode: production or maintenance.")
    async def set_server_mode(self, info: strawberry.Info, mode: str) -> str:
        return await _ctx(info).server.set_mode(mode)
