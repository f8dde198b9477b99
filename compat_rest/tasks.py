"""Task Operations: start, complete, query tasks and one task."""

from __future__ import annotations

from starlette.responses import Response

from contextgraph.compat_rest import render
from contextgraph.compat_rest.binding import Call
from contextgraph.compat_rest.conditional import versioned
from contextgraph.compat_rest.http import created, integer, names, no_content, path_status, present, read_json


async def start_task(call: Call) -> Response:
    service_id = call.params["service_id"]
    task_id = await call(service_id=service_id, body=await read_json(call.request))
    return created(call.request, f"/services/{service_id}/tasks/{task_id}", {"task_id": task_id})


async def complete_task(call: Call) -> Response:
    body = await read_json(call.request, optional=True)
    await call(service_id=call.params["service_id"], task_id=call.params["task_id"], body=body)
    return no_content()


async def service_tasks(call: Call) -> Response:
    request = call.request
    views = await call(
        service_id=call.params["service_id"],
        status=path_status(request),
        types=names(request, "task_types", "task_type"),
        state_id=integer(request, "state_id"),
        extensions=names(request, "extensions") or [],
    )
    return present(request, "Task", [render.task(v) for v in views])


async def get_task(call: Call) -> Response:
    view = await call(
        service_id=call.params["service_id"],
        task_id=call.params["task_id"],
        extensions=names(call.request, "extensions") or [],
    )
    return versioned(call, present(call.request, "Task", render.task(view)), view.task.version)
