"""Service operations: start, associate, complete, and the service queries with nested trees."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.context import Context
from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.extensions.values import check_extensions, extension_values, schemas_named, write_extensions
from contextgraph.resolvers.journeys import loads
from contextgraph.resolvers.journeys import records as journeys
from contextgraph.resolvers.journeys.events import START_LIFTED, EndEvent, Event, ServiceStartEvent, ServiceUpdateEvent
from contextgraph.resolvers.journeys.query import Include, Names, ServiceFilter, included_tasks
from contextgraph.resolvers.journeys.records import ServiceRecord, StateRecord, TaskRecord, require_customer
from contextgraph.resolvers.metadata.extension_schema import ExtensionSchema
from contextgraph.resolvers.operation import Input, operation
from contextgraph.resolvers.paging import Keyset, Page
from contextgraph.resolvers.store.reader import Rows
from contextgraph.resolvers.store.tables import service_t
from contextgraph.resolvers.values import Id, Long
from contextgraph.resolvers.versions import Journey, touch


@dataclass
class ServiceTree:
    """A service with the nested states and tasks a query asked for (None: not asked for)."""

    service: ServiceRecord
    states: list[StateRecord] | None = None
    tasks: list[TaskRecord] | None = None
    extensions: dict[str, Any] | None = None


class StartService(Input):
    body: ServiceStartEvent


class AssociateService(Input):
    customer_id: Id
    service_id: Long
    body: ServiceUpdateEvent


class CompleteService(Input):
    service_id: Long
    body: EndEvent


class ReadService(Input):
    service_id: Long
    include: Include = Include()
    extensions: Names = ()


class ReadCustomerServices(Input):
    customer_id: Id
    filter: ServiceFilter = ServiceFilter()
    include: Include = Include()
    extensions: Names = ()


class ReadAnonymousServices(Input):
    contact_key: str
    filter: ServiceFilter = ServiceFilter()
    include: Include = Include()
    extensions: Names = ()
    page: Page | Keyset | None = None  # GraphQL's pages (REST answers them all)


def _included(input: ReadService | ReadCustomerServices | ReadAnonymousServices) -> list[str]:
    include = input.include
    return included_tasks(
        "service", states=include.states is not None, tasks=include.tasks is not None, extensions=input.extensions
    )


# -- writes -----------------------------------------------------------------------------------
async def insert_service(conn: AsyncConnection, event: Event) -> int:
    """Start a service from a checked Service Start Event (shared with the composite start)."""
    customer_id = event.fields.get("customer_id")
    if customer_id is None and event.fields.get("contact_key") is None:
        raise BadParameter("contact_key", "mandatory when no customer_id is given")
    if customer_id is not None:
        await require_customer(conn, customer_id, keep=True)
    return await journeys.insert_started(
        conn,
        "service",
        event,
        "service_type",
        customer_id=customer_id,
        contact_key=event.fields.get("contact_key"),
    )


@operation("startService", tasks=("UCS.Service.startService",), input=StartService, replay=int)
async def start_service(ctx: Context, input: StartService) -> int:
    """Start a service (POST /services/start)."""
    event = input.body.event
    checked = check_extensions(ctx, "service", event.extensions)
    async with ctx.write() as conn:
        service_id = await insert_service(conn, event)
        await write_extensions(conn, service_id, checked)
        await ctx.publish(conn, "service", "started", service_id)
    return service_id


@operation("associateService", tasks=("UCS.Service.associateService",), input=AssociateService)
async def associate_service(ctx: Context, input: AssociateService) -> None:
    """Associate a service with a customer (POST /customers/{id}/services/{id}), replacing any earlier
    one and updating the start-event fields given."""
    # The start time stays: a timestamp in this body dates the association, not the start.
    customer_id, service_id, event = input.customer_id, input.service_id, input.body.event
    checked = check_extensions(ctx, "service", event.extensions, action="update")
    async with ctx.write() as conn:
        # The customer before the service, as a merge or delete takes them: no deadlock between them.
        await require_customer(conn, customer_id, keep=True)
        await touch(ctx, conn, Journey(service_id))
        service = await journeys.fetch_service(conn, service_id, lock=True)
        values: dict[str, Any] = {"customer_id": customer_id}
        update = event.without(START_LIFTED | {"timestamp"})
        if update:
            values["started"] = service.started | update
        if "service_type" in event.fields:
            values["type_value"] = event.fields["service_type"]
            values["type_key"] = journeys.type_key(event.fields["service_type"])
        if "est_duration" in event.fields:
            values["est_duration"] = event.fields["est_duration"]
        await conn.execute(sa.update(service_t).where(service_t.c.id == service_id).values(values))
        await journeys.link_interaction(conn, service_id, event)
        await write_extensions(conn, service_id, checked)
        await ctx.publish(conn, "service", "associated", service_id)


@operation("completeService", tasks=("UCS.Service.completeService",), input=CompleteService)
async def complete_service(ctx: Context, input: CompleteService) -> None:
    """Complete a service (POST /services/{id}/end)."""
    service_id, event = input.service_id, input.body.event
    checked = check_extensions(ctx, "service", event.extensions, action="update")
    async with ctx.write() as conn:
        await touch(ctx, conn, Journey(service_id))
        service = await journeys.fetch_service(conn, service_id, lock=True)
        await journeys.complete(conn, "service", service, event)
        await write_extensions(conn, service_id, checked)
        await ctx.publish(conn, "service", "completed", service_id)


# -- queries ----------------------------------------------------------------------------------
async def load_trees(
    rows: Rows, services: list[ServiceRecord], include: Include, extensions: Sequence[ExtensionSchema] = ()
) -> list[ServiceTree]:
    """Nest the asked-for states, tasks and extensions: one statement per collection, whatever the count."""
    trees = [ServiceTree(s) for s in services]
    ids = [s.id for s in services]
    if extensions:
        values = await extension_values(rows, extensions, ids)
        for tree in trees:
            tree.extensions = values.get(str(tree.service.id), {})
    if include.states is not None:
        states = await loads.states_of_services(rows, ids, include.states)
        for tree in trees:
            tree.states = states.get(tree.service.id, [])
    if include.tasks is not None:
        tasks = await loads.tasks_of_services(rows, ids, include.tasks)
        for tree in trees:
            tree.tasks = tasks.get(tree.service.id, [])
    return trees


@operation("readService", tasks=("UCS.Service.readService",), input=ReadService, more_tasks=_included)
async def get_service(ctx: Context, input: ReadService) -> ServiceTree:
    """A service by id, with the states, tasks and extensions asked for."""
    schemas = schemas_named(ctx.metadata, "service", input.extensions)
    alone = not schemas and input.include == Include()  # the service alone: one statement
    rows = await ctx.rows(alone=alone)
    service = await loads.one(rows, ServiceRecord, input.service_id)
    return (await load_trees(rows, [service], input.include, schemas))[0]


@operation("readCustomerServices", tasks=("UCS.Service.readService",), input=ReadCustomerServices, more_tasks=_included)
async def customer_services(ctx: Context, input: ReadCustomerServices) -> list[ServiceTree]:
    """The services associated with a customer (404 when there is no such customer)."""
    schemas = schemas_named(ctx.metadata, "service", input.extensions)
    rows = await ctx.rows()
    await loads.require_customer(rows, input.customer_id)
    services = (await loads.services_of_customers(rows, [input.customer_id], input.filter)).get(input.customer_id, [])
    return await load_trees(rows, services, input.include, schemas)


@operation(
    "readAnonymousServices", tasks=("UCS.Service.readService",), input=ReadAnonymousServices, more_tasks=_included
)
async def anonymous_services(ctx: Context, input: ReadAnonymousServices) -> list[ServiceTree]:
    """Services started under a contact key that no customer has been associated with yet."""
    schemas = schemas_named(ctx.metadata, "service", input.extensions)
    rows = await ctx.rows()
    services = await loads.anonymous_services(rows, input.contact_key, input.filter, input.page)
    return await load_trees(rows, services, input.include, schemas)
