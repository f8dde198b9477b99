"""What a mutation asks of its write beyond its input, as arguments: `ifMatch` (the `version` a
query read, as REST's If-Match carries an ETag) and, on the starts, `idempotencyKey` (as REST's
Idempotency-Key). Arguments, not the HTTP headers: a document may hold several mutations, each with
its own. The domain honours them as it does REST's (resolvers/conditions.py):

    ctx = conditioned(ctx, if_match='"3-1-a4c2e1"')  # 412 from the write if the row moved on
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from contextgraph.resolvers.conditions import Conditions
from contextgraph.resolvers.context import Context

IfMatch = Annotated[
    str | None,
    strawberry.argument(
        description="Write only if the resource is still at this version (its `version`, as read; as REST's "
        "If-Match: one or several, comma-separated, or *). A stale one is error 4120 (412) and writes nothing."
    ),
]
IdempotencyKey = Annotated[
    str | None,
    strawberry.argument(
        description="Run this start once: a retry with the same key (1 to 255 visible ASCII characters) answers "
        "the first result without writing; the same key with another input is error 4090 (409). Keys are "
        "REST's Idempotency-Key: shared with REST starts of the same API key."
    ),
]


def conditioned(ctx: Context, *, if_match: str | None = None, idempotency_key: str | None = None) -> Context:
    """`ctx` for one mutation's write, with its conditions (400 for a malformed one)."""
    if if_match is None and idempotency_key is None:
        return ctx
    return ctx.under(Conditions.of(if_match=if_match, idempotency_key_header=idempotency_key))
