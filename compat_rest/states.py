"""State Operations: start, complete, transition, query states and one state."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from contextgraph.compat_rest import render
from contextgraph.compat_rest.http import created, ctx, flag, names, ok_empty, path_status, present, read_json
from contextgraph.resolvers.journeys import states
from contextgraph.resolvers.journeys.records import Status


def _task_flags(request: Request) -> tuple[bool, bool]:
    return flag(request, "active_tasks"), flag(request, "completed_tasks")


async def start_state(request: Request) -> Response:
    service_id = request.path_params["service_id"]
    state_id = await states.start_state(ctx(request), service_id, await read_json(request))
    return created(request, f"/services/{service_id}/states/{state_id}", {"state_id": state_id})


async def complete_state(request: Request) -> Response:
    body = await read_json(request, optional=True)
    p = request.path_params
    await states.complete_state(ctx(request), p["service_id"], p["state_id"], body)
    return ok_empty()


async def transition(request: Request) -> Response:
    service_id = request.path_params["service_id"]
    state_id = await states.transition(ctx(request), service_id, await read_json(request))
    return created(request, f"/services/{service_id}/states/{state_id}", {"state_id": state_id})


async def service_states(request: Request) -> Response:
    active, completed = _task_flags(request)
    trees = await states.service_states(
        ctx(request), request.path_params["service_id"], path_status(request),
        names(request, "state_types", "state_type"), Status.of(active, completed), names(request, "extensions") or [],
    )  # fmt: skip
    return present(request, "State", [render.state(t, active, completed) for t in trees])


async def get_state(request: Request) -> Response:
    active, completed = _task_flags(request)
    p = request.path_params
    tree = await states.get_state(
        ctx(request), p["service_id"], p["state_id"], Status.of(active, completed), names(request, "extensions") or []
    )
    return present(request, "State", render.state(tree, active, completed))
