"""The one way in for every GraphQL operation — a POST or GET over HTTP, a websocket message, a
stream — in the order each request takes it:

1. the document: its text, or the hash of an Apollo persisted query; in trusted-documents mode only
   a registered one (schema/persisted.py); parsed (at most `graphql_max_tokens` tokens) and
   validated once per text, kept with the schema under its hash (schema/documents.py);
2. the operation the request names, if its transport allows that kind (Strawberry's own 400s);
3. the guard (schema/guard.py): the roles its fields need, its depth, aliases and cost — refused
   before anything runs;
4. graphql-core's executor with the request's variables; a query runs its compiled plan
   (schema/plans.py), decided before it starts — nothing ever runs twice;
5. under `graphql_timeout`; errors shaped (schema/errors.py); the operation named in the access log.

Strawberry's HTTP and websocket views call `execute` and `stream` (`subscribe` goes through
`stream`); they see the results Strawberry's own schema gives them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Iterable
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import DocumentNode, GraphQLError, subscribe
from graphql import ExecutionResult as GraphQLResult
from graphql.validation import NoSchemaIntrospectionCustomRule, specified_rules
from prometheus_client import Counter
from strawberry.exceptions import MissingQueryError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType as StrawberryOperationType

from contextgraph.resolvers.access.documents import TrustedDocuments
from contextgraph.resolvers.errors import ContextError, Unavailable
from contextgraph.schema.admission import admit, until_revoked
from contextgraph.schema.documents import OFF_LOOP, Document, Documents
from contextgraph.schema.errors import label_operation, shaped
from contextgraph.schema.executor import PlannedExecutor
from contextgraph.schema.guard import Measure, check_measure, check_operation
from contextgraph.schema.internals import (
    CannotGetOperationTypeError,
    Executor,
    InvalidOperationTypeError,
    PreExecutionError,
    graphql_schema,
    is_awaitable,
    strawberry_validation_rules,
)
from contextgraph.schema.persisted import Refused, find_document, report_broken
from contextgraph.schema.plans import compile_plan
from contextgraph.schema.settings import SchemaSettings

EXECUTIONS = Counter("contextgraph_graphql_executions_total", "GraphQL operations run, by executor", ["executor"])
_KINDS = {kind.value: kind for kind in StrawberryOperationType}
_ALL = frozenset(StrawberryOperationType)


@dataclass
class _Ready:
    """An operation past the guard, about to run."""

    document: Document
    node: DocumentNode  # the document's, parsed
    operation_name: str | None
    kind: str  # query | mutation | subscription
    measure: Measure | None
    context: Any  # the operation's own (schema/admission.py)


class ContextSchema(strawberry.Schema):
    """A Strawberry schema whose operations go through the front door above."""

    settings: SchemaSettings
    documents: Documents

    def open(self, settings: SchemaSettings) -> None:
        """Ready to serve under `settings` (called once, after the schema is built)."""
        self.settings = settings
        rules = (*specified_rules, *strawberry_validation_rules())
        if not settings.graphql_introspection:
            rules = (*rules, NoSchemaIntrospectionCustomRule)
        self.documents = Documents(
            graphql_schema(self),
            rules,
            settings.graphql_max_tokens,
            settings.graphql_documents,
            settings.graphql_documents_chars,
        )

    def check_trusted(self, trusted: TrustedDocuments) -> list[str]:
        """The trusted documents this schema no longer validates (logged and on /metrics)."""
        return report_broken(self.documents.schema, self.documents.rules, trusted.texts)

    # -- the views' entry points

    async def execute(  # type: ignore[override]
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[StrawberryOperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """One query or mutation (Strawberry's view answers its exceptions with a 400)."""
        ready: _Ready | ExecutionResult | None = None
        try:
            ready = await self._prepare(
                query,
                variable_values,
                context_value,
                operation_name,
                # one answer: a subscription streams (websocket, or Server-Sent Events)
                frozenset(allowed_operation_types or _ALL) - {StrawberryOperationType.SUBSCRIPTION},
                operation_extensions,
            )
            if isinstance(ready, ExecutionResult):
                return ready
            result = await self._within_time(
                self._run(ready, variable_values, ready.context, root_value, operation_extensions)
            )
            return self._answer(result, context_value)
        finally:
            await _close_reads(context_value)
            if isinstance(ready, _Ready) and ready.context is not context_value:
                await _close_reads(ready.context)

    async def subscribe(  # type: ignore[override]
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> AsyncGenerator[ExecutionResult, None]:
        """The legacy graphql-ws protocol's entry: its `start` message carries queries and
        mutations too, so every kind runs here as it does over HTTP."""
        return await self.stream(
            query, variable_values, context_value, root_value, operation_name, operation_extensions
        )

    async def stream(  # type: ignore[override]
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
        allowed_operation_types: Iterable[StrawberryOperationType] | None = None,
    ) -> AsyncGenerator[ExecutionResult, None]:
        """An operation over a websocket or a stream: a subscription's events, or one result."""
        return self._streamed(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            operation_extensions,
            allowed_operation_types or _ALL,
        )

    async def _streamed(
        self,
        query: str | None,
        variables: dict[str, Any] | None,
        context: Any,
        root_value: Any,
        operation_name: str | None,
        operation_extensions: dict[str, Any] | None,
        allowed: Iterable[StrawberryOperationType],
    ) -> AsyncGenerator[ExecutionResult, None]:
        try:
            ready = await self._prepare(query, variables, context, operation_name, allowed, operation_extensions)
        except (MissingQueryError, CannotGetOperationTypeError, InvalidOperationTypeError) as error:
            yield PreExecutionError(data=None, errors=self._shaped([_refusal(error)], context))
            return
        if isinstance(ready, ExecutionResult):
            yield ready
            return
        context = ready.context
        if ready.kind != "subscription":
            try:
                result = await self._within_time(self._run(ready, variables, context, root_value, operation_extensions))
                yield self._answer(result, context)
            finally:
                await _close_reads(context)
            return
        events: Any = subscribe(
            graphql_schema(self),
            ready.node,
            root_value,
            context,
            variables,
            ready.operation_name,
            executor_class=Executor,
            operation_extensions=operation_extensions,
        )
        if is_awaitable(events):
            events = await events
        if isinstance(events, GraphQLResult):
            yield PreExecutionError(data=None, errors=self._shaped(events.errors or [], context))
            return
        try:
            async with aclosing(until_revoked(events, context)) as stream:  # closed now, not when collected
                async for event in stream:
                    yield self._answer(event, context)
        except Exception as error:  # graphql-core leaves an event source's own failure to us
            yield self._answer(GraphQLResult(None, [GraphQLError(str(error), original_error=error)]), context)
        finally:
            await events.aclose()

    # -- the steps

    async def _prepare(
        self,
        query: str | None,
        variables: dict[str, Any] | None,
        context: Any,
        operation_name: str | None,
        allowed: Iterable[StrawberryOperationType],
        extensions: dict[str, Any] | None = None,
    ) -> _Ready | ExecutionResult:
        """Steps 1 to 3: the operation ready to run, or the answer that refuses it."""
        try:
            document = await find_document(self.documents, query, extensions, self._trusted(context))
        except Refused as refusal:
            _label(context, "refused", operation_name)
            return PreExecutionError(data=None, errors=self._shaped([refusal.error], context))
        if document.node is None or document.errors:
            label = "invalid" if document.node is None else None
            if label is not None:
                _label(context, label, operation_name)
            return PreExecutionError(data=None, errors=self._shaped(document.errors, context))
        operation = document.operation(operation_name)
        if operation is None:
            raise CannotGetOperationTypeError(operation_name)
        kind = operation.operation.value
        if _KINDS[kind] not in set(allowed):
            raise InvalidOperationTypeError(_KINDS[kind])
        name = operation_name if operation_name is not None else operation.name.value if operation.name else None
        _label(context, kind, name)
        try:
            context = admit(context)
            measure = self._guard(document, operation_name, variables, context)
        except ContextError as refusal:
            error = GraphQLError(refusal.description, original_error=refusal)
            return PreExecutionError(data=None, errors=self._shaped([error], context))
        found = _loaders(context)
        if found is not None:
            found.ctx.reads.snapshot = measure is None or measure.loads > 1
        return _Ready(document, document.node, operation_name, kind, measure, context)

    def _trusted(self, context: Any) -> TrustedDocuments | None:
        """In trusted-documents mode, the documents that may run (none without a runtime to ask)."""
        if not self.settings.graphql_trusted_documents:
            return None
        runtime = context.get("runtime") if isinstance(context, dict) else None
        found: TrustedDocuments = getattr(runtime, "trusted", None) or TrustedDocuments()
        return found

    def _guard(
        self, document: Document, operation_name: str | None, variables: dict[str, Any] | None, context: Any
    ) -> Measure | None:
        principal = context.get("principal") if isinstance(context, dict) else None
        known = document.measures.get(operation_name)
        if known is not None:
            check_measure(self.settings, principal, known)
            return known
        measure = check_operation(
            self.settings, graphql_schema(self), document.node, operation_name, variables, principal
        )
        if measure is not None and not measure.varies:
            document.measures[operation_name] = measure
        return measure

    async def _run(
        self,
        ready: _Ready,
        variables: dict[str, Any] | None,
        context: Any,
        root_value: Any,
        operation_extensions: dict[str, Any] | None,
    ) -> GraphQLResult:
        """Step 4: graphql-core's executor, with the operation's plan when it has one."""
        executor: Any = PlannedExecutor.build(
            graphql_schema(self),
            ready.node,
            root_value,
            context,
            variables,
            ready.operation_name,
            is_awaitable=is_awaitable,  # type: ignore[arg-type]  # Strawberry's is a plain bool function
            operation_extensions=operation_extensions,
        )
        if isinstance(executor, list):  # the variables do not fit the operation
            return GraphQLResult(None, executor)
        executor.strawberry_schema = self
        if ready.kind == "query" and self.settings.graphql_compiled:
            coerced = executor.variable_values.coerced
            values = tuple(coerced.get(name) for name in ready.document.directive_variables)
            key = (ready.operation_name, values)
            try:
                hash(key)
            except TypeError:  # a value that cannot be a key: compiled for this request alone
                executor.plan = compile_plan(executor, self)
            else:
                make = lambda: compile_plan(executor, self)  # noqa: E731
                if key not in ready.document.plans and _long(ready.node):
                    # Compiled in a worker thread, as a long text is parsed (schema/documents.py): a
                    # 10 KiB query's plan took ~20-40 ms, which held every other request meanwhile.
                    executor.plan = await asyncio.to_thread(ready.document.plan, key, make)
                else:
                    executor.plan = ready.document.plan(key, make)
        EXECUTIONS.labels("compiled" if executor.plan is not None else "graphql-core").inc()
        result: Any = executor.execute_operation()
        if is_awaitable(result):
            result = await result
        assert isinstance(result, GraphQLResult)
        return result

    async def _within_time(self, running: Any) -> GraphQLResult:
        try:
            async with asyncio.timeout(self.settings.graphql_timeout):
                result: GraphQLResult = await running
                return result
        except TimeoutError:
            error = Unavailable(f"the query did not finish within {self.settings.graphql_timeout:g} s")
            return GraphQLResult(None, [GraphQLError(error.description, original_error=error)])

    def _answer(self, result: GraphQLResult, context: Any) -> ExecutionResult:
        errors = self._shaped(result.errors, context) if result.errors else None
        return ExecutionResult(data=result.data, errors=errors)

    def _shaped(self, errors: list[GraphQLError], context: Any) -> list[GraphQLError]:
        request = context.get("request") if isinstance(context, dict) else None
        request_id = request.scope.get("state", {}).get("request_id", "-") if request is not None else "-"
        return shaped(errors, self.settings.graphql_suggestions, request_id)


def _long(node: DocumentNode) -> bool:
    """Whether a document's text is longer than what is parsed and compiled on the event loop."""
    return node.loc is not None and node.loc.end > OFF_LOOP


def _refusal(error: Exception) -> GraphQLError:
    """Strawberry's words for what its views answer with a 400, as an error of a stream: the
    client's mistake (4020, 400), never an unexpected one."""
    if isinstance(error, CannotGetOperationTypeError):
        return GraphQLError(error.as_http_error_reason())
    if isinstance(error, InvalidOperationTypeError):
        kinds = {"query": "queries", "mutation": "mutations", "subscription": "subscriptions"}
        return GraphQLError(f"{kinds[error.operation_type.value]} are not allowed")
    return GraphQLError(str(error) or "No GraphQL query found in the request")


def _loaders(context: Any) -> Any:
    return context.get("loaders") if isinstance(context, dict) else None


async def _close_reads(context: Any) -> None:
    """The operation's read session ends with it."""
    found = _loaders(context)
    if found is not None:
        await found.ctx.reads.close()


def _label(context: Any, kind: str, name: str | None) -> None:
    request = context.get("request") if isinstance(context, dict) else None
    if request is not None and request.scope.get("type") == "http":
        label_operation(request.scope, kind, name)
