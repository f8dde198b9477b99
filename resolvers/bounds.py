"""Bounds every parsed input keeps, over REST and GraphQL alike: JSON nested no deeper than
`max_json_depth`, and no NUL character in any string (PostgreSQL cannot store NUL in text and SQLite
would: both refuse it alike).
"""

from __future__ import annotations

from typing import Any

from contextgraph.resolvers.errors import MalformedBody

NUL = "\x00"


def check_json(value: Any, depth_limit: int) -> Any:
    """`value` unchanged, or MalformedBody when arrays and objects nest deeper than `depth_limit`
    or a string (key or value) holds a NUL character.
    """
    level: list[tuple[Any, int]] = [(value, 1)]
    while level:
        item, depth = level.pop()
        if isinstance(item, str):
            if NUL in item:
                raise MalformedBody("a string holds a NUL character (\\u0000)")
            continue
        if isinstance(item, dict):
            children: Any = [*item.keys(), *item.values()]
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > depth_limit:
            raise MalformedBody(f"the JSON nests deeper than {depth_limit} levels")
        level.extend((child, depth + 1) for child in children)
    return value
