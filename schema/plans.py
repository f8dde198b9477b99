"""Compiled queries: a validated query operation, compiled once into a plan of what to load and how
to build each level of the response.

A plan is a tree of `ObjectPlan`s (one per selection set on an object type, after graphql-core's own
field collection: aliases, fragments, `@skip`/`@include` with the request's variables, response
order). Each field says where its value comes from:
- `attribute`: a plain field, read off the object the level's load made;
- `item`: a plain field of a dict (an extension record as stored), read under its key;
- `batched`: a nested field with a `Batched` spec (schema/batched.py) — one load for the whole level;
- `deferred`: extension records, loaded once for the whole response after the rest of the tree;
- `value`: a field computed from its parent without loading (the extensions container);
- `computed`: a field whose value is a function of its object (a global id, an edge's node);
- `resolve`: anything else (root fields, introspection): its resolver, called per parent;
- `typename`: `__typename`.
The plain leaf fields of a level are built by one function generated for that selection set
(schema/builders.py). schema/executor.py runs a plan.

Whether an operation can be compiled is decided here, before it runs: a query whose every selected
type is an object type (no interface or union to resolve at run time), no list of lists. Anything
else — mutations, subscriptions, abstract types — runs on graphql-core's executor. A plan depends on
the document, the operation and the values of the variables its directives use (`directive_key`);
arguments that use variables are computed per request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    get_argument_values,
    is_abstract_type,
    is_leaf_type,
    visit,
)
from graphql.language import Visitor

from contextgraph.schema.batched import BATCHED, COMPUTED, ITEM, Batched
from contextgraph.schema.builders import generated_builder
from contextgraph.schema.internals import Executor, FieldDetails, exact_classes, python_arguments, strawberry_field


class Unsupported(Exception):
    """An operation left to graphql-core's executor."""


@dataclass(eq=False)
class FieldPlan:
    key: str  # the response key (alias or name)
    name: str
    details: list[FieldDetails]
    field_def: GraphQLField | None  # None for __typename
    parent_type: GraphQLObjectType
    source: str  # attribute | item | computed | batched | deferred | value | resolve | typename
    attribute: str | None = None  # the Python attribute of an `attribute` field, the key of an `item`
    spec: Batched | None = None
    compute: Callable[[Any, Any], Any] | None = None  # a `computed` field's function of its object (and Loaders)
    # graphql-core's argument values when no variable decides them (else computed per request)
    raw_arguments: dict[str, Any] | None = None
    python_arguments: dict[str, Any] | None = None  # the same, as Strawberry gives them to Python
    child: ObjectPlan | None = None  # the selection set of an object-typed field
    non_null: bool = False
    is_list: bool = False
    item_non_null: bool = False
    leaf: GraphQLLeafType | None = None  # the scalar or enum type of a leaf field

    @property
    def nodes(self) -> list[Any]:
        return [d.node for d in self.details]


@dataclass(eq=False)
class ObjectPlan:
    object_type: GraphQLObjectType
    fields: list[FieldPlan]
    build: Callable[[list[Any], Any], list[dict[str, Any]]] = field(init=False)  # (objects, Loaders)
    # the class Strawberry's is_type_of accepts instances of (checked once per level), if known
    exact: frozenset[type] | None = field(init=False)
    later: list[FieldPlan] = field(init=False)  # the fields `build` leaves to the executor

    def __post_init__(self) -> None:
        self.build, built = generated_builder(self.object_type.name, self.fields)
        self.later = [f for f in self.fields if not any(f is b for b in built)]
        self.exact = exact_classes(self.object_type) if self.object_type.is_type_of is not None else None


@dataclass(eq=False)
class Plan:
    root: ObjectPlan


def directive_variables(document: DocumentNode) -> tuple[str, ...]:
    """The names of the variables any directive of the document uses (they can change a plan)."""
    names: list[str] = []

    class Finder(Visitor):
        def enter_directive(self, node: Any, *_args: Any) -> None:
            for argument in node.arguments or ():
                names.extend(v.name.value for v in _variables(argument.value))

    visit(document, Finder())
    return tuple(sorted(set(names)))


def _variables(value: Any) -> list[VariableNode]:
    found: list[VariableNode] = []

    class Finder(Visitor):
        def enter_variable(self, node: VariableNode, *_args: Any) -> None:
            found.append(node)

    visit(value, Finder())
    return found


class _Compiler:
    def __init__(self, executor: Executor, strawberry_schema: Any) -> None:
        self.executor = executor
        self.strawberry_schema = strawberry_schema

    def objects(self, object_type: GraphQLObjectType, grouped: dict[str, list[FieldDetails]]) -> ObjectPlan:
        return ObjectPlan(object_type, [self.field(object_type, key, details) for key, details in grouped.items()])

    def field(self, parent_type: GraphQLObjectType, key: str, details: list[FieldDetails]) -> FieldPlan:
        node = details[0].node
        name = node.name.value
        if any(d.defer_usage is not None or d.fragment_variable_values is not None for d in details):
            raise Unsupported("@defer or fragment arguments")
        if name == "__typename":
            return FieldPlan(key, name, details, None, parent_type, "typename")
        field_def = self.executor.schema.get_field(parent_type, name)
        if field_def is None:
            raise Unsupported(f"no field {parent_type.name}.{name}")
        plan = FieldPlan(key, name, details, field_def, parent_type, "resolve")
        self.shape(plan, field_def.type)
        strawberry = strawberry_field(field_def)
        spec: Batched | None = strawberry.metadata.get(BATCHED) if strawberry is not None else None
        if spec is not None:
            plan.spec = spec
            plan.source = "deferred" if spec.deferred else "batched" if spec.loader is not None else "value"
        elif strawberry is not None and COMPUTED in strawberry.metadata:
            plan.source, plan.compute = "computed", strawberry.metadata[COMPUTED]
        elif strawberry is not None and ITEM in strawberry.metadata:
            plan.source, plan.attribute = "item", strawberry.metadata[ITEM]
        elif (
            strawberry is not None
            and strawberry.is_basic_field
            and not strawberry.arguments
            and not strawberry.extensions
            and not strawberry.permission_classes
            and field_def.resolve is not None
        ):
            plan.source, plan.attribute = "attribute", strawberry.python_name
        if not any(_variables(a) for a in node.arguments or ()):
            try:
                plan.raw_arguments = (
                    get_argument_values(field_def, node, self.executor.variable_values)
                    if field_def.args or node.arguments
                    else {}
                )
                if spec is not None and strawberry is not None:
                    plan.python_arguments = python_arguments(self.strawberry_schema, strawberry, plan.raw_arguments)
            except Exception:  # an argument graphql-core refuses: refused per parent, when the plan runs
                plan.raw_arguments = plan.python_arguments = None
        named = _named(field_def.type)
        if not is_leaf_type(named):
            assert isinstance(named, GraphQLObjectType)
            plan.child = self.objects(named, self.executor.sub_fields(named, details))
        else:
            plan.leaf = named  # type: ignore[assignment]
        return plan

    @staticmethod
    def shape(plan: FieldPlan, type_: GraphQLOutputType) -> None:
        if isinstance(type_, GraphQLNonNull):
            plan.non_null, type_ = True, type_.of_type
        if isinstance(type_, GraphQLList):
            plan.is_list, type_ = True, type_.of_type
            if isinstance(type_, GraphQLNonNull):
                plan.item_non_null, type_ = True, type_.of_type
            if isinstance(type_, GraphQLList):
                raise Unsupported("a list of lists")
        if is_abstract_type(type_):
            raise Unsupported(f"the abstract type {type_}")


def _named(type_: GraphQLOutputType) -> GraphQLNamedType:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def compile_plan(executor: Executor, strawberry_schema: Any) -> Plan | None:
    """The plan of the executor's operation, or None when graphql-core's executor runs it."""
    operation: OperationDefinitionNode = executor.operation
    if operation.operation is not OperationType.QUERY:
        return None
    root_type = executor.schema.query_type
    if root_type is None:
        return None
    compiler = _Compiler(executor, strawberry_schema)
    try:
        return Plan(compiler.objects(root_type, executor.root_fields(root_type)))
    except Unsupported:
        return None
    except RecursionError:  # deeper than the guard allows, or graphql-core's own collection says so
        return None
