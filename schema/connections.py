"""Relay connections: `edges { cursor node }` and `pageInfo`, one connection type per node type.

An edge is the node's own record (its cursor and node are computed from it, so a page makes no
object per edge); a cursor is the node's global id, so `after`/`before` are keys, cut in SQL
(resolvers/paging.Keyset). `sources` marks a type whose objects are the domain's records.

    ServiceConnection, service_connection = connection(Service, (ServiceRecord,), global_id)
    service_connection((records, has_previous, has_next))  # a ServiceConnection
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry

from contextgraph.schema.batched import COMPUTED
from contextgraph.schema.binding import SIZE


def sources(*classes: type) -> Any:
    """A type whose objects are the domain's records of `classes` (Strawberry's `is_type_of`)."""

    def mark(cls: type) -> type:
        cls.__sources__ = classes  # type: ignore[attr-defined]  # read by compiled plans (schema/internals.py)

        def is_type_of(_cls: type, obj: Any, _info: Any) -> bool:
            return isinstance(obj, classes)

        cls.is_type_of = classmethod(is_type_of)  # type: ignore[attr-defined]
        return cls

    return mark


@strawberry.type(description="Where a page of a connection stands (Relay).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More follow the page (known when paging with first).")
    has_previous_page: bool = strawberry.field(description="More precede the page (known when paging with last).")
    start_cursor: str | None
    end_cursor: str | None


def _itself(record: Any, _found: Any) -> Any:
    return record


def connection(node: type, records: tuple[type, ...], cursor: Callable[[Any], str]) -> tuple[type, Callable[..., Any]]:
    """The connection type of `node` (whose objects are `records`), and the function that makes one
    from a cut page `(nodes, has previous, has next)`."""
    name = node.__name__

    def edge_cursor(self: Any) -> str:
        return cursor(self)

    def edge_node(self: Any) -> Any:
        return self

    edge = strawberry.type(name=f"{name}Edge", description=f"A {name} in a page, and where it stands.")(
        sources(*records)(
            type(
                f"{name}Edge",
                (),
                {
                    "cursor": strawberry.field(
                        resolver=edge_cursor,
                        graphql_type=str,
                        description="Pass it as after or before to page from here (the node's id).",
                        metadata={COMPUTED: lambda record, _found: cursor(record)},
                    ),
                    "node": strawberry.field(resolver=edge_node, graphql_type=node, metadata={COMPUTED: _itself}),
                },
            )
        )
    )
    made = strawberry.type(name=f"{name}Connection", description=f"A page of {name}s, oldest first (Relay).")(
        type(
            f"{name}Connection",
            (),
            {
                "__annotations__": {"edges": list[edge], "page_info": PageInfo},  # type: ignore[valid-type]
                # the connection's page counted its nodes already (the guard's cost)
                "edges": strawberry.field(metadata={SIZE: lambda _arguments, _cap: 1}),
            },
        )
    )

    def of(window: tuple[list[Any], bool, bool]) -> Any:
        nodes, previous, following = window
        return made(
            edges=nodes,
            page_info=PageInfo(
                has_next_page=following,
                has_previous_page=previous,
                start_cursor=cursor(nodes[0]) if nodes else None,
                end_cursor=cursor(nodes[-1]) if nodes else None,
            ),
        )

    return made, of
