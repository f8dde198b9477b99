"""Queries seen before, run straight on graphql-core.

Around execution, Strawberry spends ~0.3 ms on each request. That goes to its HTTP view and to
each extension's hooks: the token limit, the parser and validation caches, the guard, error
mapping and the operation label. It is more than a small query's whole execution. Most of it
checks the document itself, and a document that has run once without errors is known to parse,
to stay under the token limit and to validate against this schema. For such a document (a
JSON POST of a query operation), the view skips those checks and runs graphql-core directly,
with the same executor (schema/fast_path.py), context and response.

The checks that depend on the request still run every time: the key's roles, depth and cost
(`guard.check_operation`; its measure is kept when no variable moves it), the variables
(graphql-core coerces them) and the time limit. Any error at all, from a refusal or a bad
variable to a service that is not found, sends the request down Strawberry's path, which answers
it. These are reads only, so running one again changes nothing. Every error answer is therefore
Strawberry's own. Each schema has its own memory, bounded, so a rebuilt schema (new extension
schemas) starts empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode, OperationDefinitionNode, OperationType, execute, parse
from prometheus_client import Counter
from starlette.requests import Request
from starlette.responses import Response
from strawberry.execution import optimized_is_awaitable
from strawberry.types import ExecutionResult

from contextgraph.resolvers.errors import ContextError
from contextgraph.schema.documents import Bounded
from contextgraph.schema.errors import label_operation
from contextgraph.schema.fast_path import FastExecutionContext
from contextgraph.schema.guard import Measure, check_measure, check_operation

KNOWN_QUERIES = Counter("contextgraph_graphql_known_queries_total", "GraphQL POSTs of queries already seen",
                        ["outcome"])  # fmt: skip
_FIELDS = frozenset(("query", "variables", "operationName", "extensions"))
_STREAMING = ("multipart/mixed", "text/event-stream")
_MAX_TEXT = 16_384  # characters; the agent-desktop tree query is ~1 500
# A document takes ~80 times its text in memory (less without locations, which it never needs:
# any error is answered by the normal path), and the collector walks it: 128 KiB of texts at most.
_TEXTS = 128 * 1024


@dataclass
class KnownQuery:
    document: DocumentNode
    label: str | None  # the operation's name, as Strawberry names it (the first operation's)
    measure: Measure | None = None  # its guard measure, once known not to vary with the variables


class KnownQueries:
    """The query documents that ran without errors on one schema, at most `size` of them and
    `_TEXTS` characters of their texts; the least recently used leave.
    """

    def __init__(self, size: int = 256) -> None:
        self._known: Bounded[KnownQuery] = Bounded(size, _TEXTS)

    def __len__(self) -> int:
        return len(self._known)

    def get(self, query: str, operation_name: str | None) -> KnownQuery | None:
        return self._known.get((query, operation_name))

    def remember(self, query: str, operation_name: str | None) -> None:
        """Keep a query that just ran without errors (not a mutation or subscription, nor a text
        longer than `_MAX_TEXT`: 256 of those would be memory a client could fill).
        """
        if len(query) > _MAX_TEXT or self._known.get((query, operation_name)) is not None:
            return
        document = parse(query, no_location=True)  # never answers an error itself: see answer()
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
        if len(chosen) != 1 or chosen[0].operation is not OperationType.QUERY:
            return
        first = operations[0].name
        label = operation_name if operation_name is not None else first.value if first else None
        self._known.put((query, operation_name), KnownQuery(document, label), len(query))


async def answer(view: Any, request: Request) -> Response | None:
    """The response to a known query, or None: then Strawberry's path answers the request."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if request.method != "POST" or media_type != "application/json":
        return None
    accept = request.headers.get("accept", "")
    if any(media in accept for media in _STREAMING):
        return None
    try:
        data = view.decode_json(await request.body())
    except ValueError:  # JSONDecodeError: the normal path says what is wrong with it
        return None
    if not isinstance(data, dict) or not data.keys() <= _FIELDS or data.get("extensions") is not None:
        return None
    query, variables, operation_name = data.get("query"), data.get("variables"), data.get("operationName")
    if not (isinstance(query, str) and isinstance(variables, dict | None) and isinstance(operation_name, str | None)):
        return None
    schema = view.schema
    known = schema.known_queries.get(query, operation_name)
    if known is None:
        return None
    principal = request.scope["state"]["principal"]
    try:
        asked = known.measure
        if asked is not None:
            check_measure(view.settings, principal, asked)
        else:
            asked = check_operation(view.settings, schema._schema, known.document, operation_name, variables, principal)
            if asked is not None and not asked.varies:
                known.measure = asked
    except ContextError:
        return None
    sub_response = await view.get_sub_response(request)
    context = await view.get_context(request, sub_response)
    context["loaders"].ctx.reads.snapshot = asked is None or asked.loads > 1
    result = await view.within_time(_execute(schema._schema, known.document, variables, operation_name, context))
    if result is None:
        result = view.out_of_time()
    elif result.errors:
        KNOWN_QUERIES.labels("error").inc()
        return None
    KNOWN_QUERIES.labels("answered").inc()
    label_operation(request.scope, "query", known.label)
    return view.create_response(await view.process_result(request, result), sub_response)


async def _execute(schema: Any, document: DocumentNode, variables: dict[str, Any] | None, operation_name: str | None,
                   context: Any) -> ExecutionResult:  # fmt: skip
    result: Any = execute(schema, document, variable_values=variables, operation_name=operation_name,
                          context_value=context, executor_class=FastExecutionContext,
                          is_awaitable=optimized_is_awaitable)  # type: ignore[arg-type]  # fmt: skip
    if optimized_is_awaitable(result):
        result = await result
    return ExecutionResult(data=result.data, errors=result.errors)
