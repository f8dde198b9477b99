"""Per-request DataLoaders over the read path (resolvers/reads.py): every nested list of a query
level is loaded in one statement, in the request's one read session.

Loaders are keyed by their arguments (status, types, filter, page), so fields asked with different
arguments batch separately and the cache never mixes them.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader

from contextgraph.resolvers import reads
from contextgraph.resolvers.context import Context
from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.journeys.query import ServiceFilter
from contextgraph.resolvers.journeys.records import Status
from contextgraph.resolvers.paging import Keyset, Page
from contextgraph.schema.settings import SchemaSettings


def _on_first_use(load: Callable[[Context, Any], Awaitable[Any]]) -> Any:
    """A loader made on first access; it holds the context, not its Loaders (no reference cycle)."""

    def made(self: Loaders) -> DataLoader[Any, Any]:
        ctx = self.ctx
        return DataLoader(lambda keys: load(ctx, keys))

    return functools.cached_property(made)


class Loaders:
    """The loaders of one request, and how many list items the request's answer holds so far."""

    def __init__(self, ctx: Context, settings: SchemaSettings) -> None:
        self.ctx = ctx
        self.settings = settings
        self._cache: dict[tuple[Any, ...], DataLoader[Any, Any]] = {}
        self.objects = 0

    def charge(self, items: int) -> None:
        """Count `items` more list items into the answer; refused past `graphql_max_objects`."""
        self.objects += items
        allowed = self.settings.graphql_max_objects
        if self.objects > allowed:
            raise TooLarge(
                f"the answer would hold more than {allowed} objects; ask for fewer (first) or a smaller tree"
            )

    def page(self, first: int | None, offset: int) -> Page:
        return Page.of(first, offset, self.settings.graphql_max_list)

    # Made when a query first needs one (most requests need none): see `_on_first_use`.
    profile = _on_first_use(reads.profiles)
    service = _on_first_use(reads.services)
    state = _on_first_use(reads.states)
    task = _on_first_use(reads.tasks)
    interaction = _on_first_use(reads.interactions_by_id)
    # Keys are (extension schema, owner id): every extension of a level in one statement.
    extension = _on_first_use(reads.extension_records)

    def _loader(
        self, key: tuple[Any, ...], load: Callable[[Sequence[Any]], Awaitable[Sequence[Any]]]
    ) -> DataLoader[Any, Any]:
        if key not in self._cache:
            self._cache[key] = DataLoader(load)  # type: ignore[arg-type]
        return self._cache[key]

    def services_of_customer(self, service_filter: ServiceFilter, page: Page | Keyset) -> DataLoader[str, Any]:
        return self._loader(
            ("services", service_filter, page),
            lambda ids: reads.services_of_customers(self.ctx, ids, service_filter, page),
        )

    def states_of_service(self, status: Status, types: list[str] | None, page: Page | Keyset) -> DataLoader[int, Any]:
        t = tuple(types) if types is not None else None
        return self._loader(
            ("states", status, t, page), lambda ids: reads.states_of_services(self.ctx, ids, status, t, page)
        )

    def tasks_of_service(self, status: Status, types: list[str] | None, page: Page | Keyset) -> DataLoader[int, Any]:
        t = tuple(types) if types is not None else None
        return self._loader(
            ("tasks", status, t, page), lambda ids: reads.tasks_of_services(self.ctx, ids, status, t, page)
        )

    def interactions_of_customer(self, page: Page | Keyset) -> DataLoader[str, Any]:
        return self._loader(
            ("customer-interactions", page), lambda ids: reads.interactions_of_customers(self.ctx, ids, page)
        )

    def interactions_of_service(self, page: Page | Keyset) -> DataLoader[int, Any]:
        return self._loader(
            ("service-interactions", page), lambda ids: reads.interactions_of_services(self.ctx, ids, page)
        )

    def tasks_of_state(self, status: Status, types: list[str] | None, page: Page | Keyset) -> DataLoader[int, Any]:
        t = tuple(types) if types is not None else None
        return self._loader(
            ("state-tasks", status, t, page), lambda ids: reads.tasks_of_states(self.ctx, ids, status, t, page)
        )


class TooLarge(BadParameter):
    """An answer over `graphql_max_objects`."""

    def __init__(self, reason: str) -> None:
        super().__init__("query", reason)


def loaders(info: strawberry.Info) -> Loaders:
    found: Loaders = info.context["loaders"]
    return found
