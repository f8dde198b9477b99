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
from contextgraph.resolvers.journeys import records as journeys
from contextgraph.resolvers.journeys.events import (
    SERVICE_END,
    SERVICE_START,
    SERVICE_UPDATE,
    START_LIFTED,
    Event,
    parse_event,
)
from contextgraph.resolvers.journeys.records import ServiceRecord, StateRecord, Status, TaskRecord, require_customer
from contextgraph.resolvers.metadata.extension_schema import ExtensionSchema
from contextgraph.resolvers.store.tables import service_t


@dataclass(frozen=True)
class ServiceFilter:
    """The documented filters of "Query Services"; times are epoch milliseconds."""

    status: Status = Status.ALL
    service_types: Sequence[str] | None = None
    started_from: int | None = None
    started_to: int | None = None
    completed_from: int | None = None
    completed_to: int | None = None

    def clauses(self) -> list[Any]:
        c = service_t.c
        clauses = journeys.filters(service_t, self.status, self.service_types)
        bounds = ((c.started_ms, self.started_from, self.started_to),
                  (c.completed_ms, self.completed_from, self.completed_to))  # fmt: skip
        for column, low, high in bounds:
            if low is not None:
                clauses.append(column >= low)
            if high is not None:
                clauses.append(column < high)
        return clauses


@dataclass(frozen=True)
class Include:
    """Which nested collections to return with each service (all off by default, as documented)."""

    active_states: bool = False
    completed_states: bool = False
    active_tasks: bool = False
    completed_tasks: bool = False


@dataclass
class ServiceTree:
    """A service with the nested states and tasks a query asked for (None: not asked for)."""

    service: ServiceRecord
    states: list[StateRecord] | None = None
    tasks: list[TaskRecord] | None = None
    extensions: dict[str, Any] | None = None


# -- writes -----------------------------------------------------------------------------------
async def insert_service(conn: AsyncConnection, event: Event) -> int:
    """Start a service from a checked Service Start Event (shared with the composite start)."""
    customer_id = event.fields.get("customer_id")
    if customer_id is None and event.fields.get("contact_key") is None:
        raise BadParameter("contact_key", "mandatory when no customer_id is given")
    if customer_id is not None:
        await require_customer(conn, customer_id)
    return await journeys.insert_started(
        conn, "service", event, "service_type",
        customer_id=customer_id, contact_key=event.fields.get("contact_key"),
    )  # fmt: skip


async def start_service(ctx: Context, body: Any) -> int:
    event = parse_event(body, SERVICE_START, required=("service_type",))
    checked = check_extensions(ctx, "service", event.extensions)
    async with ctx.write() as conn:
        service_id = await insert_service(conn, event)
        await write_extensions(conn, service_id, checked)
    await ctx.live.publish("service", "started", service_id)
    return service_id


async def associate_service(ctx: Context, customer_id: str, service_id: int, body: Any) -> None:
    """Give the service to this customer (replacing any earlier one), updating start fields given."""
    # The start time stays: a timestamp in this body dates the association, not the start.
    event = parse_event(body if body is not None else {}, SERVICE_UPDATE, stamp=False)
    checked = check_extensions(ctx, "service", event.extensions, action="update")
    async with ctx.write() as conn:
        await require_customer(conn, customer_id)
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
    await ctx.live.publish("service", "associated", service_id)


async def complete_service(ctx: Context, service_id: int, body: Any) -> None:
    event = parse_event(body if body is not None else {}, SERVICE_END)
    checked = check_extensions(ctx, "service", event.extensions, action="update")
    async with ctx.write() as conn:
        service = await journeys.fetch_service(conn, service_id, lock=True)
        await journeys.complete(conn, "service", service, event)
        await write_extensions(conn, service_id, checked)
    await ctx.live.publish("service", "completed", service_id)


# -- queries ----------------------------------------------------------------------------------
async def load_trees(
    conn: AsyncConnection, services: list[ServiceRecord], include: Include,
    extensions: Sequence[ExtensionSchema] = (),
) -> list[ServiceTree]:  # fmt: skip
    """Nest the asked-for states, tasks and extensions: one query per collection, whatever the count."""
    trees = [ServiceTree(s) for s in services]
    ids = [s.id for s in services]
    if extensions:
        values = await extension_values(conn, extensions, ids)
        for tree in trees:
            tree.extensions = values.get(str(tree.service.id), {})
    state_status = Status.of(include.active_states, include.completed_states)
    task_status = Status.of(include.active_tasks, include.completed_tasks)
    if state_status is not None:
        states = await journeys.states_of_services(conn, ids, state_status)
        for tree in trees:
            tree.states = states.get(tree.service.id, [])
    if task_status is not None:
        tasks = await journeys.tasks_of_services(conn, ids, task_status)
        for tree in trees:
            tree.tasks = tasks.get(tree.service.id, [])
    return trees


async def get_service(
    ctx: Context, service_id: int, include: Include = Include(), extensions: Sequence[str] = ()
) -> ServiceTree:
    schemas = schemas_named(ctx.metadata, "service", extensions)
    if not schemas and include == Include():  # the service alone: one statement, no transaction
        async with ctx.server.operation():
            return ServiceTree(await journeys.read_service(ctx.db, service_id))
    async with ctx.read() as conn:
        service = await journeys.fetch_service(conn, service_id)
        return (await load_trees(conn, [service], include, schemas))[0]


async def select_services(
    conn: AsyncConnection, where: list[Any], service_filter: ServiceFilter
) -> list[ServiceRecord]:
    query = journeys.select_records(ServiceRecord).where(*where, *service_filter.clauses()).order_by(service_t.c.id)
    return journeys.records(ServiceRecord, await conn.execute(query))


async def customer_services(
    ctx: Context, customer_id: str, service_filter: ServiceFilter = ServiceFilter(),
    include: Include = Include(), extensions: Sequence[str] = (),
) -> list[ServiceTree]:  # fmt: skip
    """The services associated with a customer (404 when there is no such customer)."""
    schemas = schemas_named(ctx.metadata, "service", extensions)
    async with ctx.read() as conn:
        await require_customer(conn, customer_id)
        services = await select_services(conn, [service_t.c.customer_id == customer_id], service_filter)
        return await load_trees(conn, services, include, schemas)


async def anonymous_services(
    ctx: Context, contact_key: str, service_filter: ServiceFilter = ServiceFilter(),
    include: Include = Include(), extensions: Sequence[str] = (),
) -> list[ServiceTree]:  # fmt: skip
    """Services started under this contact key that no customer has been associated with yet."""
    schemas = schemas_named(ctx.metadata, "service", extensions)
    where = [service_t.c.contact_key == contact_key, service_t.c.customer_id.is_(None)]
    async with ctx.read() as conn:
        services = await select_services(conn, where, service_filter)
        return await load_trees(conn, services, include, schemas)
