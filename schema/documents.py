"""Parsed documents and their validation errors, kept per schema for the texts clients repeat.

Replaces Strawberry's ParserCache and ValidationCache, which are shared by every schema and bounded
by count alone. A parsed document takes ~80 times its text in memory (a 16 KiB query: ~1.3 MB of
nodes and tokens, linked in cycles only the collector frees), so 128 large distinct queries pinned
~170 MB; and every full collection walks what the caches hold (~700 objects per KiB of text): with
256 KiB of texts the collector paused the server for 100 to 250 ms every few seconds under distinct
large queries, with 64 KiB for ~40 ms. Here both caches are bounded by count and by the total
length of the texts they hold, live on the schema (a rebuilt schema starts empty and frees the old
one's), and validation is looked up by the query's text rather than by hashing the whole document.

A long text is parsed and validated in a worker thread: a 16 KiB one takes ~70 ms of CPU, and
on the event loop it held up every other request meanwhile (the readiness probe's p99 went over
100 ms under a few such queries a second). In a thread the loop still gets the interpreter every
few milliseconds.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable
from typing import Any, Generic, TypeVar

from graphql import DocumentNode, GraphQLError, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

V = TypeVar("V")

ENTRIES = 128
TEXT = 64 * 1024  # characters of query text in each cache: ~5 MB of parsed documents at most
OFF_LOOP = 2048  # characters: a longer text is parsed and validated in a worker thread


class Bounded(Generic[V]):
    """A least-recently-used map bounded by `entries` and by the summed `size` of what it holds."""

    def __init__(self, entries: int = ENTRIES, size: int = TEXT) -> None:
        self.entries, self.size = entries, size
        self.held = 0
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> V | None:
        found = self._items.get(key)
        if found is None:
            return None
        self._items.move_to_end(key)
        return found[0]

    def put(self, key: Hashable, value: V, size: int) -> None:
        if size > self.size or key in self._items:
            return
        self._items[key] = (value, size)
        self.held += size
        while len(self._items) > self.entries or self.held > self.size:
            _, (_, freed) = self._items.popitem(last=False)
            self.held -= freed

    async def remembered(self, key: Hashable, size: int, make: Callable[[], V]) -> V:
        """The value held for `key`, or `make()`'s, kept; made in a worker thread when `size` is
        over OFF_LOOP (the cache itself is only touched on the event loop).
        """
        found = self.get(key)
        if found is None:
            found = await asyncio.to_thread(make) if size > OFF_LOOP else make()
            self.put(key, found, size)
        return found


class Documents:
    """One schema's caches: query text → document, and query text → validation errors."""

    def __init__(self) -> None:
        self.parsed: Bounded[DocumentNode] = Bounded()
        self.validated: Bounded[list[GraphQLError]] = Bounded()

    async def parse(self, query: str, **options: Any) -> DocumentNode:
        key = (query, *sorted(options.items()))
        return await self.parsed.remembered(key, len(query), lambda: parse(query, **options))


class CachedDocuments(SchemaExtension):
    """Parsing and validation through the schema's `Documents` (a text parses the same every time)."""

    async def on_parse(self) -> AsyncIterator[None]:
        context = self.execution_context
        if context.query is not None:
            documents: Documents = context.schema.documents  # type: ignore[attr-defined]
            context.graphql_document = await documents.parse(context.query, **context.parse_options)
        yield

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        document, query = context.graphql_document, context.query
        if query is not None and document is not None:  # the document is the text's (on_parse)
            rules = tuple(context.validation_rules)
            key = (query, *sorted(context.parse_options.items()), rules)
            schema = context.schema._schema
            documents: Documents = context.schema.documents  # type: ignore[attr-defined]
            errors = await documents.validated.remembered(
                key, len(query), lambda: validate_document(schema, document, rules)
            )
            context.pre_execution_errors = list(errors)  # a copy: error handling may add to its list
        yield
