"""Query roots: a customer, a service, a state, a task, anonymous services, the server status."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from contextgraph.resolvers import interactions
from contextgraph.resolvers.journeys import services, states, tasks
from contextgraph.resolvers.journeys.records import Status
from contextgraph.resolvers.paging import page
from contextgraph.resolvers.profiles import profiles
from contextgraph.schema.loaders import loaders
from contextgraph.schema.scalars import Long
from contextgraph.schema.types import (
    _TYPES,
    FIRST,
    OFFSET,
    Customer,
    Interaction,
    Service,
    State,
    Task,
    service_filter_of,
)


@strawberry.type
class Query:
    @strawberry.field(description="A customer by id, with their services a level below.")
    async def customer(self, info: strawberry.Info, id: strawberry.ID) -> Customer:
        return Customer.of(await profiles.get_profile(loaders(info).ctx, str(id)))

    @strawberry.field(description="A service by id.")
    async def service(self, info: strawberry.Info, id: Long) -> Service:
        return Service.of((await services.get_service(loaders(info).ctx, id)).service)

    @strawberry.field(description="A state of a service.")
    async def state(self, info: strawberry.Info, service_id: Long, id: int) -> State:
        return State.of((await states.get_state(loaders(info).ctx, service_id, id)).state)

    @strawberry.field(description="A task of a service.")
    async def task(self, info: strawberry.Info, service_id: Long, id: int) -> Task:
        return Task.of((await tasks.get_task(loaders(info).ctx, service_id, id)).task)

    @strawberry.field(description="Services started under a contact key and not yet associated with a customer.")
    async def anonymous_services(
        self, info: strawberry.Info, contact_key: str, status: Status = Status.ALL, types: _TYPES = None,
        started_from: str | None = None, started_to: str | None = None,
        completed_from: str | None = None, completed_to: str | None = None, first: FIRST = None, offset: OFFSET = 0,
    ) -> list[Service]:  # fmt: skip
        service_filter = service_filter_of(status, types, started_from, started_to, completed_from, completed_to)
        ctx = loaders(info).ctx
        trees = page(await services.anonymous_services(ctx, contact_key, service_filter), first, offset,
                     loaders(info).settings.graphql_max_list)  # fmt: skip
        loaders(info).charge(len(trees))
        return [Service.of(t.service) for t in trees]

    @strawberry.field(description="An interaction by its id.")
    async def interaction(self, info: strawberry.Info, id: str) -> Interaction:
        return Interaction.of(await interactions.get_interaction(loaders(info).ctx, id))

    @strawberry.field(description="The server status, as GET /server/status shows it.")
    async def server_status(self, info: strawberry.Info) -> JSON:
        return JSON(await loaders(info).ctx.server.status())
