"""Following a journey live: the events of one customer's services, or of one service; with
`after` (the sequence of the last event a subscriber saw), first the events it missed since.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from contextgraph.resolvers.context import Context
from contextgraph.resolvers.errors import BadParameter, Gone
from contextgraph.resolvers.journeys import loads
from contextgraph.resolvers.journeys.records import ServiceRecord
from contextgraph.resolvers.operation import Input, operation
from contextgraph.resolvers.server.live import Follower, JourneyEvent
from contextgraph.resolvers.store import journal
from contextgraph.resolvers.values import Id, Long

_RELOAD = "reload the journey, then subscribe without 'after'"


class FollowJourney(Input):
    customer_id: Id | None = None
    service_id: Long | None = None
    after: Annotated[int, Field(ge=0, le=2**63 - 1)] | None = None


@operation("followJourney", tasks=("UCS.Service.readService",), input=FollowJourney)
async def follow_journey(ctx: Context, input: FollowJourney) -> Follower:
    """The events of one customer's journey, or of one service's, from now on; with `after`, first
    those since that sequence (at most `journey_replay_limit`, else 410: reload). The caller
    closes the follower it gets when done."""
    if (input.customer_id is None) == (input.service_id is None):
        raise BadParameter("customerId", "give a customerId or a serviceId")
    rows = await ctx.rows(alone=True)  # the subject must exist (and the server be in production mode)
    if input.customer_id is not None:
        await loads.require_customer(rows, input.customer_id)
    else:
        assert input.service_id is not None
        await loads.one(rows, ServiceRecord, input.service_id)
    # Registered before reading what it missed: what commits meanwhile is in one or both, never neither.
    follower = ctx.live.follow(customer_id=input.customer_id, service_id=input.service_id)
    try:
        if input.after is not None:
            follower.replay(await _missed(ctx, input, input.after))
    except BaseException:
        follower.close()
        raise
    return follower


async def _missed(ctx: Context, input: FollowJourney, after: int) -> list[JourneyEvent]:
    limit = ctx.settings.journey_replay_limit
    # Fresh reads, not the request's session: its snapshot may predate the subscription.
    async with ctx.db.reader.session(snapshot=False) as rows:
        found = await journal.after(rows, after, limit + 1, customer_id=input.customer_id, service_id=input.service_id)
        # Read after the events: a purge that committed before them has moved this mark already.
        purged_through, newest = await journal.extent(rows)
    if after < purged_through:
        hours = ctx.settings.journey_event_retention / 3600
        raise Gone(f"the events after {after} are no longer kept (they are kept {hours:g} hours); {_RELOAD}")
    if after > newest:
        raise Gone(f"there is no event {after} (the newest is {newest}); {_RELOAD}")
    if len(found) > limit:
        raise Gone(f"more than {limit} events happened after {after}, more than a subscription replays; {_RELOAD}")
    return [JourneyEvent(**row) for row in found]
