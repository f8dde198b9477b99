"""Retried starts: an operation declared with `replay` (the starts) and sent with an idempotency key
runs once per API key and key. Its result is kept in the database (every worker sees it) by the
write's own transaction, for `idempotency_ttl` seconds; a retry with the same input answers that
result without writing; the same key with another input is 409.

Two requests with one key at once may both run, but only one transaction can keep the key (its
primary key; on PostgreSQL the second waits for the first to commit, on SQLite it starts after it):
the other rolls back all it wrote and answers the first one's result. The key is checked inside the
transaction before anything runs, so a retry after the first has committed writes nothing at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import orjson
from pydantic import BaseModel

from contextgraph.resolvers.context import Context
from contextgraph.resolvers.errors import Conflict
from contextgraph.resolvers.store import idempotency_keys
from contextgraph.resolvers.timefmt import now_ms


class Start(Protocol):
    """What this module needs of a catalog operation (resolvers/operation.py)."""

    @property
    def name(self) -> str: ...

    @property
    def replay(self) -> Callable[[Any], Any] | None: ...

    @property
    def run(self) -> Callable[[Context, Any], Awaitable[Any]]: ...


class _Taken(Exception):
    """Another request with this key committed first: roll back, answer its result."""

    def __init__(self, found: tuple[str, Any] | None) -> None:
        self.found = found


def fingerprint(name: str, given: BaseModel | Mapping[str, Any]) -> str:
    """What "the same request" means: the operation and its input (its JSON, keys sorted)."""
    data = given.model_dump(mode="json") if isinstance(given, BaseModel) else given
    text = orjson.dumps({"operation": name, "input": data}, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(text).hexdigest()


def _replay(ctx: Context, operation: Start, found: tuple[str, Any], mine: str) -> Any:
    key = ctx.conditions.idempotency_key
    if found[0] != mine:
        raise Conflict(f"the Idempotency-Key '{key}' was sent before with another request; use a new key for it")
    ctx.conditions.replayed = True
    assert operation.replay is not None
    return operation.replay(found[1])


async def once(ctx: Context, operation: Start, given: Any, input: BaseModel) -> Any:
    """Run `operation` under the request's idempotency key (see the module's docstring)."""
    conditions, principal = ctx.conditions, ctx.principal.key_id
    key, mine = conditions.idempotency_key, fingerprint(operation.name, given)
    assert key is not None
    try:
        async with ctx.write() as conn:
            await idempotency_keys.forget_expired(conn, principal, key, now_ms())
            found = await idempotency_keys.recall(conn, principal, key, now_ms())
            if found is not None:
                raise _Taken(found)
            conditions.held = conn  # the operation's own writes join this transaction
            try:
                result = await operation.run(ctx, input)
            finally:
                conditions.held = None
            stored = orjson.loads(orjson.dumps(result))  # dataclasses as plain JSON
            until = now_ms() + int(ctx.settings.idempotency_ttl * 1000)
            if not await idempotency_keys.remember(conn, principal, key, mine, stored, until):
                raise _Taken(None)
    except _Taken as taken:
        found = taken.found
        if found is None:
            async with ctx.db.read(snapshot=False) as conn:
                found = await idempotency_keys.recall(conn, principal, key, now_ms())
        if found is None:  # the first one's key expired in between: a retry starts afresh
            raise Conflict(f"the Idempotency-Key '{key}' was in use by another request; retry") from None
        return _replay(ctx, operation, found, mine)
    return result
