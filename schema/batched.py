"""Fields found for many parents at once, each declared in one place.

A `Batched` says which DataLoader serves a field (for the field's arguments), the key a parent
asks it for, and how the loaded value becomes the field's value. graphql-core's executor runs `one`
per object (the DataLoader batches a level); a compiled plan (schema/executor.py) runs `many`
once for a whole level. `deferred` fields — extension records — are loaded by a plan
once for the whole response, after the rest of the tree, so every extension of a tree costs one
statement. `paged` lists take `first`/`offset` (resolvers/paging); "keyset" fields are Relay
connections (`first`/`after`, `last`/`before`; schema/connections.py), their page cut in SQL. The
spec rides on the Strawberry field as `metadata[BATCHED]`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader

from contextgraph.resolvers.operation import Operation
from contextgraph.resolvers.paging import Keyset
from contextgraph.schema import relay
from contextgraph.schema.binding import SIZE, binds
from contextgraph.schema.loaders import Loaders, loaders

BATCHED = "contextgraph.batched"
# Field metadata: the field's value is its object's item under this key (the object is a dict).
ITEM = "contextgraph.item"
# Field metadata: the field's value is this function of its object and the request's Loaders (no
# loading, no arguments): `(obj, found) -> value`.
COMPUTED = "contextgraph.computed"


@dataclass(frozen=True, slots=True)
class Batched:
    operation: Operation  # type: ignore[type-arg]  # the catalog read the field stands for (its role)
    loader: Callable[..., DataLoader[Any, Any]] | None  # (Loaders, **the field's arguments); None: no loading
    key: Callable[[Any], Any]
    wrap: Callable[[Any], Any]
    deferred: bool = False
    # A list that takes `first`/`offset`: its loader cuts each parent's page in SQL ("sql"; it takes
    # the `page`), or the page is cut from what it loads ("python"); a connection ("keyset": its
    # loader takes a `Keyset` page, `wrap` makes the connection of (page, has previous, has next)).
    paged: str | None = None
    node: str = ""  # a connection's node type: its cursors are that type's global ids

    def metadata(self) -> dict[str, Any]:
        sized = {SIZE: self.keyset_size} if self.paged == "keyset" else {}
        return {BATCHED: self, **binds(self.operation), **sized}

    def keyset(self, arguments: dict[str, Any], cap: int) -> Keyset:
        """The connection page its arguments ask for (a 400 for one out of range or a foreign cursor)."""
        return keyset_of(arguments, self.node, cap)

    def keyset_size(self, arguments: dict[str, Any], cap: int) -> int | None:
        """How many nodes a connection's page may hold (the guard's cost; None: as a list without `first`)."""
        return keyset_size(arguments, self.node, cap)

    def size(self, value: Any) -> int:
        """How many items a paged field's value holds (into the answer's size)."""
        if not value:
            return 0
        return len(value.edges) if self.paged == "keyset" else len(value)

    def value(self, parent: Any) -> Any:
        """The value of a field that needs no loading (loader is None)."""
        return self.wrap(self.key(parent))

    async def one(self, parent: Any, info: strawberry.Info, **arguments: Any) -> Any:
        assert self.loader is not None
        found = loaders(info)
        cut = self._pager(found, arguments)
        key = self.key(parent)  # None: nothing to load (a service no customer has yet)
        value = self.wrap(cut(None if key is None else await self.loader(found, **arguments).load(key)))
        if self.paged:
            found.charge(self.size(value))
        return value

    async def many(self, parents: Sequence[Any], found: Loaders, arguments: dict[str, Any]) -> list[Any]:
        if self.loader is None:
            return [self.value(p) for p in parents]
        cut = self._pager(found, arguments := dict(arguments))
        # One call of the loader's batch function for the whole level (no per-key futures).
        keys = [self.key(p) for p in parents]
        unique = [k for k in dict.fromkeys(keys) if k is not None]
        loaded = dict(zip(unique, await self.loader(found, **arguments).load_fn(unique), strict=True)) if unique else {}
        # Paged lists count into the answer's size per parent, where the executor places them.
        return [self.wrap(cut(loaded.get(k))) for k in keys]

    def _pager(self, found: Loaders, arguments: dict[str, Any]) -> Callable[[Any], Any]:
        """Takes `first`/`offset` out of the arguments (a `page` for a loader that cuts in SQL); the
        function that cuts each parent's page where the loader does not."""
        if self.paged is None:
            return as_loaded
        if self.paged == "keyset":
            keyset = self.keyset(arguments, found.settings.graphql_max_list)
            for name in ("first", "last", "after", "before"):
                arguments.pop(name, None)
            arguments["page"] = keyset
            return lambda rows: keyset.cut(rows or [])
        page = found.page(arguments.pop("first", None), arguments.pop("offset", 0))  # refused where nothing is found
        if self.paged == "sql":
            arguments["page"] = page
            return _none_is_empty
        return lambda items: list(items[page.skip : page.upto]) if items else []


def keyset_of(arguments: dict[str, Any], node: str, cap: int) -> Keyset:
    """The page a connection's `first`/`after`/`last`/`before` ask for, its cursors global ids of
    `node` (a 400 for a page out of range or a foreign cursor)."""
    after, before = arguments.get("after"), arguments.get("before")
    return Keyset.of(
        arguments.get("first"),
        arguments.get("last"),
        relay.of_type(after, node, "after")[-1] if after is not None else None,
        relay.of_type(before, node, "before")[-1] if before is not None else None,
        cap,
    )


def keyset_size(arguments: dict[str, Any], node: str, cap: int) -> int | None:
    """How many nodes a connection's page may hold (the guard's cost; None: as a list without `first`)."""
    keyset = keyset_of(arguments, node, cap)
    return keyset.first or keyset.last


def as_loaded(value: Any) -> Any:
    """The `wrap` of a field whose loaded value is its GraphQL value."""
    return value


def _none_is_empty(value: Any) -> Any:
    return [] if value is None else value
