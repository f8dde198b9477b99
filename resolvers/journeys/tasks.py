"""Task operations: start, complete, and the task queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.context import Context
from contextgraph.resolvers.extensions.values import check_extensions, extension_values, schemas_named, write_extensions
from contextgraph.resolvers.journeys import loads
from contextgraph.resolvers.journeys import records as journeys
from contextgraph.resolvers.journeys.events import Event, TaskEndEvent, TaskStartEvent
from contextgraph.resolvers.journeys.query import Names, included_tasks
from contextgraph.resolvers.journeys.records import ServiceRecord, Status, TaskRecord
from contextgraph.resolvers.metadata.extension_schema import ExtensionSchema
from contextgraph.resolvers.operation import Input, checked, operation
from contextgraph.resolvers.store.reader import Rows
from contextgraph.resolvers.values import Long, int32
from contextgraph.resolvers.versions import Journey, touch


class StartTask(Input):
    service_id: Long
    body: TaskStartEvent


class CompleteTask(Input):
    service_id: Long
    task_id: int
    body: TaskEndEvent


class ReadServiceTasks(Input):
    service_id: Long
    status: Status = Status.ALL
    types: tuple[str, ...] | None = None
    state_id: Annotated[int | None, checked(int32)] = None
    extensions: Names = ()


class ReadTask(Input):
    service_id: Long
    task_id: int
    extensions: Names = ()


def _included(input: ReadServiceTasks | ReadTask) -> list[str]:
    return included_tasks("task", extensions=input.extensions)


async def insert_task(conn: AsyncConnection, service_id: int, event: Event) -> int:
    """Start a task in an active service, inside one of its active states if `state_id` is given."""
    service = await journeys.fetch_service(conn, service_id, lock=True)
    journeys.require_active("service", service)
    state_id = event.fields.get("state_id")
    if state_id is not None:
        journeys.require_active("state", await journeys.fetch_state(conn, service_id, state_id))
    return await journeys.insert_started(conn, "task", event, "task_type", service_id=service_id, state_id=state_id)


@operation("startTask", tasks=("UCS.Service.startTask",), input=StartTask, replay=int)
async def start_task(ctx: Context, input: StartTask) -> int:
    """Start a task (POST /services/{id}/tasks/start)."""
    service_id, event = input.service_id, input.body.event
    checked = check_extensions(ctx, "task", event.extensions)
    async with ctx.write() as conn:
        await touch(ctx, conn, Journey(service_id, event.fields.get("state_id"), named="service"))
        task_id = await insert_task(conn, service_id, event)
        await write_extensions(conn, task_id, checked)
        await ctx.publish(conn, "task", "started", service_id, task_id=task_id, state_id=event.fields.get("state_id"))
    return task_id


@operation("completeTask", tasks=("UCS.Service.completeTask",), input=CompleteTask)
async def complete_task(ctx: Context, input: CompleteTask) -> None:
    """Complete a task (POST /services/{id}/tasks/{id}/end); a `state_id` in the end event attaches
    it to that state of the service."""
    service_id, task_id, event = input.service_id, input.task_id, input.body.event
    checked = check_extensions(ctx, "task", event.extensions, action="update")
    async with ctx.write() as conn:
        await touch(ctx, conn, Journey(service_id, event.fields.get("state_id"), task_id))
        task = await journeys.fetch_task(conn, service_id, task_id, lock=True)
        columns: dict[str, Any] = {}
        if "state_id" in event.fields:
            columns["state_id"] = (await journeys.fetch_state(conn, service_id, event.fields["state_id"])).id
        await journeys.complete(conn, "task", task, event, **columns)
        await write_extensions(conn, task_id, checked)
        state_id = columns.get("state_id", task.state_id)
        await ctx.publish(conn, "task", "completed", service_id, task_id=task_id, state_id=state_id)


@dataclass
class TaskView:
    """A task with its service's customer id (top-level answers) and the extensions asked for."""

    task: TaskRecord
    customer_id: str | None = None
    extensions: dict[str, Any] | None = None


async def _views(
    rows: Rows, tasks: list[TaskRecord], schemas: list[ExtensionSchema], customer_id: str | None = None
) -> list[TaskView]:
    views = [TaskView(t, customer_id) for t in tasks]
    if schemas:
        values = await extension_values(rows, schemas, [t.id for t in tasks])
        for view in views:
            view.extensions = values.get(str(view.task.id), {})
    return views


@operation("readServiceTasks", tasks=("UCS.Service.readTask",), input=ReadServiceTasks, more_tasks=_included)
async def service_tasks(ctx: Context, input: ReadServiceTasks) -> list[TaskView]:
    """The tasks of a service (of one of its states with `state_id`), oldest first."""
    service_id = input.service_id
    schemas = schemas_named(ctx.metadata, "task", input.extensions)
    rows = await ctx.rows()
    await loads.one(rows, ServiceRecord, service_id)
    if input.state_id is None:
        tasks = (await loads.tasks_of_services(rows, [service_id], input.status, input.types)).get(service_id, [])
    else:  # the tasks of one state of the service
        found = await loads.tasks_of_states(rows, [input.state_id], input.status, input.types)
        tasks = [t for t in found.get(input.state_id, []) if t.service_id == service_id]
    return await _views(rows, tasks, schemas)


@operation("readTask", tasks=("UCS.Service.readTask",), input=ReadTask, more_tasks=_included)
async def get_task(ctx: Context, input: ReadTask) -> TaskView:
    """A task of a service, with its service's customer id and the extensions asked for."""
    schemas = schemas_named(ctx.metadata, "task", input.extensions)
    rows = await ctx.rows()
    service = await loads.one(rows, ServiceRecord, input.service_id)
    task = await loads.one(rows, TaskRecord, input.task_id, input.service_id)
    return (await _views(rows, [task], schemas, service.customer_id))[0]
