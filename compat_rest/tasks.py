"""Task Operations: start, complete, query tasks and one task."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from contextgraph.compat_rest import render
from contextgraph.compat_rest.http import created, ctx, integer, names, no_content, path_status, present, read_json
from contextgraph.resolvers.journeys import tasks


async def start_task(request: Request) -> Response:
    service_id = request.path_params["service_id"]
    task_id = await tasks.start_task(ctx(request), service_id, await read_json(request))
    return created(request, f"/services/{service_id}/tasks/{task_id}", {"task_id": task_id})


async def complete_task(request: Request) -> Response:
    body = await read_json(request, optional=True)
    p = request.path_params
    await tasks.complete_task(ctx(request), p["service_id"], p["task_id"], body)
    return no_content()


async def service_tasks(request: Request) -> Response:
    views = await tasks.service_tasks(
        ctx(request), request.path_params["service_id"], path_status(request),
        names(request, "task_types", "task_type"), integer(request, "state_id"), names(request, "extensions") or [],
    )  # fmt: skip
    return present(request, "Task", [render.task(v) for v in views])


async def get_task(request: Request) -> Response:
    p = request.path_params
    view = await tasks.get_task(ctx(request), p["service_id"], p["task_id"], names(request, "extensions") or [])
    return present(request, "Task", render.task(view))
