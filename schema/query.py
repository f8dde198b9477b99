"""Query roots: a customer, a service, a state, a task, anonymous services, an interaction, the
server status; each bound to its catalog operation.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from contextgraph.resolvers import interactions, system
from contextgraph.resolvers.journeys import services, states, tasks
from contextgraph.resolvers.journeys.records import Status
from contextgraph.resolvers.paging import page
from contextgraph.resolvers.profiles import profiles
from contextgraph.schema.binding import binds
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
    @strawberry.field(
        description="A customer by id, with their services a level below.", metadata=binds(profiles.get_profile)
    )
    async def customer(self, info: strawberry.Info, id: strawberry.ID) -> Customer:
        return Customer.of(await profiles.get_profile(loaders(info).ctx, {"customer_id": str(id)}))

    @strawberry.field(description="A service by id.", metadata=binds(services.get_service))
    async def service(self, info: strawberry.Info, id: Long) -> Service:
        found: Any = (await services.get_service(loaders(info).ctx, {"service_id": id})).service
        return found

    @strawberry.field(description="A state of a service.", metadata=binds(states.get_state))
    async def state(self, info: strawberry.Info, service_id: Long, id: int) -> State:
        found: Any = (await states.get_state(loaders(info).ctx, {"service_id": service_id, "state_id": id})).state
        return found

    @strawberry.field(description="A task of a service.", metadata=binds(tasks.get_task))
    async def task(self, info: strawberry.Info, service_id: Long, id: int) -> Task:
        found: Any = (await tasks.get_task(loaders(info).ctx, {"service_id": service_id, "task_id": id})).task
        return found

    @strawberry.field(
        description="Services started under a contact key and not yet associated with a customer.",
        metadata=binds(services.anonymous_services),
    )
    async def anonymous_services(
        self,
        info: strawberry.Info,
        contact_key: str,
        status: Status = Status.ALL,
        types: _TYPES = None,
        started_from: str | None = None,
        started_to: str | None = None,
        completed_from: str | None = None,
        completed_to: str | None = None,
        first: FIRST = None,
        offset: OFFSET = 0,
    ) -> list[Service]:
        service_filter = service_filter_of(status, types, started_from, started_to, completed_from, completed_to)
        found = loaders(info)
        trees = await services.anonymous_services(found.ctx, {"contact_key": contact_key, "filter": service_filter})
        trees = page(trees, first, offset, found.settings.graphql_max_list)
        found.charge(len(trees))
        return [t.service for t in trees]  # type: ignore[misc]

    @strawberry.field(description="An interaction by its id.", metadata=binds(interactions.get_interaction))
    async def interaction(self, info: strawberry.Info, id: str) -> Interaction:
        return Interaction.of(await interactions.get_interaction(loaders(info).ctx, {"interaction_id": id}))

    @strawberry.field(
        description="The server status, as GET /server/status shows it.", metadata=binds(system.server_status)
    )
    async def server_status(self, info: strawberry.Info) -> JSON:
        return JSON(await system.server_status(loaders(info).ctx, {}))
