"""Admission: what every GraphQL operation passes before the guard, whatever carried it (an HTTP
request, a websocket message, an event stream), so that one implementation limits them all.

- The key is looked up again: a key revoked since the connection opened runs nothing more
  (NotAuthorized), and a key whose roles changed is checked by the guard with its roles of now.
- The rate limit (app/ratelimit.py, one bucket per key) is spent once per HTTP request by the
  authentication middleware, and here once per operation that rides an open websocket, so 1 500
  operations on one socket cost what 1 500 requests cost (TooManyRequests, the socket stays open).
- Each operation gets a context of its own (its principal, its loaders and read session): the
  operations of one websocket never share a read session or an answer-size count.

The time limit (`graphql_timeout`) is the front door's, around every query and mutation.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, Protocol

from contextgraph.resolvers.access.keys import KEY_REVOKED
from contextgraph.resolvers.access.roles import Principal
from contextgraph.resolvers.errors import NotAuthorized
from contextgraph.schema.loaders import Loaders


class Limiter(Protocol):
    def take(self, key_id: str) -> None: ...


def admit(context: Any) -> Any:
    """The operation's own context, or a ContextError refusing it."""
    if not isinstance(context, dict):
        return context
    principal: Principal | None = context.get("principal")
    if principal is None:  # the guard refuses it (no principal, no access)
        return context
    runtime = context["runtime"]
    current = runtime.keyring.current(principal.key_id)
    if current is None:
        raise NotAuthorized(KEY_REVOKED)
    request = context.get("request")
    if request is None or request.scope["type"] != "websocket":
        if current == principal:
            return context
        return context | {"principal": current, "loaders": Loaders(runtime.context(current), context["settings"])}
    limiter: Limiter | None = context.get("limiter")
    if limiter is not None:
        limiter.take(current.key_id)
    return context | {"principal": current, "loaders": Loaders(runtime.context(current), context["settings"])}


async def until_revoked(events: AsyncIterator[Any], context: Any) -> AsyncGenerator[Any, None]:
    """A subscription's events until its key is revoked; then NotAuthorized (the stream's last
    answer), within the keyring's refresh of the revocation."""
    principal: Principal | None = context.get("principal") if isinstance(context, dict) else None
    if principal is None:
        async for event in events:
            yield event
        return
    revoked = asyncio.Event()
    unwatch = context["runtime"].keyring.watch(principal.key_id, revoked.set)
    waiting = asyncio.ensure_future(revoked.wait())
    coming: asyncio.Future[Any] | None = None
    try:
        while True:
            coming = asyncio.ensure_future(anext(events))
            await asyncio.wait({coming, waiting}, return_when=asyncio.FIRST_COMPLETED)
            if not coming.done():
                raise NotAuthorized(KEY_REVOKED)
            try:
                event = coming.result()
            except StopAsyncIteration:
                return
            yield event
    finally:
        unwatch()
        waiting.cancel()
        if coming is not None:
            # The wait for the next event is a task of its own: left running when the client goes
            # (the subscription cancelled), it would hold the event source, the socket and its
            # context for as long as the source stays quiet, forever for a quiet service.
            await _cancelled(coming)


async def _cancelled(task: asyncio.Future[Any]) -> None:
    """`task` cancelled and finished, its outcome read (whatever it was, nobody is waiting for it)."""
    task.cancel()
    await asyncio.wait({task})  # a cancellation of our own still reaches us
    if not task.cancelled():
        task.exception()
