"""Scalars the spec needs beyond GraphQL's: 64-bit integers and "long or string" values."""

from __future__ import annotations

from typing import Any, NewType

import strawberry
from graphql import GraphQLError
from strawberry.types.scalar import ScalarDefinition

from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.values import long_or_string


def _long(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63:
        return value
    raise GraphQLError(f"Long cannot represent {value!r}: expected a 64-bit integer")


def _long_or_string(value: Any) -> Any:
    try:
        return long_or_string("value", value)
    except BadParameter as exc:
        raise GraphQLError(f"LongOrString cannot represent {value!r}: {exc.reason}") from None


Long = NewType("Long", int)
LongOrString = NewType("LongOrString", object)

SCALARS: dict[object, ScalarDefinition] = {
    Long: strawberry.scalar(
        name="Long",
        description="A 64-bit integer (service ids, durations in milliseconds).",
        serialize=_long,
        parse_value=_long,
    ),
    LongOrString: strawberry.scalar(
        name="LongOrString",
        description='A "long or string" value of the spec (types, dispositions): kept exactly as given.',
        serialize=lambda v: v,
        parse_value=_long_or_string,
    ),
}
