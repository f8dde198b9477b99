"""Generated code: for each selection set of a compiled plan, one function that builds the response
objects of a whole level from the objects the level's load made —

    def build(values, c):
        return [{K0: T, K1: (v if (v := p.id).__class__ is int and -2147483648 <= v <= 2147483647 else L1(v)),
                 K2: None, ...} for p in values]

— plain leaf fields read and checked inline (a value of exactly the scalar's Python type and range
is what graphql-core's output coercion answers unchanged; anything else goes through that coercion),
`__typename` as a constant, and a `None` placeholder keeping the response order for each field the
executor fills in afterwards (nested lists, links, extensions).

Generated code never holds client text: response keys, type names and coercions are constants of
the function's namespace (K…, T, L…; F… the functions of computed fields, given the object and
`c`, the request's Loaders); attribute names are
Python identifiers of our own schema. A
value that cannot be built this way (a null in a non-null field, a value the scalar refuses) raises,
and the executor builds that level field by field as graphql-core would, with its errors.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Sequence
from typing import Any

from graphql import GraphQLBoolean, GraphQLFloat, GraphQLID, GraphQLInt, GraphQLString, Undefined

FieldPlan = Any  # schema/plans.py's (which imports this module)

# graphql-core scalars whose output coercion returns a value of exactly this class, in this range, unchanged
_EXACT = {
    GraphQLString: ("str", ""),
    GraphQLID: ("str", ""),
    GraphQLBoolean: ("bool", ""),
    GraphQLInt: ("int", " and -2147483648 <= v <= 2147483647"),
    GraphQLFloat: ("float", " and -INF < v < INF"),
}


class NotBuilt(Exception):
    """A value the generated code does not build: the level is built field by field instead."""


def _strict(coerce: Callable[[Any], Any], non_null: bool) -> Callable[[Any], Any]:
    def leaf(value: Any) -> Any:
        if value is None:
            if non_null:
                raise NotBuilt
            return None
        result = coerce(value)
        if result is None or result is Undefined:
            raise NotBuilt
        return result

    return leaf


def _expression(n: int, plan: FieldPlan, namespace: dict[str, Any]) -> str | None:
    if plan.source == "typename":
        return "T"
    if plan.source == "computed" and not plan.is_list and plan.leaf is not None:
        namespace[f"F{n}"] = plan.compute
        read = f"F{n}(p, c)"
    elif plan.source not in ("attribute", "item") or plan.is_list or plan.leaf is None or plan.attribute is None:
        return None
    elif plan.source == "item":
        namespace[f"A{n}"] = plan.attribute
        read = f"p.get(A{n})"
    elif (name := plan.attribute).isidentifier() and not keyword.iskeyword(name) and not name.startswith("__"):
        read = f"p.{name}"
    else:
        namespace[f"A{n}"] = name
        read = f"getattr(p, A{n})"
    namespace[f"L{n}"] = _strict(plan.leaf.coerce_output_value, plan.non_null)
    assert plan.field_def is not None
    named: Any = plan.field_def.type.of_type if plan.non_null else plan.field_def.type  # type: ignore[union-attr]
    exact = _EXACT.get(named)
    if exact is None:
        checked = f"L{n}(v)"
    else:
        cls, condition = exact
        checked = f"v if v.__class__ is {cls}{condition} else L{n}(v)"
    if plan.non_null:
        return f"({checked.replace('v.__class__', f'(v := {read}).__class__', 1)})" if exact else f"L{n}({read})"
    return f"(None if (v := {read}) is None else {checked})"


def generated_builder(type_name: str, fields: Sequence[FieldPlan]) -> tuple[Callable[..., Any], list[FieldPlan]]:
    """The build function of a selection set on `type_name`, and the fields it fills in itself."""
    namespace: dict[str, Any] = {"T": type_name, "INF": float("inf")}
    items: list[str] = []
    built: list[FieldPlan] = []
    for n, plan in enumerate(fields):
        namespace[f"K{n}"] = plan.key
        expression = _expression(n, plan, namespace)
        if expression is not None:
            built.append(plan)
        items.append(f"K{n}: {expression or 'None'}")
    source = f"def build(values, c):\n    return [{{{', '.join(items)}}} for p in values]\n"
    exec(compile(source, f"<plan of {type_name}>", "exec"), namespace)  # our own text: see above
    build: Callable[..., Any] = namespace["build"]
    return build, built
