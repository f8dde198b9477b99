"""The journeys' part of the read path: services, states and tasks loaded for many parents at once,
one statement per level (constant SQL text: ids and types are list parameters), each parent's page
cut in SQL. REST and GraphQL read a tree through these, in one read session (store/reader.py).

    await states_of_services(rows, [1, 2], Status.ACTIVE, page=Page(first=10))
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from contextgraph.resolvers.errors import not_found
from contextgraph.resolvers.journeys.query import ServiceFilter
from contextgraph.resolvers.journeys.records import (
    ServiceRecord,
    StateRecord,
    Status,
    TaskRecord,
    records,
    select_records,
)
from contextgraph.resolvers.paging import Keyset, Page
from contextgraph.resolvers.store.reader import Rows
from contextgraph.resolvers.store.statements import Statement, any_of
from contextgraph.resolvers.store.tables import customer_t, service_t, state_t, task_t

R = TypeVar("R", ServiceRecord, StateRecord, TaskRecord)
_TABLE: dict[type, sa.Table] = {ServiceRecord: service_t, StateRecord: state_t, TaskRecord: task_t}
# The shape of a level's statement: (record, parent column, status, typed, filter bounds, paging):
# paging is None, "offset", or the keyset's bounds and direction ("after", "before", "desc").
Shape = tuple[type, str, Status, bool, tuple[str, ...], tuple[str, ...] | None]
_STATEMENTS: dict[Shape, Statement] = {}


def _statement(shape: Shape) -> Statement:
    """The statement of one shape, built once: parents `ids`, `types`, bounds by name, page `skip`/`count`
    (offset pages) or `after`/`before`/`count` (keyset pages, read in id order or, for `last`, backwards).

    An unpaged statement answers its rows ordered by (parent, id), as the (parent, id) index holds
    them: each parent's children in id order, which is all `_children` keeps, and SQLite sorts
    nothing (ordered by id alone, a tree's 600 tasks went through a temporary B-tree, a third of
    the statement's time). A paged statement reads each parent's page through the (parent, id)
    index — on PostgreSQL a LATERAL subquery per parent, on SQLite a correlated one — so a page
    costs its rows, never the parent's whole list (a window over every child cost twice as much on
    a 600-task tree).
    """
    if shape not in _STATEMENTS:
        cls, parent_name, status, typed, bounds, paged = shape
        table = _TABLE[cls]

        def cut(query: sa.Select[Any], of: sa.FromClause) -> sa.Select[Any]:
            """One parent's page: by offset, or by keyset (ids after/before the cursors)."""
            assert paged is not None
            if paged == ("offset",):
                return (
                    query.order_by(of.c.id)
                    .limit(sa.bindparam("count", type_=sa.Integer))
                    .offset(sa.bindparam("skip", type_=sa.Integer))
                )
            if "after" in paged:
                query = query.where(of.c.id > sa.bindparam("after", type_=sa.BigInteger))
            if "before" in paged:
                query = query.where(of.c.id < sa.bindparam("before", type_=sa.BigInteger))
            order = of.c.id.desc() if "desc" in paged else of.c.id
            return query.order_by(order).limit(sa.bindparam("count", type_=sa.Integer))

        def filtered(query: sa.Select[Any], of: sa.FromClause, dialect: str) -> sa.Select[Any]:
            if parent_name == "contact_key":  # anonymous: no customer associated yet
                query = query.where(of.c.customer_id.is_(None))
            if status is Status.ACTIVE:
                query = query.where(of.c.completed_ms.is_(None))
            elif status is Status.COMPLETED:
                query = query.where(of.c.completed_ms.is_not(None))
            if typed:
                query = query.where(any_of(dialect, of.c.type_key, "types"))
            for bound in bounds:  # started_from: started_ms >= :started_from, started_to: < …
                column, value = of.c[bound.rsplit("_", 1)[0] + "_ms"], sa.bindparam(bound, type_=sa.BigInteger)
                query = query.where(column >= value if bound.endswith("_from") else column < value)
            return query

        def build(dialect: str) -> sa.Select[Any]:
            parent = table.c[parent_name]
            if not paged:  # each parent's rows in id order, parent after parent, as its index holds them
                query = select_records(cls).where(any_of(dialect, parent, "ids"))
                return filtered(query, table, dialect).order_by(parent, table.c.id)
            if dialect == "postgresql":
                ids = sa.func.unnest(sa.bindparam("ids", type_=postgresql.ARRAY(parent.type)))
                parents = ids.table_valued("value").render_derived(name="p")
                page = cut(
                    filtered(select_records(cls).where(parent == parents.c.value), table, dialect), table
                ).lateral("page")
                return sa.select(*page.c).select_from(parents.join(page, sa.true())).order_by(page.c.id)
            parents = sa.func.json_each(sa.bindparam("ids", type_=sa.String)).table_valued("value").alias("p")
            inner = table.alias("inner")
            page_ids = cut(
                filtered(sa.select(inner.c.id).where(inner.c[parent_name] == parents.c.value), inner, dialect), inner
            )
            return select_records(cls).select_from(parents.join(table, table.c.id.in_(page_ids))).order_by(table.c.id)

        _STATEMENTS[shape] = Statement(build)
    return _STATEMENTS[shape]


async def _children(
    rows: Rows,
    cls: type[R],
    parent: str,
    parent_ids: Sequence[Any],
    status: Status,
    types: Sequence[str] | None,
    page: Page | Keyset | None,
    **bounds: int | None,
) -> dict[Any, list[R]]:
    grouped: dict[Any, list[R]] = defaultdict(list)
    if not parent_ids:
        return grouped
    given = {name: value for name, value in bounds.items() if value is not None}
    params: dict[str, Any] = {"ids": list(dict.fromkeys(parent_ids)), **given}
    paging: tuple[str, ...] | None = None
    if isinstance(page, Page):
        paging, params["skip"], params["count"] = ("offset",), page.skip, page.upto - page.skip
    elif page is not None:  # a keyset: one row more than the page tells whether there are more
        keys = {"after": page.after, "before": page.before}
        params |= {k: v for k, v in keys.items() if v is not None} | {"count": page.size + 1}
        paging = tuple(k for k, v in keys.items() if v is not None) + (("desc",) if page.backward else ())
    shape = (cls, parent, status, bool(types), tuple(sorted(given)), paging)
    if types:
        params["types"] = [str(t) for t in types]
    for record in records(cls, await rows.fetch(_statement(shape), **params)):
        grouped[getattr(record, parent)].append(record)
    return grouped


async def services_of_customers(
    rows: Rows, customer_ids: Sequence[str], service_filter: ServiceFilter, page: Page | Keyset | None = None
) -> dict[str, list[ServiceRecord]]:
    f = service_filter
    return await _children(
        rows,
        ServiceRecord,
        "customer_id",
        customer_ids,
        f.status,
        f.service_types,
        page,
        started_from=f.started_from,
        started_to=f.started_to,
        completed_from=f.completed_from,
        completed_to=f.completed_to,
    )


async def states_of_services(
    rows: Rows,
    service_ids: Sequence[int],
    status: Status = Status.ALL,
    types: Sequence[str] | None = None,
    page: Page | Keyset | None = None,
) -> dict[int, list[StateRecord]]:
    return await _children(rows, StateRecord, "service_id", service_ids, status, types, page)


async def tasks_of_services(
    rows: Rows,
    service_ids: Sequence[int],
    status: Status = Status.ALL,
    types: Sequence[str] | None = None,
    page: Page | Keyset | None = None,
) -> dict[int, list[TaskRecord]]:
    return await _children(rows, TaskRecord, "service_id", service_ids, status, types, page)


async def tasks_of_states(
    rows: Rows,
    state_ids: Sequence[int],
    status: Status = Status.ALL,
    types: Sequence[str] | None = None,
    page: Page | Keyset | None = None,
) -> dict[int, list[TaskRecord]]:
    return await _children(rows, TaskRecord, "state_id", state_ids, status, types, page)


async def anonymous_services(
    rows: Rows, contact_key: str, service_filter: ServiceFilter, page: Page | Keyset | None = None
) -> list[ServiceRecord]:
    """Services started under a contact key that no customer has been associated with yet."""
    found = await _children(
        rows,
        ServiceRecord,
        "contact_key",
        [contact_key],
        service_filter.status,
        service_filter.service_types,
        page,
        started_from=service_filter.started_from,
        started_to=service_filter.started_to,
        completed_from=service_filter.completed_from,
        completed_to=service_filter.completed_to,
    )
    return found.get(contact_key, [])


def _by_ids(cls: type[R]) -> Statement:
    return Statement(lambda d: select_records(cls).where(any_of(d, _TABLE[cls].c.id, "ids")))


_BY_IDS: dict[type, Statement] = {
    ServiceRecord: _by_ids(ServiceRecord),
    StateRecord: _by_ids(StateRecord),
    TaskRecord: _by_ids(TaskRecord),
}


async def by_ids(rows: Rows, cls: type[R], ids: Sequence[int]) -> dict[int, R]:
    """Services, states or tasks by id (the ids outside their column's range name nothing)."""
    bits = 63 if cls is ServiceRecord else 31
    wanted = [i for i in dict.fromkeys(ids) if 0 <= i < 2**bits]
    if not wanted:
        return {}
    return {r.id: r for r in records(cls, await rows.fetch(_BY_IDS[cls], ids=wanted))}


_CUSTOMER = Statement(lambda d: sa.select(customer_t.c.id).where(customer_t.c.id == sa.bindparam("id")))


async def require_customer(rows: Rows, customer_id: str) -> None:
    """404 unless the customer exists."""
    if not await rows.fetch(_CUSTOMER, id=customer_id):
        raise not_found("customer", customer_id)


async def one(rows: Rows, cls: type[R], row_id: int, service_id: int | None = None) -> R:
    """One service, or one state or task of a service: 404 unless it exists."""
    found = (await by_ids(rows, cls, [row_id])).get(row_id)
    if cls is ServiceRecord:
        if found is None:
            raise not_found("service", row_id)
        return found
    if found is None or getattr(found, "service_id", None) != service_id:  # or a state or task of another service
        kind = "state" if cls is StateRecord else "task"
        raise not_found(kind, f"{row_id}' of service '{service_id}")
    return found
