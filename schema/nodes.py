"""The Relay roots `node(id:)` and `nodes(ids:)`: any Customer, Service, State, Task or Interaction
by its global id. Each is role-checked as its type's own read (the catalog's readProfile,
readService, readState, readTask, readInteraction) by the guard, before anything runs; a node that
does not exist (or whose id names another service than its own) is null. `nodes` takes at most
`graphql_max_list` ids and loads them one statement per type, whatever their number.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import strawberry

from contextgraph.resolvers import interactions
from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.journeys import services, states, tasks
from contextgraph.resolvers.operation import Operation
from contextgraph.resolvers.profiles import profiles
from contextgraph.schema import relay
from contextgraph.schema.binding import SIZE, binds
from contextgraph.schema.loaders import Loaders, loaders
from contextgraph.schema.types import Customer, Interaction, Node

# Each type's own read: its roles are the node's.
_READS: dict[str, Operation] = {  # type: ignore[type-arg]
    "Customer": profiles.get_profile,
    "Service": services.get_service,
    "State": states.get_state,
    "Task": tasks.get_task,
    "Interaction": interactions.get_interaction,
}
_IDS = "The global ids (the `id` of any Customer, Service, State, Task or Interaction)."


def _types(args: Mapping[str, Any]) -> list[str]:
    return list(dict.fromkeys(relay.parse(given, "ids")[0] for given in args["ids"]))


def _count(args: Mapping[str, Any], cap: int) -> int:
    if not 1 <= len(args["ids"]) <= cap:
        raise BadParameter("ids", f"give between 1 and {cap} ids, not {len(args['ids'])}")
    return len(args["ids"])


async def _found(found: Loaders, type_name: str, parts: tuple[Any, ...]) -> Any:
    if type_name == "Customer":
        profile = await found.profile.load(parts[0])
        return Customer.of(profile) if profile is not None else None
    if type_name == "Interaction":
        recorded = await found.interaction.load(parts[0])
        return Interaction.of(recorded) if recorded is not None else None
    if type_name == "Service":
        return await found.service.load(parts[0])
    record = await (found.state if type_name == "State" else found.task).load(parts[1])
    return record if record is not None and record.service_id == parts[0] else None


async def nodes_of(info: strawberry.Info, ids: Sequence[Any], field: str) -> list[Any]:
    parsed = [relay.parse(given, field) for given in ids]
    found = loaders(info)
    return list(await asyncio.gather(*(_found(found, type_name, parts) for type_name, parts in parsed)))


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="Any object with a global id, by that id (null when there is none).",
        metadata=binds(_READS, by=lambda args: relay.parse(args["id"])[0]),
    )
    async def node(self, info: strawberry.Info, id: strawberry.ID) -> Node | None:
        return (await nodes_of(info, [id], "id"))[0]

    @strawberry.field(
        description="Objects by their global ids, in the order given (null for each that does not exist).",
        metadata=binds(_READS, by=_types) | {SIZE: _count},
    )
    async def nodes(self, info: strawberry.Info, ids: list[strawberry.ID]) -> list[Node | None]:
        return await nodes_of(info, ids, "ids")
