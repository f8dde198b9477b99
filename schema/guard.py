"""What a GraphQL operation may ask, decided once before it runs: the roles its fields need, its
depth, aliases and cost; then it runs under a time limit.

One walk of the validated document (fragments walked once each, so a fragment bomb costs what it
is, not what it would expand to) gives, for the operation:
- the roles its fields need: each field that resolves anything names its catalog operation
  (schema/binding.py), whose roles are checked through `Principal.require` — as the REST routes
  check theirs;
- depth (introspection fields included), aliases, and cost: every field costs 1, and a list field
  multiplies what is below it by its `first` argument, or by `graphql_list_estimate` without one;
- the range of every list's `first` and `offset` (a negative `first` would lower the cost), and of
  every field that says how many it answers (`binding.SIZE`: a connection's `first`/`last` and
  cursors, `nodes`' ids): they are refused here.
A refusal is a GraphQL error with `code`/`status` in its extensions, and nothing has run. The time
limit (`graphql_timeout`) is kept by the front door (schema/front_door.py) around each operation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    is_composite_type,
)
from graphql.execution import VariableValues, get_argument_values, get_variable_values

from contextgraph.resolvers.access.keys import KEY_REQUIRED
from contextgraph.resolvers.access.roles import Principal
from contextgraph.resolvers.bounds import check_json
from contextgraph.resolvers.errors import BadParameter, NotAuthorized
from contextgraph.resolvers.paging import check_page
from contextgraph.schema.binding import SIZE, binding_of
from contextgraph.schema.internals import strawberry_field
from contextgraph.schema.settings import SchemaSettings as Settings


@dataclass
class Measure:
    """What a selection set asks for."""

    depth: int = 0
    cost: int = 0
    aliases: int = 0
    tasks: set[str] = field(default_factory=set)
    # How many fields read something (each bound to a catalog read): more than one needs a snapshot.
    loads: int = 0
    # Whether a variable's value moved it (a list's `first`, the `kind` a task depends on): if not,
    # it holds for every request of the same document.
    varies: bool = False


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: VariableValues,
        list_estimate: int,
        json_depth: int,
        list_cap: int,
    ) -> None:
        self.schema, self.fragments, self.variables = schema, fragments, variables
        self.list_estimate, self.json_depth, self.list_cap = list_estimate, json_depth, list_cap
        self.memo: dict[str, Measure] = {}

    def selections(self, parent: GraphQLCompositeType, selection_set: SelectionSetNode) -> Measure:
        total = Measure()
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                part = self.field(parent, node)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                part = self.selections(inner, node.selection_set)  # type: ignore[arg-type]
            else:
                assert isinstance(node, FragmentSpreadNode)
                part = self.fragment(node.name.value)
            total.depth = max(total.depth, part.depth)
            total.cost += part.cost
            total.aliases += part.aliases
            total.tasks |= part.tasks
            total.loads += part.loads
            total.varies |= part.varies
        return total

    def fragment(self, name: str) -> Measure:
        if name not in self.memo:
            definition = self.fragments[name]
            self.memo[name] = Measure()  # validation forbids cycles; this only ends a malformed one
            inner = self.schema.get_type(definition.type_condition.name.value)
            self.memo[name] = self.selections(inner, definition.selection_set)  # type: ignore[arg-type]
        return self.memo[name]

    def field(self, parent: GraphQLCompositeType, node: FieldNode) -> Measure:
        definition = self.schema.get_field(parent, node.name.value)
        measure = Measure(depth=1, cost=1, aliases=1 if node.alias else 0)
        if definition is None:
            return measure
        args = get_argument_values(definition, node, self.variables) if definition.args else {}
        check_json(args, self.json_depth)  # literals in the document: no NUL, no deeper than a body
        field = strawberry_field(definition)
        binding = binding_of(field.metadata) if field is not None else None
        if binding is not None:  # the catalog operation the field stands for: its roles
            measure.tasks.update(binding.tasks(args))
            measure.loads = 1
        named = get_named_type(definition.type)
        sized = field.metadata.get(SIZE) if field is not None else None
        listed = node.selection_set is not None and is_composite_type(named) and _is_list(definition.type)
        kind_dependent = binding is not None and binding.by is not None
        measure.varies = (kind_dependent or listed or sized is not None) and any(
            _has_variable(a.value) for a in node.arguments or ()
        )
        # A page outside its range (a connection's cursors included) is refused here, before anything
        # runs (and before its cost).
        many = 1
        if sized is not None:
            many = sized(args, self.list_cap) or self.list_estimate
        elif listed:
            check_page(args.get("first"), args.get("offset", 0), self.list_cap)
            many = args.get("first") or self.list_estimate
        if node.selection_set is not None and is_composite_type(named):
            inner = self.selections(named, node.selection_set)  # type: ignore[arg-type]
            measure.depth += inner.depth
            measure.cost += many * inner.cost
            measure.aliases += inner.aliases
            measure.tasks |= inner.tasks
            measure.loads += inner.loads
            measure.varies |= inner.varies
        return measure


def _has_variable(value: ValueNode) -> bool:
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ListValueNode):
        return any(_has_variable(v) for v in value.values)
    if isinstance(value, ObjectValueNode):
        return any(_has_variable(f.value) for f in value.fields)
    return False


def _is_list(type_: Any) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def measure(
    schema: GraphQLSchema,
    document: Any,
    operation_name: str | None,
    raw_variables: dict[str, Any] | None,
    list_estimate: int,
    json_depth: int = 32,
    list_cap: int = 1000,
) -> tuple[OperationDefinitionNode, Measure] | None:
    """The measure of the operation to run; None when graphql-core will refuse it anyway (no such
    operation, bad variables): then nothing runs and there is nothing to check.
    """
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    if len(chosen) != 1:
        return None
    operation = chosen[0]
    coerced = get_variable_values(schema, operation.variable_definitions or (), raw_variables or {})
    if isinstance(coerced, list):
        return None
    root = schema.get_root_type(operation.operation)
    if root is None:
        return None
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    walk = _Walk(schema, fragments, coerced, list_estimate, json_depth, list_cap)
    return operation, walk.selections(root, operation.selection_set)


class QueryRefused(BadParameter):
    """An operation over a configured limit (depth, aliases, cost)."""

    def __init__(self, limit: str, value: int, allowed: int) -> None:
        super().__init__("query", f"its {limit} is {value}; the server allows at most {allowed}")


def check_operation(
    settings: Settings,
    schema: GraphQLSchema,
    document: Any,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    principal: Principal | None,
) -> Measure | None:
    """Refuse (a ContextError) an operation over a limit, or one whose fields need a task the key lacks.
    Answers the measure, which `check_measure` can check again for another request of the same
    document unless it `varies` with the variables.
    """
    found = measure(
        schema,
        document,
        operation_name,
        variables,
        settings.graphql_list_estimate,
        settings.max_json_depth,
        settings.graphql_max_list,
    )
    if found is None:
        return None
    check_measure(settings, principal, found[1])
    return found[1]


def check_measure(settings: Settings, principal: Principal | None, asked: Measure) -> None:
    for limit, value, allowed in (
        ("depth", asked.depth, settings.graphql_max_depth),
        ("number of aliases", asked.aliases, settings.graphql_max_aliases),
        ("cost", asked.cost, settings.graphql_max_cost),
    ):
        if value > allowed:
            raise QueryRefused(limit, value, allowed)
    if principal is None:  # only a websocket that named no key gets this far
        raise NotAuthorized(KEY_REQUIRED)
    principal.require(*sorted(asked.tasks))
