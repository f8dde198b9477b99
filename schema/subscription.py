"""Subscriptions (graphql-transport-ws at /graphql): the live events of one customer's or one
service's journey (the catalog's followJourney), each with the resource it concerns, read fresh.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from starlette.requests import Request

from contextgraph.resolvers.journeys import follow
from contextgraph.resolvers.server import live
from contextgraph.schema import relay
from contextgraph.schema.binding import binds
from contextgraph.schema.loaders import Loaders, loaders
from contextgraph.schema.scalars import Long
from contextgraph.schema.types import _SERVICE, Service


@strawberry.type(description="Something happened in a journey.")
class JourneyEvent:
    kind: str = strawberry.field(description="service, state or task")
    action: str = strawberry.field(description="started, completed, transitioned, associated or extension_changed")
    service_id: Long
    customer_id: strawberry.ID | None
    state_id: int | None
    task_id: int | None
    extension: str | None
    at: str = strawberry.field(description="When the server published it.")
    sequence: Long = strawberry.field(
        description="Its place among all journey events, in commit order: pass the last one seen as "
        "`after` (or, over Server-Sent Events, it is the event's id: Last-Event-ID) to resume."
    )

    @strawberry.field(description="The service as it is now.", metadata=_SERVICE.metadata())
    async def service(self, info: strawberry.Info) -> Service | None:
        found: Service | None = await _SERVICE.one(self, info)
        return found


@strawberry.type
class Subscription:
    @strawberry.subscription(description=follow.follow_journey.summary, metadata=binds(follow.follow_journey))
    async def journey(
        self,
        info: strawberry.Info,
        customer_id: strawberry.ID | None = None,
        service_id: Long | None = None,
        after: Annotated[
            Long | None,
            strawberry.argument(
                description="The sequence of the last event seen: the events since come first (over "
                "Server-Sent Events, a Last-Event-ID header says the same)."
            ),
        ] = None,
    ) -> AsyncGenerator[JourneyEvent, None]:
        found = loaders(info)
        request = info.context.get("request")
        resume: int | str | None = after
        if after is None and isinstance(request, Request):  # an EventSource reconnecting
            resume = request.headers.get("last-event-id") or None
        values = {"customer_id": relay.customer_id(customer_id), "service_id": service_id, "after": resume}
        events: live.Follower | None = None
        try:
            try:
                events = await follow.follow_journey(found.ctx, values)
            finally:  # what it read to start (the subject exists) is read
                await found.ctx.reads.close()
            async for event in events:
                ctx = found.ctx.runtime.context(found.ctx.principal)  # each event reads the journey afresh
                info.context["loaders"] = Loaders(ctx, found.settings)
                if isinstance(request, Request):  # its SSE `next` message carries the sequence as its id
                    request.state.journey_sequence = event.sequence
                try:
                    yield _graphql_event(event)
                finally:  # its fields are answered: the event's read session ends
                    await ctx.reads.close()
        finally:  # however it ends, even before its first event, it stops receiving
            if events is not None:
                events.close()


def _graphql_event(event: live.JourneyEvent) -> JourneyEvent:
    return JourneyEvent(
        kind=event.kind,
        action=event.action,
        service_id=Long(event.service_id),
        customer_id=strawberry.ID(event.customer_id) if event.customer_id is not None else None,
        state_id=event.state_id,
        task_id=event.task_id,
        extension=event.extension,
        at=event.at,
        sequence=Long(event.sequence),
    )
