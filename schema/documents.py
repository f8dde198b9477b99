"""The one document store of a schema: each document it has seen, keyed by the sha256 of its text
(as Apollo's clients compute it), parsed and validated once, with what running it needs again — its
guard measure (when no variable moves it) and its compiled plans. Held per schema (a rebuilt schema
starts empty, and its plans die with it), bounded (`graphql_documents`, `graphql_documents_chars`).

The same store answers Apollo's automatic persisted queries (a hash alone runs the document the
store holds under it, or is answered `PersistedQueryNotFound`, after which the client sends the
text with its hash) and, in trusted-documents mode, refuses any document not registered ahead of
time before it is even parsed (schema/persisted.py).

A parsed document takes ~80 times its text in memory (a 16 KiB query: ~1.3 MB of nodes and tokens,
linked in cycles only the collector frees), so 128 large distinct queries pinned ~170 MB when the
caches were bounded by count alone; and every full collection walks what the caches hold (~700
objects per KiB of text): with 256 KiB of texts the collector paused the server for 100 to 250 ms
every few seconds under distinct large queries, with 64 KiB for ~40 ms. Here the store is bounded
by count and by the total length of the texts it holds.

A long text is parsed and validated in a worker thread: a 16 KiB one takes ~70 ms of CPU, and on
the event loop it held up every other request meanwhile (the readiness probe's p99 went over
100 ms under a few such queries a second). In a thread the loop still gets the interpreter every
few milliseconds.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from graphql import DocumentNode, GraphQLError, GraphQLSchema, OperationDefinitionNode, parse, validate
from graphql.validation import ASTValidationRule

from contextgraph.resolvers.access.documents import document_hash
from contextgraph.schema.plans import Plan, directive_variables

V = TypeVar("V")

ENTRIES = 128
TEXT = 64 * 1024  # characters of query text held: ~5 MB of parsed documents at most
OFF_LOOP = 2048  # characters: a longer text is parsed and validated in a worker thread
PLANS = 8  # plans per document (one per combination of the values its directives' variables take)


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


@dataclass(eq=False)
class Document:
    """A query text as this schema sees it."""

    node: DocumentNode | None
    errors: list[GraphQLError]  # the parser's or validation's; shared: copy before changing
    # the variables whose values can change a plan (those of @skip/@include)
    directive_variables: tuple[str, ...] = ()
    # operation name → its guard measure, once known not to vary with the variables
    measures: dict[str | None, Any] = field(default_factory=dict)
    # (operation name, directive variable values) → plan, or None when graphql-core runs it
    plans: dict[Hashable, Plan | None] = field(default_factory=dict)

    def operation(self, name: str | None) -> OperationDefinitionNode | None:
        """The operation `name` selects (the only one when None), as graphql-core selects it."""
        assert self.node is not None
        operations = [d for d in self.node.definitions if isinstance(d, OperationDefinitionNode)]
        if name is None:
            return operations[0] if len(operations) == 1 else None
        return next((o for o in operations if o.name and o.name.value == name), None)

    def plan(self, key: Hashable, make: Callable[[], Plan | None]) -> Plan | None:
        if key in self.plans:
            return self.plans[key]
        made = make()
        if len(self.plans) < PLANS:
            self.plans[key] = made
        return made


class Documents:
    """One schema's documents, parsed with at most `max_tokens` tokens and validated with `rules`."""

    def __init__(
        self,
        schema: GraphQLSchema,
        rules: tuple[type[ASTValidationRule], ...],
        max_tokens: int,
        entries: int = ENTRIES,
        size: int = TEXT,
    ) -> None:
        self.schema, self.rules, self.max_tokens = schema, rules, max_tokens
        self.held: Bounded[Document] = Bounded(entries, size)

    def known(self, key: str) -> Document | None:
        """The document held under the hash `key`, if the store still holds it."""
        return self.held.get(key)

    async def get(self, query: str, key: str | None = None) -> Document:
        """The document of `query` (whose hash is `key` when the caller has it already)."""
        key = key or document_hash(query)
        found = self.held.get(key)
        if found is None:
            found = await asyncio.to_thread(self._read, query) if len(query) > OFF_LOOP else self._read(query)
            self.held.put(key, found, len(query))
        return found

    def _read(self, query: str) -> Document:
        try:
            node = parse(query, max_tokens=self.max_tokens)
        except GraphQLError as error:
            return Document(None, [error])
        errors = validate(self.schema, node, self.rules)
        if errors:
            return Document(node, errors)
        return Document(node, [], directive_variables(node))
