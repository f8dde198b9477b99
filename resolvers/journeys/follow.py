"""Following a journey live: the events of one customer's services, or of one service."""

from __future__ import annotations

from collections.abc import AsyncIterator

from contextgraph.resolvers.context import Context
from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.journeys import loads
from contextgraph.resolvers.journeys.records import ServiceRecord
from contextgraph.resolvers.operation import Input, operation
from contextgraph.resolvers.server.live import JourneyEvent
from contextgraph.resolvers.values import Id, Long


class FollowJourney(Input):
    customer_id: Id | None = None
    service_id: Long | None = None


@operation("followJourney", tasks=("UCS.Service.readService",), input=FollowJourney)
async def follow_journey(ctx: Context, input: FollowJourney) -> AsyncIterator[JourneyEvent]:
    """The events of one customer's journey, or of one service's, from now on."""
    if (input.customer_id is None) == (input.service_id is None):
        raise BadParameter("customerId", "give a customerId or a serviceId")
    rows = await ctx.rows(alone=True)  # the subject must exist (and the server be in production mode)
    if input.customer_id is not None:
        await loads.require_customer(rows, input.customer_id)
    else:
        assert input.service_id is not None
        await loads.one(rows, ServiceRecord, input.service_id)
    return ctx.live.subscribe(customer_id=input.customer_id, service_id=input.service_id)
