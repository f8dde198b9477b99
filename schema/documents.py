"""Parsed documents and their validation errors, kept per schema for the texts clients repeat.

Replaces Strawberry's ParserCache and ValidationCache, which are shared by every schema and bounded
by count alone. A parsed document takes ~80 times its text in memory (a 16 KiB query: ~1.3 MB of
nodes and tokens, linked in cycles only the collector frees), so 128 large distinct queries pinned
~170 MB. Here both caches are bounded by count and by the total length of the texts they hold,
live on the schema (a rebuilt schema starts empty and frees the old one's), and validation is
looked up by the query's text rather than by hashing the whole document tree.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Any, Generic, TypeVar

from graphql import DocumentNode, GraphQLError, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

V = TypeVar("V")

ENTRIES = 128
TEXT = 256 * 1024  # characters of query text in each cache: ~20 MB of parsed documents at most


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

    def remembered(self, key: Hashable, size: int, make: Callable[[], V]) -> V:
        found = self.get(key)
        if found is None:
            found = make()
            self.put(key, found, size)
        return found


class Documents:
    """One schema's caches: query text → document, and query text → validation errors."""

    def __init__(self) -> None:
        self.parsed: Bounded[DocumentNode] = Bounded()
        self.validated: Bounded[list[GraphQLError]] = Bounded()

    def parse(self, query: str, **options: Any) -> DocumentNode:
        key = (query, *sorted(options.items()))
        return self.parsed.remembered(key, len(query), lambda: parse(query, **options))


class CachedDocuments(SchemaExtension):
    """Parsing and validation through the schema's `Documents` (a text parses the same every time)."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None:
            context.graphql_document = context.schema.documents.parse(context.query, **context.parse_options)  # type: ignore[attr-defined]
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document, query = context.graphql_document, context.query
        if query is not None and document is not None:  # the document is the text's (on_parse)
            rules = tuple(context.validation_rules)
            key = (query, *sorted(context.parse_options.items()), rules)
            schema = context.schema._schema
            errors = context.schema.documents.validated.remembered(  # type: ignore[attr-defined]
                key, len(query), lambda: validate_document(schema, document, rules)
            )
            context.pre_execution_errors = list(errors)  # a copy: error handling may add to its list
        yield
