"""How a GraphQL field binds to the catalog: every field that resolves anything (a root field, a
nested list, a link to another resource) names the operation it stands for, and the guard checks
that operation's roles for the whole document before anything runs. A plain field of an object is
part of the read that made the object.

    @strawberry.field(metadata=binds(services.get_service))
    @strawberry.mutation(metadata=binds(REPLACE, by=lambda args: args["owner"]["kind"]))

`by` picks one of several operations from the field's arguments (as graphql-core coerced them),
where one GraphQL field stands for an operation per kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.operation import Operation

BINDING = "contextgraph.binding"
# Field metadata: (arguments, list cap) -> how many objects the field answers, for the guard's cost
# (None: as many as a list without `first`); it refuses (a ContextError) arguments outside their
# range. Lists without it count `first`.
SIZE = "contextgraph.size"


@dataclass(frozen=True)
class Binding:
    operations: Mapping[str, Operation]  # type: ignore[type-arg]
    by: Callable[[Mapping[str, Any]], Any] | None = None
    # The operation's input as the arguments give it, where its roles depend on it (a kind).
    input: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None

    def operation(self, args: Mapping[str, Any], by: Callable[[Mapping[str, Any]], Any] | None = None) -> Operation:  # type: ignore[type-arg]
        """The operation the field stands for, with these arguments."""
        by = by or self.by
        if by is None:
            return next(iter(self.operations.values()))
        choice = by(args)
        key = choice.value if isinstance(choice, Enum) else str(choice)
        try:
            return self.operations[key]
        except KeyError:
            raise BadParameter("kind", f"'{key}' is not one of {', '.join(self.operations)}") from None

    def tasks(self, args: Mapping[str, Any]) -> tuple[str, ...]:
        if self.by is not None and isinstance(choices := self.by(args), list | tuple | set | frozenset):
            # a field standing for several operations at once (nodes of several types): all their roles
            needed: dict[str, None] = {}
            for choice in choices:
                needed |= dict.fromkeys(self.operation({"_": choice}, lambda a: a["_"]).tasks)
            return tuple(needed)
        operation = self.operation(args)
        if self.input is None:
            return operation.tasks
        return operation.needs(operation.parse(self.input(args)))


def binds(
    operation: Operation | Mapping[str, Operation],
    *,  # type: ignore[type-arg]
    by: Callable[[Mapping[str, Any]], Any] | None = None,
    input: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None,
) -> dict[str, Binding]:
    """Field metadata naming the catalog operation(s) the field stands for."""
    operations = operation if isinstance(operation, Mapping) else {operation.name: operation}
    return {BINDING: Binding(operations, by, input)}


def kind_of(args: Mapping[str, Any]) -> dict[str, Any]:
    """The input of an operation whose roles depend on the `kind` argument alone."""
    kind = args["kind"]
    return {"kind": kind.value if isinstance(kind, Enum) else kind}


def binding_of(metadata: Mapping[str, Any] | None) -> Binding | None:
    found: Binding | None = (metadata or {}).get(BINDING)
    return found
