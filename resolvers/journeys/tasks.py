"""Task operations: start, complete, and the task queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.context import Context
from contextgraph.resolvers.extensions.values import check_extensions, extension_values, schemas_named, write_extensions
from contextgraph.resolvers.journeys import records as journeys
from contextgraph.resolvers.journeys.events import TASK_END, TASK_START, Event, parse_event
from contextgraph.resolvers.journeys.records import Status, TaskRecord
from contextgraph.resolvers.metadata.extension_schema import ExtensionSchema
from contextgraph.resolvers.values import int32


async def insert_task(conn: AsyncConnection, service_id: int, event: Event) -> int:
    """Start a task in an active service, inside one of its active states if `state_id` is given."""
    service = await journeys.fetch_service(conn, service_id, lock=True)
    journeys.require_active("service", service)
    state_id = event.fields.get("state_id")
    if state_id is not None:
        journeys.require_active("state", await journeys.fetch_state(conn, service_id, state_id))
    return await journeys.insert_started(conn, "task", event, "task_type", service_id=service_id, state_id=state_id)


async def start_task(ctx: Context, service_id: int, body: Any) -> int:
    event = parse_event(body, TASK_START, required=("task_type",))
    checked = check_extensions(ctx, "task", event.extensions)
    async with ctx.write() as conn:
        task_id = await insert_task(conn, service_id, event)
        await write_extensions(conn, task_id, checked)
    await ctx.live.publish("task", "started", service_id, task_id=task_id)
    return task_id


async def complete_task(ctx: Context, service_id: int, task_id: int, body: Any) -> None:
    """Complete a task; a `state_id` in the end event attaches it to that state of the service."""
    event = parse_event(body if body is not None else {}, TASK_END)
    checked = check_extensions(ctx, "task", event.extensions, action="update")
    async with ctx.write() as conn:
        task = await journeys.fetch_task(conn, service_id, task_id, lock=True)
        columns: dict[str, Any] = {}
        if "state_id" in event.fields:
            columns["state_id"] = (await journeys.fetch_state(conn, service_id, event.fields["state_id"])).id
        await journeys.complete(conn, "task", task, event, **columns)
        await write_extensions(conn, task_id, checked)
    await ctx.live.publish("task", "completed", service_id, task_id=task_id)


@dataclass
class TaskView:
    """A task with its service's customer id (top-level answers) and the extensions asked for."""

    task: TaskRecord
    customer_id: str | None = None
    extensions: dict[str, Any] | None = None


async def _views(
    conn: AsyncConnection, tasks: list[TaskRecord], schemas: list[ExtensionSchema], customer_id: str | None = None
) -> list[TaskView]:
    views = [TaskView(t, customer_id) for t in tasks]
    if schemas:
        values = await extension_values(conn, schemas, [t.id for t in tasks])
        for view in views:
            view.extensions = values.get(str(view.task.id), {})
    return views


async def service_tasks(
    ctx: Context, service_id: int, status: Status = Status.ALL, types: Sequence[str] | None = None,
    state_id: int | None = None, extensions: Sequence[str] = (),
) -> list[TaskView]:  # fmt: skip
    if state_id is not None:
        int32("state_id", state_id)
    schemas = schemas_named(ctx.metadata, "task", extensions)
    async with ctx.read() as conn:
        await journeys.fetch_service(conn, service_id)
        tasks = (await journeys.tasks_of_services(conn, [service_id], status, types, state_id))[service_id]
        return await _views(conn, tasks, schemas)


async def get_task(ctx: Context, service_id: int, task_id: int, extensions: Sequence[str] = ()) -> TaskView:
    """The task, with its service's customer id."""
    schemas = schemas_named(ctx.metadata, "task", extensions)
    async with ctx.read() as conn:
        service = await journeys.fetch_service(conn, service_id)
        task = await journeys.fetch_task(conn, service_id, task_id)
        return (await _views(conn, [task], schemas, service.customer_id))[0]
