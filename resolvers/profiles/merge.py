"""Merge Customer Profile: everything of the source customer moves to the destination, then the
source is deleted, in one transaction.

- Attributes: where both have one, the kept side's values come first (the destination's, or the
  source's with `keep_uniq_from_src`) and the other side's values follow unless equal
  (case-sensitive); an attribute only the source has is copied.
- Extensions: single-valued (and classifier) records: the destination's are kept unless it has
  none or `keep_uniq_from_src`. Multi-valued records are copied; where a source record collides with
  a destination record on unique attributes, `keep_uniq_from_src` decides which stays.
- Services and interactions move to the destination; with `keep_active_service_only`, completed
  services of the source are deleted instead (their interactions move all the same).
"""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import model_validator

from contextgraph.resolvers.context import Context
from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.extensions.values import extension_values, write_extensions
from contextgraph.resolvers.journeys.records import delete_services, require_customer
from contextgraph.resolvers.metadata.extension_schema import ExtensionSchema
from contextgraph.resolvers.operation import Input, checked, operation
from contextgraph.resolvers.profiles.identification import reindex
from contextgraph.resolvers.profiles.profiles import remove_customer
from contextgraph.resolvers.store.reader import InTransaction
from contextgraph.resolvers.store.tables import customer_t, interaction_t, service_t
from contextgraph.resolvers.values import Id, flag, require_object
from contextgraph.resolvers.versions import touch_customer


def merge_attributes(kept: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    merged = dict(kept)
    for name, value in other.items():
        if name not in merged:
            merged[name] = value
            continue
        first = merged[name] if isinstance(merged[name], list) else [merged[name]]
        extra = [v for v in (value if isinstance(value, list) else [value]) if v not in first]
        if extra:
            merged[name] = first + extra
    return merged


def _collides(schema: ExtensionSchema, a: dict[str, Any], b: dict[str, Any]) -> bool:
    return any(
        all(a.get(n) == b.get(n) for n in group) and any(a.get(n) is not None for n in group) for group in schema.unique
    )


def merge_records(
    schema: ExtensionSchema, dst: list[dict[str, Any]], src: list[dict[str, Any]], keep_src: bool
) -> list[dict[str, Any]]:
    if not schema.multi:
        return src if (keep_src or not dst) else dst
    result = list(dst)
    for record in src:
        clashes = [r for r in result if _collides(schema, r, record)]
        if clashes and not keep_src:
            continue
        result = [r for r in result if r not in clashes] + [record]
    return result


class MergeOptions(Input):
    """The body of Merge Customer Profile."""

    keep_uniq_from_src: Annotated[bool, checked(flag)] = False
    keep_active_service_only: Annotated[bool, checked(flag)] = False

    @model_validator(mode="before")
    @classmethod
    def _known(cls, value: Any) -> Any:
        body = require_object(value if value is not None else {})
        unknown = set(body) - {"keep_uniq_from_src", "keep_active_service_only"}
        if unknown:
            raise BadParameter(sorted(unknown)[0], "not a parameter of Merge Customer Profile")
        return body


class MergeProfiles(Input):
    customer_id: Id
    source_id: Id
    options: MergeOptions = MergeOptions()


@operation("mergeProfiles", tasks=("UCS.Customer.mergeProfile",), input=MergeProfiles)
async def merge_profiles(ctx: Context, input: MergeProfiles) -> None:
    """Merge the source profile into the customer's, then delete the source."""
    customer_id, source_id = input.customer_id, input.source_id
    keep_src, active_only = input.options.keep_uniq_from_src, input.options.keep_active_service_only
    if customer_id == source_id:
        raise BadParameter("src_id", "a profile cannot be merged into itself")
    schemas = ctx.metadata.of_kind("profile")
    async with ctx.write() as conn:
        for cid in sorted((customer_id, source_id)):  # one lock order, so two merges cannot deadlock
            await require_customer(conn, cid, lock=True)
        await touch_customer(ctx, conn, customer_id)  # after both locks: one lock order
        query = sa.select(customer_t.c.id, customer_t.c.attributes).where(customer_t.c.id.in_([customer_id, source_id]))
        rows = {r.id: r.attributes for r in await conn.execute(query)}
        dst, src = rows[customer_id], rows[source_id]
        attributes = merge_attributes(src, dst) if keep_src else merge_attributes(dst, src)

        values = await extension_values(InTransaction(conn), schemas, [customer_id, source_id])
        merged = {}
        for schema in schemas:
            theirs = _as_list(values.get(source_id, {}).get(schema.name))
            if theirs:
                ours = _as_list(values.get(customer_id, {}).get(schema.name))
                merged[schema] = merge_records(schema, ours, theirs, keep_src)

        services = await conn.execute(
            sa.select(service_t.c.id, service_t.c.completed_ms).where(service_t.c.customer_id == source_id)
        )
        completed = [r.id for r in services if r.completed_ms is not None]
        if active_only:
            await delete_services(conn, completed)
        moved = sa.update(service_t).where(service_t.c.customer_id == source_id)
        await conn.execute(moved.values(customer_id=customer_id, version=service_t.c.version + 1))
        moved = sa.update(interaction_t).where(interaction_t.c.customer_id == source_id)
        await conn.execute(moved.values(customer_id=customer_id))
        await remove_customer(conn, source_id)
        await conn.execute(sa.update(customer_t).where(customer_t.c.id == customer_id).values(attributes=attributes))
        await write_extensions(conn, customer_id, merged)
        await reindex(ctx, conn, [customer_id])


def _as_list(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
