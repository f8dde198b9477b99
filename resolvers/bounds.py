"""Bounds every parsed input keeps, over REST and GraphQL alike: JSON nested no deeper than
`max_json_depth`, no NUL character in any string (PostgreSQL cannot store NUL in text and SQLite
would: both refuse it alike), and no more items in one request than one short transaction holds.
"""

from __future__ import annotations

from typing import Any

from contextgraph.resolvers.errors import BadParameter, MalformedBody

NUL = "\x00"

# Items one request may write: one transaction stays short (a composite start of 5 000 items held
# its transaction ~8 s; 100 take ~0.2 s). The README's "Keys, roles and limits" lists them.
COMPOSITE_ITEMS = 100  # Composite Start Events in one composite start
COMPOSITE_RECORDS = 100  # extension records one composite item writes (its service, state and task)
IMPORT_BATCH = 10_000  # a bulk import's `batch-size`: profiles per transaction


def check_count(name: str, count: int, limit: int, what: str) -> None:
    """BadParameter (400) naming `name` when a request carries more than `limit` of `what`."""
    if count > limit:
        raise BadParameter(name, f"at most {limit} {what} in one request, got {count}")


def check_text(name: str, value: str) -> str:
    """`value` unchanged, or BadParameter when it holds a NUL character (text that is no JSON string:
    a CSV field, a multipart part)."""
    if NUL in value:
        raise BadParameter(name, "holds a NUL character (\\u0000)")
    return value


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
