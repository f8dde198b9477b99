"""The one GraphQL executor: graphql-core's (as Strawberry configures it), running a compiled plan
(schema/plans.py) when the operation has one.

A plan runs a level at a time: each level of the response is loaded for all its parents at once
(one statement per nested list, extension records once for the whole response) and built by the
level's generated function (schema/builders.py). Results and errors are graphql-core's: a field
error is located at its path with its field nodes; a null where the type forbids one nulls the
nearest nullable position above it; an error under a position already nulled is dropped (graphql-
core's own error list decides). Only the order of errors raised at different levels may differ from
graphql-core's, whose order there follows its event loop's scheduling.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any

from graphql import ExecutionResult, GraphQLError, get_argument_values, located_error
from graphql.pyutils import AwaitableOrValue, inspect

from contextgraph.schema.builders import NotBuilt
from contextgraph.schema.internals import Executor, Path, complete_leaf, python_arguments, strawberry_field
from contextgraph.schema.loaders import Loaders
from contextgraph.schema.plans import FieldPlan, ObjectPlan, Plan

_SKIP = object()  # a parent whose field already failed


def _read(field: FieldPlan, value: Any, found: Loaders) -> Any:
    if field.source == "item":
        return value.get(field.attribute)
    if field.source == "computed":
        assert field.compute is not None
        return field.compute(value, found)
    return getattr(value, field.attribute)  # type: ignore[arg-type]


class PlannedExecutor(Executor):
    """graphql-core's executor; with a `plan`, the plan runs instead of graphql-core's field walk."""

    plan: Plan | None = None
    strawberry_schema: Any = None

    def execute_operation(self, serially: bool | None = None) -> AwaitableOrValue[Any]:
        if self.plan is None:
            return super().execute_operation(serially)
        return _Run(self, self.plan).result()


class _Level:
    """The objects of one selection set at one depth of the response."""

    __slots__ = ("dicts", "field", "origins", "parent", "plan", "values")

    def __init__(
        self,
        plan: ObjectPlan,
        values: list[Any],
        parent: _Level | None = None,
        field: FieldPlan | None = None,
        origins: list[tuple[int, int | None]] | None = None,
    ) -> None:
        self.plan, self.values, self.parent, self.field = plan, values, parent, field
        self.origins = origins or []  # (index of the parent, index in the parent's list or None)
        self.dicts: list[dict[str, Any] | None] = []

    def path(self, index: int) -> Path | None:
        if self.parent is None:
            return None
        assert self.field is not None
        parent, list_index = self.origins[index]
        path = Path(self.parent.path(parent), self.field.key, self.parent.plan.object_type.name)
        return path if list_index is None else Path(path, list_index, None)

    def field_path(self, index: int, field: FieldPlan) -> Path:
        return Path(self.path(index), field.key, self.plan.object_type.name)


class _Run:
    def __init__(self, executor: PlannedExecutor, plan: Plan) -> None:
        self.executor = executor
        self.plan = plan
        self.loaders: Loaders = executor.context_value["loaders"]
        self.deferred: list[tuple[_Level, FieldPlan, Any, list[Any]]] = []
        self.data_nulled = False

    async def result(self) -> ExecutionResult:
        root = _Level(self.plan.root, [self.executor.root_value])
        await self.level(root)
        while self.deferred:
            await self.load_deferred()
        data = None if self.data_nulled else root.dicts[0]
        return self.executor.build_response(data)  # type: ignore[return-value]

    # -- errors, as graphql-core handles them

    def error(self, raw: Exception, field: FieldPlan, path: Path) -> GraphQLError:
        return located_error(raw, field.nodes, path.as_list())

    def field_failed(self, level: _Level, index: int, field: FieldPlan, error: GraphQLError) -> None:
        """The field of object `index` is an error: null, or its object is null if it may not be."""
        if field.non_null:
            self.object_failed(level, index, error)
            return
        found = level.dicts[index] if index < len(level.dicts) else None
        if found is not None:
            found[field.key] = None
        self.executor.add_error(error, level.field_path(index, field))

    def object_failed(self, level: _Level, index: int, error: GraphQLError) -> None:
        """Object `index` of `level` cannot be completed: the nearest nullable position is null."""
        if level.parent is None:
            self.data_nulled = True
            self.executor.add_error(error, None)
            return
        field = level.field
        assert field is not None
        parent, list_index = level.origins[index]
        if list_index is not None and not field.item_non_null:
            container = level.parent.dicts[parent]
            items = container.get(field.key) if container is not None else None
            if isinstance(items, list):
                items[list_index] = None
            self.executor.add_error(error, level.path(index))
            return
        self.field_failed(level.parent, parent, field, error)

    # -- a level

    async def level(self, level: _Level) -> None:
        """Build the objects of `level` and complete the fields their build leaves."""
        plan = level.plan
        exact = plan.exact
        try:
            if plan.object_type.is_type_of is not None and (
                exact is None or any(v.__class__ not in exact for v in level.values)
            ):
                raise NotBuilt
            level.dicts = plan.build(level.values, self.loaders)  # type: ignore[assignment]
        except Exception:  # built field by field, with graphql-core's errors
            level.dicts = [{f.key: None for f in plan.fields} for _ in level.values]
            self.place(level)
            for index in range(len(level.values)):
                self.build_one(level, index)
        else:
            self.place(level)
        later = [self.nested(level, f) for f in plan.later]
        if len(later) == 1:
            await later[0]
        elif later:
            await asyncio.gather(*later)

    def place(self, level: _Level) -> None:
        """Put the level's objects where their parents' answers hold them."""
        if level.parent is None:
            return
        assert level.field is not None
        key, parents = level.field.key, level.parent.dicts
        for made, (parent, list_index) in zip(level.dicts, level.origins, strict=True):
            container = parents[parent]
            if container is None:
                continue
            if list_index is None:
                container[key] = made
            else:
                items = container[key]
                if isinstance(items, list):
                    items[list_index] = made

    def build_one(self, level: _Level, index: int) -> None:
        plan, value = level.plan, level.values[index]
        if plan.object_type.is_type_of is not None and (plan.exact is None or value.__class__ not in plan.exact):
            info = self.info_for_object(level, index)
            if not plan.object_type.is_type_of(value, info):
                message = f"Expected value of type '{plan.object_type.name}' but got: {inspect(value)}."
                assert level.field is not None
                path = level.path(index)
                assert path is not None
                self.object_failed(
                    level, index, located_error(GraphQLError(message), level.field.nodes, path.as_list())
                )
                return
        made = level.dicts[index]
        assert made is not None
        for field in plan.fields:
            if field.source == "typename":
                made[field.key] = plan.object_type.name
            elif field.source in ("attribute", "item", "computed") and field.child is None and not field.is_list:
                try:
                    found = _read(field, value, self.loaders)
                    made[field.key] = self.leaf(field, found, field.non_null)
                except Exception as raw:
                    self.field_failed(level, index, field, self.error(raw, field, level.field_path(index, field)))
                    if level.dicts[index] is None or self.gone(level, index):
                        return

    def gone(self, level: _Level, index: int) -> bool:
        """Whether object `index` was nulled (its own non-null field failed)."""
        if self.data_nulled:
            return True
        path = level.path(index)
        return path is not None and self.executor.collected_errors.has_nulled_position(path)

    @staticmethod
    def leaf(field: FieldPlan, value: Any, non_null: bool) -> Any:
        if value is None:
            if non_null:
                raise TypeError(f"Cannot return null for non-nullable field {field.parent_type.name}.{field.name}.")
            return None
        assert field.leaf is not None
        return complete_leaf(field.leaf, value)

    # -- fields the build leaves

    async def nested(self, level: _Level, field: FieldPlan) -> None:
        parents = level.values
        source = field.source
        try:
            if source == "attribute":
                values = [getattr(p, field.attribute) for p in parents]  # type: ignore[arg-type]
            elif source == "item":
                values = [p.get(field.attribute) for p in parents]
            elif source == "value":
                assert field.spec is not None
                values = [field.spec.value(p) for p in parents]
            elif source == "computed":
                assert field.compute is not None
                values = [field.compute(p, self.loaders) for p in parents]
            elif source == "resolve":
                values = await self.resolved(level, field)
            else:
                assert field.spec is not None
                arguments = self.python_arguments(field)
                if source == "deferred":
                    assert field.spec.loader is not None
                    self.deferred.append(
                        (
                            level,
                            field,
                            field.spec.loader(self.loaders, **arguments),
                            [field.spec.key(p) for p in parents],
                        )
                    )
                    return
                values = await field.spec.many(parents, self.loaders, arguments)
                if field.spec.paged:
                    values = self.charged(level, field, values)
        except Exception as raw:  # one failure for the whole level: each parent's field fails with it
            for index in range(len(parents)):
                self.field_failed(level, index, field, self.error(raw, field, level.field_path(index, field)))
            return
        await self.complete(level, field, values)

    def charged(self, level: _Level, field: FieldPlan, values: list[Any]) -> list[Any]:
        """Each parent's list counted into the answer's size, in order, as each resolver would."""
        for index, value in enumerate(values):
            try:
                assert field.spec is not None
                self.loaders.charge(field.spec.size(value))
            except Exception as raw:
                self.field_failed(level, index, field, self.error(raw, field, level.field_path(index, field)))
                values[index] = _SKIP
        return values

    def python_arguments(self, field: FieldPlan) -> dict[str, Any]:
        if field.python_arguments is not None:
            return dict(field.python_arguments)
        strawberry = strawberry_field(field.field_def)  # type: ignore[arg-type]
        return python_arguments(self.executor.strawberry_schema, strawberry, self.raw_arguments(field))  # type: ignore[arg-type]

    def raw_arguments(self, field: FieldPlan) -> dict[str, Any]:
        if field.raw_arguments is not None:
            return field.raw_arguments
        assert field.field_def is not None
        node = field.details[0].node
        if not (field.field_def.args or node.arguments):
            return {}
        return get_argument_values(
            field.field_def, node, self.executor.variable_values, None, self.executor.hide_suggestions
        )

    def info_for_object(self, level: _Level, index: int) -> Any:
        assert level.field is not None
        assert level.field.field_def is not None
        assert level.parent is not None
        path = level.path(index)
        assert path is not None
        parent_type = level.parent.plan.object_type
        return self.executor.resolve_info(level.field.field_def, level.field.details, parent_type, path)

    async def resolved(self, level: _Level, field: FieldPlan) -> list[Any]:
        """A field with a resolver of its own, called per parent (root fields, introspection)."""
        assert field.field_def is not None
        resolve = field.field_def.resolve or self.executor.field_resolver
        is_awaitable = self.executor.is_awaitable
        values: list[Any] = []
        pending: list[tuple[int, Awaitable[Any]]] = []
        for index, parent in enumerate(level.values):
            path = level.field_path(index, field)
            try:
                info = self.executor.resolve_info(field.field_def, field.details, level.plan.object_type, path)
                value = resolve(parent, info, **self.raw_arguments(field))
            except Exception as raw:
                self.field_failed(level, index, field, self.error(raw, field, path))
                value = _SKIP
            if is_awaitable(value):
                pending.append((index, value))
            values.append(value)
        if pending:
            outcomes = await asyncio.gather(*(p for _, p in pending), return_exceptions=True)
            for (index, _), outcome in zip(pending, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    if not isinstance(outcome, Exception):
                        raise outcome
                    self.field_failed(level, index, field, self.error(outcome, field, level.field_path(index, field)))
                    outcome = _SKIP
                values[index] = outcome
        return values

    async def load_deferred(self) -> None:
        """Every deferred field so far, one batch per loader (all extension records: one query)."""
        batches, self.deferred = self.deferred, []
        keys: dict[int, list[Any]] = {}
        loaders: dict[int, Any] = {}
        for _level, _field, loader, field_keys in batches:
            keys.setdefault(id(loader), []).extend(field_keys)
            loaders[id(loader)] = loader
        loaded: dict[int, Any] = {}
        for i, outcome in zip(
            keys,
            await asyncio.gather(*(loaders[i].load_fn(k) for i, k in keys.items()), return_exceptions=True),
            strict=True,
        ):
            loaded[i] = outcome
        offsets = dict.fromkeys(keys, 0)
        for level, field, loader, field_keys in batches:
            start = offsets[id(loader)]
            offsets[id(loader)] = start + len(field_keys)
            outcome = loaded[id(loader)]
            if isinstance(outcome, BaseException):
                if not isinstance(outcome, Exception):
                    raise outcome
                for index in range(len(field_keys)):
                    self.field_failed(level, index, field, self.error(outcome, field, level.field_path(index, field)))
                continue
            assert field.spec is not None
            await self.complete(level, field, [field.spec.wrap(v) for v in outcome[start : start + len(field_keys)]])

    # -- completing a field's values for a whole level

    async def complete(self, level: _Level, field: FieldPlan, values: Sequence[Any]) -> None:
        dicts = level.dicts
        key = field.key
        child_values: list[Any] = []
        origins: list[tuple[int, int | None]] = []
        for index, value in enumerate(values):
            made = dicts[index]
            if value is _SKIP or made is None:
                continue
            if value is None:
                if field.non_null:
                    self.null_in_non_null(level, index, field, level.field_path(index, field))
                else:
                    made[key] = None
                continue
            if not field.is_list:
                if field.child is None:
                    self.leaf_value(level, index, field, value)
                else:
                    made[key] = None  # placed with its level
                    child_values.append(value)
                    origins.append((index, None))
                continue
            if isinstance(value, str | bytes | dict) or not hasattr(value, "__iter__"):
                message = f"Expected Iterable, but did not find one for field '{field.parent_type.name}.{field.name}'."
                self.field_failed(
                    level, index, field, self.error(GraphQLError(message), field, level.field_path(index, field))
                )
                continue
            items: list[Any] = []
            made[key] = items
            for list_index, item in enumerate(value):
                if item is None:
                    items.append(None)
                    if field.item_non_null:
                        path = Path(level.field_path(index, field), list_index, None)
                        message = f"Cannot return null for non-nullable field {field.parent_type.name}.{field.name}."
                        self.field_failed(level, index, field, self.error(TypeError(message), field, path))
                        break
                    continue
                if field.child is None:
                    try:
                        items.append(self.leaf(field, item, field.item_non_null))
                    except Exception as raw:
                        items.append(None)
                        path = Path(level.field_path(index, field), list_index, None)
                        error = self.error(raw, field, path)
                        if field.item_non_null:
                            self.field_failed(level, index, field, error)
                            break
                        self.executor.add_error(error, path)
                else:
                    items.append(None)
                    child_values.append(item)
                    origins.append((index, list_index))
        if field.child is not None and child_values:
            await self.level(_Level(field.child, child_values, level, field, origins))

    def leaf_value(self, level: _Level, index: int, field: FieldPlan, value: Any) -> None:
        made = level.dicts[index]
        assert made is not None
        try:
            made[field.key] = self.leaf(field, value, field.non_null)
        except Exception as raw:
            self.field_failed(level, index, field, self.error(raw, field, level.field_path(index, field)))

    def null_in_non_null(self, level: _Level, index: int, field: FieldPlan, path: Path) -> None:
        message = f"Cannot return null for non-nullable field {field.parent_type.name}.{field.name}."
        self.field_failed(level, index, field, self.error(TypeError(message), field, path))
