"""State Operations: start, complete, transition, query states and one state."""

from __future__ import annotations

from starlette.responses import Response

from contextgraph.compat_rest import render
from contextgraph.compat_rest.binding import Call
from contextgraph.compat_rest.conditional import versioned
from contextgraph.compat_rest.http import created, given, names, ok_empty, path_status, present, read_json
from contextgraph.resolvers.journeys.query import Include


async def start_state(call: Call) -> Response:
    service_id = call.params["service_id"]
    state_id = await call(service_id=service_id, body=await read_json(call.request))
    return created(call.request, f"/services/{service_id}/states/{state_id}", {"state_id": state_id})


async def complete_state(call: Call) -> Response:
    body = await read_json(call.request, optional=True)
    await call(service_id=call.params["service_id"], state_id=call.params["state_id"], body=body)
    return ok_empty()


async def transition(call: Call) -> Response:
    service_id = call.params["service_id"]
    state_id = await call(service_id=service_id, body=await read_json(call.request))
    return created(call.request, f"/services/{service_id}/states/{state_id}", {"state_id": state_id})


async def service_states(call: Call) -> Response:
    request = call.request
    tasks = Include.model_validate(given(request, "active_tasks", "completed_tasks"))
    trees = await call(
        service_id=call.params["service_id"],
        status=path_status(request),
        types=names(request, "state_types", "state_type"),
        include=tasks,
        extensions=names(request, "extensions") or [],
    )
    return present(request, "State", [render.state(t, tasks.active_tasks, tasks.completed_tasks) for t in trees])


async def get_state(call: Call) -> Response:
    request = call.request
    tasks = Include.model_validate(given(request, "active_tasks", "completed_tasks"))
    tree = await call(
        service_id=call.params["service_id"],
        state_id=call.params["state_id"],
        include=tasks,
        extensions=names(request, "extensions") or [],
    )
    answer = present(request, "State", render.state(tree, tasks.active_tasks, tasks.completed_tasks))
    return versioned(call, answer, tree.state.version)
