"""Subscriptions (graphql-transport-ws at /graphql): the live events of one customer's or one
service's journey, each with the resource it concerns, read fresh.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.journeys import records as journeys
from contextgraph.resolvers.profiles import profiles
from contextgraph.resolvers.server import live
from contextgraph.schema.loaders import Loaders, loaders
from contextgraph.schema.scalars import Long
from contextgraph.schema.types import Service


@strawberry.type(description="Something happened in a journey.")
class JourneyEvent:
    kind: str = strawberry.field(description="service, state or task")
    action: str = strawberry.field(description="started, completed, transitioned, associated or extension_changed")
    service_id: Long
    customer_id: str | None
    state_id: int | None
    task_id: int | None
    extension: str | None
    at: str = strawberry.field(description="When the server published it.")

    @strawberry.field(description="The service as it is now.")
    async def service(self, info: strawberry.Info) -> Service | None:
        record = await loaders(info).service.load(self.service_id)
        return Service.of(record) if record is not None else None


@strawberry.type
class Subscription:
    @strawberry.subscription(description="The events of one customer's journey, or of one service's.")
    async def journey(
        self, info: strawberry.Info, customer_id: str | None = None, service_id: Long | None = None
    ) -> AsyncGenerator[JourneyEvent, None]:
        ctx = loaders(info).ctx
        if (customer_id is None) == (service_id is None):
            raise BadParameter("customerId", "give a customerId or a serviceId")
        async with ctx.read() as conn:  # the subject must exist (and the server be in production mode)
            if customer_id is not None:
                await profiles.require_customer(conn, customer_id)
            else:
                assert service_id is not None
                await journeys.fetch_service(conn, service_id)
        async for event in ctx.live.subscribe(customer_id=customer_id, service_id=service_id):
            info.context["loaders"] = Loaders(ctx, loaders(info).settings)  # each event reads the journey afresh
            yield _graphql_event(event)


def _graphql_event(event: live.JourneyEvent) -> JourneyEvent:
    return JourneyEvent(kind=event.kind, action=event.action, service_id=Long(event.service_id),
                        customer_id=event.customer_id, state_id=event.state_id, task_id=event.task_id,
                        extension=event.extension, at=event.at)  # fmt: skip
