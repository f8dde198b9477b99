"""Batched reads for GraphQL DataLoaders: many parents in, one query, results in key order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from contextgraph.resolvers import interactions
from contextgraph.resolvers.context import Context
from contextgraph.resolvers.extensions.values import records_by_schema
from contextgraph.resolvers.interactions import Interaction
from contextgraph.resolvers.journeys import records as journeys
from contextgraph.resolvers.journeys.records import ServiceRecord, StateRecord, Status, TaskRecord
from contextgraph.resolvers.journeys.services import ServiceFilter, select_services
from contextgraph.resolvers.metadata.extension_schema import ExtensionSchema
from contextgraph.resolvers.profiles.profiles import get_profiles
from contextgraph.resolvers.store.tables import service_t


async def services_of_customers(
    ctx: Context, customer_ids: Sequence[str], service_filter: ServiceFilter
) -> list[list[ServiceRecord]]:
    async with ctx.read(snapshot=False) as conn:
        found = await select_services(conn, [service_t.c.customer_id.in_(list(customer_ids))], service_filter)
    grouped: dict[str | None, list[ServiceRecord]] = {}
    for service in found:
        grouped.setdefault(service.customer_id, []).append(service)
    return [grouped.get(customer_id, []) for customer_id in customer_ids]


async def _in_key_order(ctx: Context, load: Callable[..., Awaitable[dict[int, Any]]], ids: Sequence[int],
                        *args: Any) -> list[Any]:  # fmt: skip
    async with ctx.read(snapshot=False) as conn:
        found = await load(conn, ids, *args)
    return [found.get(i, []) for i in ids]


async def states_of_services(
    ctx: Context, service_ids: Sequence[int], status: Status, types: Sequence[str] | None
) -> list[list[StateRecord]]:
    return await _in_key_order(ctx, journeys.states_of_services, service_ids, status, types)


async def tasks_of_services(
    ctx: Context, service_ids: Sequence[int], status: Status, types: Sequence[str] | None
) -> list[list[TaskRecord]]:
    return await _in_key_order(ctx, journeys.tasks_of_services, service_ids, status, types)


async def tasks_of_states(
    ctx: Context, state_ids: Sequence[int], status: Status, types: Sequence[str] | None
) -> list[list[TaskRecord]]:
    return await _in_key_order(ctx, journeys.tasks_of_states, state_ids, status, types)


async def profiles(ctx: Context, customer_ids: Sequence[str]) -> list[dict[str, Any] | None]:
    async with ctx.read(snapshot=False) as conn:
        found = await get_profiles(conn, list(customer_ids))
    return [found.get(i) for i in customer_ids]


async def services(ctx: Context, service_ids: Sequence[int]) -> list[ServiceRecord | None]:
    async with ctx.read(snapshot=False) as conn:
        found = await journeys.services_by_ids(conn, service_ids)
    return [found.get(i) for i in service_ids]


async def extension_records(ctx: Context, keys: Sequence[tuple[ExtensionSchema, str]]) -> list[Any]:
    """For each (schema, owner id): the record (single-valued; None if absent) or the list of records."""
    schemas = list({schema.id: schema for schema, _ in keys}.values())
    async with ctx.read(snapshot=False) as conn:
        found = await records_by_schema(conn, schemas, [owner for _, owner in keys])
    return [found.get((schema.id, owner), []) if schema.multi else found.get((schema.id, owner))
            for schema, owner in keys]  # fmt: skip


async def interactions_of_customers(ctx: Context, customer_ids: Sequence[str]) -> list[list[Interaction]]:
    async with ctx.read(snapshot=False) as conn:
        found = await interactions.interactions_of_customers(conn, customer_ids)
    return [found.get(i, []) for i in customer_ids]


async def interactions_of_services(ctx: Context, service_ids: Sequence[int]) -> list[list[Interaction]]:
    async with ctx.read(snapshot=False) as conn:
        found = await interactions.interactions_of_services(conn, service_ids)
    return [found.get(i, []) for i in service_ids]
