"""The dedicated extension operations of services, states and tasks: lock the owner, change its
records (extensions/records.py), then tell the journey's subscribers. One operation per kind and
action, each with its own task (UCS.Service.updateStateExtension, …).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.access.roles import extension_task
from contextgraph.resolvers.context import Context
from contextgraph.resolvers.extensions import records
from contextgraph.resolvers.extensions.values import extension_values, schemas_named
from contextgraph.resolvers.journeys import records as journeys
from contextgraph.resolvers.operation import Input, Operation
from contextgraph.resolvers.values import Long
from contextgraph.resolvers.versions import Journey, touch


class JourneyExtension(Input):
    """An extension of a service (`owner_id` None), or of one of its states or tasks."""

    service_id: Long
    owner_id: int | None = None
    name: str
    body: Any = None


async def _lock(conn: AsyncConnection, kind: str, service_id: int, owner_id: int | None) -> dict[str, Any]:
    """Lock the owner row (404 when missing); answers the ids its events name (a task's state too)."""
    if kind == "service":
        await journeys.fetch_service(conn, service_id, lock=True)
        return {}
    assert owner_id is not None
    if kind == "state":
        return {"state_id": (await journeys.fetch_state(conn, service_id, owner_id, lock=True)).id}
    task = await journeys.fetch_task(conn, service_id, owner_id, lock=True)
    return {"task_id": task.id, "state_id": task.state_id}


def _journey(kind: str, service_id: int, owner_id: int | None) -> Journey:
    if kind == "service" or owner_id is None:
        return Journey(service_id)
    return Journey(service_id, state_id=owner_id) if kind == "state" else Journey(service_id, task_id=owner_id)


def _operation(kind: str, action: str, change: Any, summary: str) -> Operation[JourneyExtension, None]:
    async def run(ctx: Context, input: JourneyExtension) -> None:
        schema = records.schema_of(ctx, kind, input.name)
        apply = change(ctx, schema, input.body)
        async with ctx.write() as conn:
            await touch(ctx, conn, _journey(kind, input.service_id, input.owner_id))
            ids = await _lock(conn, kind, input.service_id, input.owner_id)
            await apply(conn, str(ids.get(f"{kind}_id", input.service_id)))
            await ctx.publish(conn, kind, "extension_changed", input.service_id, extension=schema.name, **ids)

    task = extension_task("delete" if action == "delete" else "update", kind)
    name = f"{action}{kind.capitalize()}Extension" + ("Record" if action != "replace" else "")
    return Operation(name, summary.format(kind=kind), (task,), JourneyExtension, run)


# replaceServiceExtension, updateStateExtensionRecord, deleteTaskExtensionRecord, …
REPLACE = {
    kind: _operation(kind, "replace", records.replacing, "Replace the value of a {kind} extension.")
    for kind in ("service", "state", "task")
}
UPDATE = {
    kind: _operation(
        kind,
        "update",
        records.updating,
        "Update the {kind} extension record its unique attributes name; they themselves stay.",
    )
    for kind in ("service", "state", "task")
}
DELETE = {
    kind: _operation(kind, "delete", records.deleting, "Delete the {kind} extension record its unique attributes name.")
    for kind in ("service", "state", "task")
}


class ReadJourneyExtensions(Input):
    owner_ids: tuple[int, ...]
    extensions: tuple[str, ...] = ()  # none: every one


def _read(kind: str) -> Operation[ReadJourneyExtensions, dict[str, dict[str, Any]]]:
    async def run(ctx: Context, input: ReadJourneyExtensions) -> dict[str, dict[str, Any]]:
        names = input.extensions or tuple(s.name for s in ctx.metadata.of_kind(kind))
        schemas = schemas_named(ctx.metadata, kind, names)
        return await extension_values(await ctx.rows(), schemas, list(input.owner_ids))

    return Operation(
        f"read{kind.capitalize()}Extensions",
        f"The extension values of {kind}s, by {kind} id.",
        (extension_task("read", kind),),
        ReadJourneyExtensions,
        run,
    )


READ = {kind: _read(kind) for kind in ("service", "state", "task")}
