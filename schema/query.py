"""Query roots: a customer, a service, a state, a task, anonymous services, an interaction, the
server status; each bound to its catalog operation. Each takes its object's id in either form: the
global id an answer's `id` gives, or the document's id (schema/relay.py).
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from contextgraph.resolvers import interactions, system
from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.journeys import services, states, tasks
from contextgraph.resolvers.journeys.records import Status
from contextgraph.resolvers.profiles import profiles
from contextgraph.schema import relay
from contextgraph.schema.batched import keyset_of, keyset_size
from contextgraph.schema.binding import SIZE, binds
from contextgraph.schema.loaders import loaders
from contextgraph.schema.types import (
    _TYPES,
    AFTER,
    BEFORE,
    FIRST,
    LAST,
    OFFSET,
    Customer,
    Interaction,
    Service,
    ServiceConnection,
    State,
    Task,
    service_connection,
    service_filter_of,
)


def _service_page_size(arguments: dict[str, Any], cap: int) -> int | None:
    """How many services a page of anonymousServicesConnection may hold (the guard's cost)."""
    return keyset_size(arguments, "Service", cap)


@strawberry.type
class Query:
    @strawberry.field(
        description="A customer by id (global or customerId), with their services a level below.",
        metadata=binds(profiles.get_profile),
    )
    async def customer(self, info: strawberry.Info, id: strawberry.ID) -> Customer:
        parts = relay.either(id, "Customer")
        customer_id = parts[0] if parts else str(id)
        return Customer.of(await profiles.get_profile(loaders(info).ctx, {"customer_id": customer_id}))

    @strawberry.field(description="A service by id (global or serviceId).", metadata=binds(services.get_service))
    async def service(self, info: strawberry.Info, id: strawberry.ID) -> Service:
        service_id = relay.number(id, "Service")[0]
        found: Any = (await services.get_service(loaders(info).ctx, {"service_id": service_id})).service
        return found

    @strawberry.field(
        description="A state by its global id, or by stateId with its serviceId.", metadata=binds(states.get_state)
    )
    async def state(self, info: strawberry.Info, id: strawberry.ID, service_id: strawberry.ID | None = None) -> State:
        service_id_, state_id = _of_service(id, service_id, "State")
        found: Any = (
            await states.get_state(loaders(info).ctx, {"service_id": service_id_, "state_id": state_id})
        ).state
        return found

    @strawberry.field(
        description="A task by its global id, or by taskId with its serviceId.", metadata=binds(tasks.get_task)
    )
    async def task(self, info: strawberry.Info, id: strawberry.ID, service_id: strawberry.ID | None = None) -> Task:
        service_id_, task_id = _of_service(id, service_id, "Task")
        found: Any = (await tasks.get_task(loaders(info).ctx, {"service_id": service_id_, "task_id": task_id})).task
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
        trees = await services.anonymous_services(
            found.ctx, {"contact_key": contact_key, "filter": service_filter, "page": found.page(first, offset)}
        )
        found.charge(len(trees))
        return [t.service for t in trees]  # type: ignore[misc]

    @strawberry.field(
        description="Services started under a contact key and not yet associated, a page at a time (Relay).",
        metadata={**binds(services.anonymous_services), SIZE: _service_page_size},
        graphql_type=ServiceConnection,
    )
    async def anonymous_services_connection(
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
        after: AFTER = None,
        last: LAST = None,
        before: BEFORE = None,
    ) -> Any:
        service_filter = service_filter_of(status, types, started_from, started_to, completed_from, completed_to)
        found = loaders(info)
        page = keyset_of(
            {"first": first, "after": after, "last": last, "before": before}, "Service", found.settings.graphql_max_list
        )
        trees = await services.anonymous_services(
            found.ctx, {"contact_key": contact_key, "filter": service_filter, "page": page}
        )
        connection = service_connection(page.cut([t.service for t in trees]))
        found.charge(len(connection.edges))
        return connection

    @strawberry.field(
        description="An interaction by its id (global or interactionId).", metadata=binds(interactions.get_interaction)
    )
    async def interaction(self, info: strawberry.Info, id: strawberry.ID) -> Interaction:
        parts = relay.either(id, "Interaction")
        interaction_id = parts[0] if parts else str(id)
        return Interaction.of(await interactions.get_interaction(loaders(info).ctx, {"interaction_id": interaction_id}))

    @strawberry.field(
        description="The server status, as GET /server/status shows it.", metadata=binds(system.server_status)
    )
    async def server_status(self, info: strawberry.Info) -> JSON:
        return JSON(await system.server_status(loaders(info).ctx, {}))


def _of_service(given: Any, service: Any, type_name: str) -> tuple[int, int]:
    """(service id, state or task id) from a global id (which names its service), or from the
    document's id and the service's (either form)."""
    parts = relay.number(given, type_name)
    service_id = relay.number(service, "Service", "serviceId")[0] if service is not None else None
    if len(parts) == 2:
        if service_id is not None and service_id != parts[0]:
            raise BadParameter("serviceId", f"the {type_name.lower()}'s global id names service {parts[0]}")
        return parts[0], parts[1]
    if service_id is None:
        raise BadParameter("serviceId", f"mandatory with a {type_name.lower()}'s own id (or give its global id)")
    return service_id, parts[0]
