"""The read path as GraphQL levels use it: many parents in, one statement, the values in key order,
each parent's page cut in SQL; every level of a request in the request's one read session (one
snapshot), as the REST reads of the same tree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contextgraph.resolvers import interaction_reads
from contextgraph.resolvers.context import Context
from contextgraph.resolvers.extensions.values import records_of
from contextgraph.resolvers.interaction_reads import Interaction
from contextgraph.resolvers.journeys import loads
from contextgraph.resolvers.journeys.query import ServiceFilter
from contextgraph.resolvers.journeys.records import ServiceRecord, StateRecord, Status, TaskRecord
from contextgraph.resolvers.metadata.extension_schema import ExtensionSchema
from contextgraph.resolvers.paging import Keyset, Page
from contextgraph.resolvers.profiles.profiles import get_profiles


async def services_of_customers(
    ctx: Context, customer_ids: Sequence[str], service_filter: ServiceFilter, page: Page | Keyset
) -> list[list[ServiceRecord]]:
    found = await loads.services_of_customers(await ctx.rows(), customer_ids, service_filter, page)
    return [found.get(i, []) for i in customer_ids]


async def states_of_services(
    ctx: Context, service_ids: Sequence[int], status: Status, types: Sequence[str] | None, page: Page | Keyset
) -> list[list[StateRecord]]:
    found = await loads.states_of_services(await ctx.rows(), service_ids, status, types, page)
    return [found.get(i, []) for i in service_ids]


async def tasks_of_services(
    ctx: Context, service_ids: Sequence[int], status: Status, types: Sequence[str] | None, page: Page | Keyset
) -> list[list[TaskRecord]]:
    found = await loads.tasks_of_services(await ctx.rows(), service_ids, status, types, page)
    return [found.get(i, []) for i in service_ids]


async def tasks_of_states(
    ctx: Context, state_ids: Sequence[int], status: Status, types: Sequence[str] | None, page: Page | Keyset
) -> list[list[TaskRecord]]:
    found = await loads.tasks_of_states(await ctx.rows(), state_ids, status, types, page)
    return [found.get(i, []) for i in state_ids]


async def profiles(ctx: Context, customer_ids: Sequence[str]) -> list[dict[str, Any] | None]:
    found = await get_profiles(await ctx.rows(), list(customer_ids))
    return [found.get(i) for i in customer_ids]


async def services(ctx: Context, service_ids: Sequence[int]) -> list[ServiceRecord | None]:
    found = await loads.by_ids(await ctx.rows(), ServiceRecord, service_ids)
    return [found.get(i) for i in service_ids]


async def states(ctx: Context, state_ids: Sequence[int]) -> list[StateRecord | None]:
    found = await loads.by_ids(await ctx.rows(), StateRecord, state_ids)
    return [found.get(i) for i in state_ids]


async def tasks(ctx: Context, task_ids: Sequence[int]) -> list[TaskRecord | None]:
    found = await loads.by_ids(await ctx.rows(), TaskRecord, task_ids)
    return [found.get(i) for i in task_ids]


async def interactions_by_id(ctx: Context, interaction_ids: Sequence[str]) -> list[Interaction | None]:
    found = await interaction_reads.get_interactions(await ctx.rows(), interaction_ids)
    return [found.get(i) for i in interaction_ids]


async def extension_records(ctx: Context, keys: Sequence[tuple[ExtensionSchema, str]]) -> list[Any]:
    """For each (schema, owner id): the record (single-valued; None if absent) or the list of records."""
    found = await records_of(await ctx.rows(), keys)
    return [
        found.get((schema.id, owner), []) if schema.multi else found.get((schema.id, owner)) for schema, owner in keys
    ]


async def interactions_of_customers(
    ctx: Context, customer_ids: Sequence[str], page: Page | Keyset
) -> list[list[Interaction]]:
    found = await interaction_reads.interactions_of_customers(await ctx.rows(), customer_ids, page)
    return [found.get(i, []) for i in customer_ids]


async def interactions_of_services(
    ctx: Context, service_ids: Sequence[int], page: Page | Keyset
) -> list[list[Interaction]]:
    found = await interaction_reads.interactions_of_services(await ctx.rows(), service_ids, page)
    return [found.get(i, []) for i in service_ids]
