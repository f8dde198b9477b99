"""Reading interactions: by id, and the lists of many customers or services at once — one statement
for any number of parents, oldest first (start time, then id), each parent's page cut in SQL: an
offset page (`Page`), or a keyset page after and/or before an interaction (`Keyset`, connections).

A keyset cursor names an interaction; its (start time, id) is read in the same statement, so a page
stays put while interactions are recorded before or after it (a cursor naming no interaction gives
an empty page). An interaction belongs to a service when it was recorded with that service id, or
when the service or one of its states or tasks names it in an event (the link rows).

    await interactions_of_services(rows, [7, 8], Keyset(first=10, after="chat-42"))
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from contextgraph.resolvers.paging import Keyset, Page
from contextgraph.resolvers.store.reader import Rows
from contextgraph.resolvers.store.statements import Statement, any_of
from contextgraph.resolvers.store.tables import interaction_t, read_json, service_interaction_t

CONTENTS = ("text", "structured_text", "binary_content")


@dataclass
class Interaction:
    id: str
    customer_id: str
    service_id: int | None
    fields: dict[str, Any]
    contents: frozenset[str]  # which of CONTENTS it has


def _listed(of: sa.FromClause) -> list[sa.ColumnElement[Any]]:
    return [
        of.c.id,
        of.c.customer_id,
        of.c.service_id,
        read_json(of.c.fields),
        (of.c.text.is_not(None)).label("has_text"),
        (of.c.structured_text.is_not(None)).label("has_structured_text"),
        (of.c.binary_content.is_not(None)).label("has_binary_content"),
    ]


def _interaction(row: Sequence[Any]) -> Interaction:
    contents = frozenset(name for name, has in zip(CONTENTS, row[4:7], strict=True) if has)
    return Interaction(row[0], row[1], row[2], row[3], contents)


Owner = Literal["customer", "service"]
# A list statement's shape: whose lists, and its paging: None (all), ("offset",), or the keyset's
# bounds and direction ("after", "before", "desc").
_STATEMENTS: dict[tuple[Owner, tuple[str, ...] | None], Statement] = {}


def _owned(of: sa.FromClause, owner: Owner, parent: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """`of`'s interactions belong to the parent: a customer's, or a service's (recorded with it, or linked)."""
    if owner == "customer":
        return of.c.customer_id == parent
    recorded = interaction_t.alias("recorded")
    linked = sa.union(  # the parent comes from the enclosing statement
        sa.select(recorded.c.id).where(recorded.c.service_id == parent).correlate_except(recorded),
        sa.select(service_interaction_t.c.interaction_id)
        .where(service_interaction_t.c.service_id == parent)
        .correlate_except(service_interaction_t),
    )
    return of.c.id.in_(linked)


def _beyond(of: sa.FromClause, name: str) -> sa.ColumnElement[bool]:
    """Interactions after (`name` "after") or before ("before") the one the parameter `name` names,
    in (start time, id) order: one row-value comparison, a range of the (parent, start, id) index."""
    cursor = interaction_t.alias(f"{name}_cursor")
    key = sa.bindparam(name, type_=sa.String)
    at = sa.select(cursor.c.start_ms).where(cursor.c.id == key).scalar_subquery()
    mine, theirs = sa.tuple_(of.c.start_ms, of.c.id), sa.tuple_(at, key)
    return mine > theirs if name == "after" else mine < theirs


def _statement(owner: Owner, paging: tuple[str, ...] | None) -> Statement:
    """Parents `ids` in, rows (parent, interaction…) out in (start time, id) order; each parent's list
    read through its own index (a LATERAL subquery per parent on PostgreSQL, a correlated one on
    SQLite), cut by `skip`/`count` or by `after`/`before`/`count`."""
    shape = (owner, paging)
    if shape not in _STATEMENTS:

        def cut(query: sa.Select[Any], of: sa.FromClause) -> sa.Select[Any]:
            if paging is None:
                return query
            if paging == ("offset",):
                return (
                    query.order_by(of.c.start_ms, of.c.id)
                    .limit(sa.bindparam("count", type_=sa.Integer))
                    .offset(sa.bindparam("skip", type_=sa.Integer))
                )
            for bound in ("after", "before"):
                if bound in paging:
                    query = query.where(_beyond(of, bound))
            order = (of.c.start_ms.desc(), of.c.id.desc()) if "desc" in paging else (of.c.start_ms, of.c.id)
            return query.order_by(*order).limit(sa.bindparam("count", type_=sa.Integer))

        def build(dialect: str) -> sa.Select[Any]:
            parent_type = interaction_t.c.customer_id.type if owner == "customer" else sa.BigInteger()
            if dialect == "postgresql":
                ids = sa.func.unnest(sa.bindparam("ids", type_=postgresql.ARRAY(parent_type)))
                parents = ids.table_valued("value").render_derived(name="p")
                inner = sa.select(*_listed(interaction_t), interaction_t.c.start_ms)
                page = cut(inner.where(_owned(interaction_t, owner, parents.c.value)), interaction_t).lateral("page")
                shown = [c for c in page.c if c.name != "start_ms"]
                return (
                    sa.select(parents.c.value, *shown)
                    .select_from(parents.join(page, sa.true()))
                    .order_by(page.c.start_ms, page.c.id)
                )
            parents = sa.func.json_each(sa.bindparam("ids", type_=sa.String)).table_valued("value").alias("p")
            inner_t = interaction_t.alias("inner")
            page_ids = cut(sa.select(inner_t.c.id).where(_owned(inner_t, owner, parents.c.value)), inner_t)
            return (
                sa.select(parents.c.value, *_listed(interaction_t))
                .select_from(parents.join(interaction_t, interaction_t.c.id.in_(page_ids)))
                .order_by(interaction_t.c.start_ms, interaction_t.c.id)
            )

        _STATEMENTS[shape] = Statement(build)
    return _STATEMENTS[shape]


async def _lists(rows: Rows, owner: Owner, parent_ids: Sequence[Any], page: Page | Keyset | None) -> dict[Any, Any]:
    grouped: dict[Any, list[Interaction]] = defaultdict(list)
    if not parent_ids:
        return grouped
    params: dict[str, Any] = {"ids": list(dict.fromkeys(parent_ids))}
    paging: tuple[str, ...] | None = None
    if isinstance(page, Page):
        paging, params["skip"], params["count"] = ("offset",), page.skip, page.upto - page.skip
    elif page is not None:  # a keyset: one row more than the page tells whether there are more
        keys = {"after": page.after, "before": page.before}
        params |= {k: str(v) for k, v in keys.items() if v is not None} | {"count": page.size + 1}
        paging = tuple(k for k, v in keys.items() if v is not None) + (("desc",) if page.backward else ())
    for row in await rows.fetch(_statement(owner, paging), **params):
        grouped[row[0]].append(_interaction(row[1:]))
    return grouped


async def interactions_of_customers(
    rows: Rows, customer_ids: Sequence[str], page: Page | Keyset | None = None
) -> dict[str, list[Interaction]]:
    return await _lists(rows, "customer", customer_ids, page)


async def interactions_of_services(
    rows: Rows, service_ids: Sequence[int], page: Page | Keyset | None = None
) -> dict[int, list[Interaction]]:
    """Recorded with the service, or named by its events: one statement for any number of services."""
    return await _lists(rows, "service", service_ids, page)


_BY_IDS = Statement(lambda d: sa.select(*_listed(interaction_t)).where(any_of(d, interaction_t.c.id, "ids")))


async def get_interactions(rows: Rows, interaction_ids: Sequence[str]) -> dict[str, Interaction]:
    return {row[0]: _interaction(row) for row in await rows.fetch(_BY_IDS, ids=list(interaction_ids))}
