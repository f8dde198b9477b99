"""A faster executor for queries: a level at a time instead of a field at a time.

graphql-core resolves every field of every object on its own (~15 µs each with Strawberry's
wrapper); an agent-desktop tree has ~14 000 of them. This executor walks the same validated
operation with graphql-core's own field collection (aliases, fragments, `@include`/`@skip`,
variables, response order), and for each field works on the whole level at once: plain fields are
attribute reads, nested fields run their `Batched` spec once for all parents (schema/batched.py),
leaves go through the scalar's own serialisation. Extension records (deferred fields) are loaded
once for the whole response at the end.

Anything it does not cover — mutations, abstract types, `@defer`, a non-null field that is null, a
value a scalar refuses, any error at all — makes it give up and the normal executor run the
operation from the start, so results and errors are the normal executor's by construction (reads
only: running them again changes nothing). Tests run the same queries both ways and compare.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLString,
)
from graphql.execution.collect_fields import FieldDetails, GroupedFieldSet
from graphql.execution.values import get_argument_values
from graphql.pyutils import AwaitableOrValue, Path
from prometheus_client import Counter
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField

from contextgraph.schema.batched import BATCHED, Batched

log = logging.getLogger("contextgraph.fast_path")
FAST_PATH = Counter("contextgraph_graphql_fast_path_total", "GraphQL queries by executor", ["outcome"])
_BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF


class Unsupported(Exception):
    """Something the fast executor leaves to the normal one."""


class FastExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, with queries tried on the fast path first."""

    def execute_root_grouped_field_set(  # type: ignore[override]
        self, root_type: GraphQLObjectType, root_value: Any, grouped_field_set: GroupedFieldSet,
        serially: bool, position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:  # fmt: skip
        context = self.context_value
        if serially or not isinstance(context, dict) or not context.get("fast_path"):
            return super().execute_root_grouped_field_set(root_type, root_value, grouped_field_set, serially,
                                                          position_context)  # fmt: skip
        return self._fast_or_normal(root_type, root_value, grouped_field_set, position_context)

    async def _fast_or_normal(
        self, root_type: GraphQLObjectType, root_value: Any, grouped_field_set: GroupedFieldSet, position_context: Any
    ) -> dict[str, Any]:
        try:
            data = await _Run(self).operation(root_type, root_value, grouped_field_set)
        except Exception as exc:  # whatever it was, the normal executor decides
            FAST_PATH.labels("normal").inc()
            log.debug("GraphQL fast path left the operation to graphql-core: %r", exc)
        else:
            FAST_PATH.labels("fast").inc()
            return data
        result = super().execute_root_grouped_field_set(root_type, root_value, grouped_field_set, False,
                                                        position_context)  # fmt: skip
        if self.is_awaitable(result):
            awaited: dict[str, Any] = await result
            return awaited
        return result  # type: ignore[return-value]


@functools.lru_cache(maxsize=1024)  # per type of the schemas in use
def _leaf(type_: GraphQLScalarType | GraphQLEnumType) -> Callable[[Any], Any]:
    """The scalar's serialisation, skipped for values it would return unchanged."""
    serialize = type_.serialize

    def checked(value: Any) -> Any:
        result = serialize(value)
        if result is None:
            raise Unsupported("a scalar serialised to null")
        return result

    if type_ is GraphQLInt:
        return lambda v: v if type(v) is int and -(2**31) <= v < 2**31 else checked(v)
    if type_ is GraphQLFloat:
        return lambda v: v if type(v) is float and math.isfinite(v) else checked(v)
    for builtin, exact in ((GraphQLString, str), (GraphQLBoolean, bool), (GraphQLID, str)):
        if type_ is builtin:
            return lambda v: v if type(v) is exact else checked(v)
    return checked


class _Run:
    """One operation on the fast path."""

    def __init__(self, context: FastExecutionContext) -> None:
        self.context = context
        self.loaders = context.context_value["loaders"]
        strawberry_schema = context.schema._strawberry_schema  # type: ignore[attr-defined]
        self.scalars = strawberry_schema.schema_converter.scalar_registry
        self.config = strawberry_schema.config
        # Deferred fields: (spec, loader, keys, type, field details, results, response key).
        self.deferred: list[tuple[Batched, Any, list[Any], GraphQLOutputType, list[FieldDetails], list[dict[str, Any]],
                                  str]] = []  # fmt: skip

    async def operation(self, root_type: GraphQLObjectType, root: Any, fields: GroupedFieldSet) -> dict[str, Any]:
        data = (await self.objects(root_type, [root], fields))[0]
        while self.deferred:
            await self.load_deferred()
        return data

    async def load_deferred(self) -> None:
        """Every deferred field so far, one batch per loader (all extension records: one query)."""
        batches, self.deferred = self.deferred, []
        keys: dict[int, list[Any]] = {}
        for _spec, loader, field_keys, *_rest in batches:
            keys.setdefault(id(loader), []).extend(field_keys)
        loaders = {id(loader): loader for _spec, loader, *_rest in batches}
        loaded = dict(zip(keys, await asyncio.gather(*(loaders[i].load_fn(k) for i, k in keys.items())), strict=True))
        offsets = dict.fromkeys(keys, 0)
        for spec, loader, field_keys, type_, details, results, key in batches:
            start = offsets[id(loader)]
            offsets[id(loader)] = start + len(field_keys)
            values = [spec.wrap(v) for v in loaded[id(loader)][start : start + len(field_keys)]]
            for result, value in zip(results, await self.complete(type_, details, values), strict=True):
                result[key] = value

    async def objects(
        self, type_: GraphQLObjectType, parents: Sequence[Any], fields: GroupedFieldSet
    ) -> list[dict[str, Any]]:
        """The selection `fields` of each parent, in response order."""
        results: list[dict[str, Any]] = [{} for _ in parents]
        pending = []
        for key, details in fields.items():
            for result in results:
                result[key] = None  # the key's place in the response order; filled below
            node = details[0].node
            name = node.name.value
            if name == "__typename":
                for result in results:
                    result[key] = type_.name
                continue
            field_def = type_.fields.get(name)
            if field_def is None or any(d.defer_usage or d.fragment_variable_values for d in details):
                raise Unsupported(name)
            field: StrawberryField | None = field_def.extensions.get(_BACKREF)
            if field is None:
                raise Unsupported(name)
            raw = (get_argument_values(field_def, node, self.context.variable_values, None,
                                       self.context.hide_suggestions)
                   if field_def.args or node.arguments else {})  # fmt: skip
            spec: Batched | None = field.metadata.get(BATCHED)
            if field.is_basic_field:
                name_ = field.python_name
                values = [getattr(p, name_) for p in parents]
                for result, value in zip(results, await self.complete(field_def.type, details, values), strict=True):
                    result[key] = value
            elif spec is not None:
                arguments = convert_arguments(raw, field.arguments, scalar_registry=self.scalars, config=self.config)
                if spec.deferred:
                    assert spec.loader is not None
                    keys = [spec.key(p) for p in parents]
                    self.deferred.append((spec, spec.loader(self.loaders, **arguments), keys, field_def.type, details,
                                          results, key))  # fmt: skip
                else:
                    pending.append(self.batched(spec, arguments, parents, field_def.type, details, results, key))
            else:
                pending.append(self.resolved(type_, field_def, raw, parents, details, results, key))
        if len(pending) == 1:  # awaited here: a task of its own costs a turn of the event loop
            await pending[0]
        elif pending:
            await asyncio.gather(*pending)
        return results

    async def batched(self, spec: Batched, arguments: dict[str, Any], parents: Sequence[Any], type_: GraphQLOutputType,
                      details: list[FieldDetails], results: list[dict[str, Any]], key: str) -> None:  # fmt: skip
        values = await spec.many(parents, self.loaders, arguments)
        for result, value in zip(results, await self.complete(type_, details, values), strict=True):
            result[key] = value

    async def resolved(self, parent_type: GraphQLObjectType, field_def: Any, raw: dict[str, Any],
                       parents: Sequence[Any], details: list[FieldDetails], results: list[dict[str, Any]],
                       key: str) -> None:  # fmt: skip
        """A field with a resolver of its own (root fields, rare links): called per parent."""
        info = self.context.build_resolve_info(field_def, [d.node for d in details], parent_type,
                                               Path(None, key, parent_type.name))  # fmt: skip
        values = [field_def.resolve(p, info, **raw) for p in parents]
        if len(values) == 1 and self.context.is_awaitable(values[0]):  # a root field
            values = [await values[0]]
        elif any(self.context.is_awaitable(v) for v in values):  # together, so their loads batch
            values = await asyncio.gather(*(v if self.context.is_awaitable(v) else asyncio.sleep(0, v) for v in values))
        for result, value in zip(results, await self.complete(field_def.type, details, values), strict=True):
            result[key] = value

    async def complete(self, type_: GraphQLOutputType, details: list[FieldDetails], values: list[Any]) -> list[Any]:
        """Values of one field for a whole level, as the response shows them."""
        if isinstance(type_, GraphQLNonNull):
            if any(v is None for v in values):
                raise Unsupported("null in a non-null field")
            return await self.complete(type_.of_type, details, values)
        if isinstance(type_, GraphQLScalarType | GraphQLEnumType):
            leaf = _leaf(type_)
            return [None if v is None else leaf(v) for v in values]
        if isinstance(type_, GraphQLList):
            items: list[Any] = []
            for value in values:
                if value is not None:
                    if not isinstance(value, list):
                        raise Unsupported("a list that is not a list")
                    items.extend(value)
            done = iter(await self.complete(type_.of_type, details, items))
            return [None if v is None else [next(done) for _ in v] for v in values]
        if isinstance(type_, GraphQLObjectType):
            present = [v for v in values if v is not None]
            fields = self.context.collect_subfields(type_, details).grouped_field_set
            made = iter(await self.objects(type_, present, fields) if present else [])
            return [None if v is None else next(made) for v in values]
        raise Unsupported(f"type {type_}")
