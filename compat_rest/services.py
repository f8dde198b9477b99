"""Service Operations: start, associate, complete, query by id, anonymous and customer services."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from contextgraph.compat_rest import render
from contextgraph.compat_rest.binding import Call
from contextgraph.compat_rest.conditional import versioned
from contextgraph.compat_rest.http import created, given, names, no_content, ok_empty, path_status, present, read_json
from contextgraph.resolvers.journeys.query import Include

INCLUDE = ("active_states", "completed_states", "active_tasks", "completed_tasks")
TIMES = ("started_from", "started_to", "completed_from", "completed_to")


def include(request: Request) -> dict[str, str]:
    return given(request, *INCLUDE)


def extensions(request: Request) -> list[str]:
    return names(request, "extensions") or []


def _filter(request: Request) -> dict[str, Any]:
    return {
        "status": path_status(request),
        "service_types": names(request, "service_type", "service_types"),
        **given(request, *TIMES),
    }


async def start_service(call: Call) -> Response:
    service_id = await call(body=await read_json(call.request))
    return created(call.request, f"/services/{service_id}", {"service_id": service_id})


async def associate_service(call: Call) -> Response:
    body = await read_json(call.request, optional=True)
    await call(customer_id=call.params["customer_id"], service_id=call.params["service_id"], body=body)
    return ok_empty()


async def complete_service(call: Call) -> Response:
    await call(service_id=call.params["service_id"], body=await read_json(call.request, optional=True))
    return no_content()


async def get_service(call: Call) -> Response:
    tree = await call(
        service_id=call.params["service_id"], include=include(call.request), extensions=extensions(call.request)
    )
    answer = present(call.request, "Service", render.service(tree, Include.model_validate(include(call.request))))
    return versioned(call, answer, tree.service.version)


async def anonymous_services(call: Call) -> Response:
    request = call.request
    trees = await call(
        contact_key=call.params["contact_key"],
        filter=_filter(request),
        include=include(request),
        extensions=extensions(request),
    )
    shown = Include.model_validate(include(request))
    return present(request, "Service", [render.service(t, shown) for t in trees])


async def customer_services(call: Call) -> Response:
    request = call.request
    trees = await call(
        customer_id=call.params["customer_id"],
        filter=_filter(request),
        include=include(request),
        extensions=extensions(request),
    )
    shown = Include.model_validate(include(request))
    return present(request, "Service", [render.service(t, shown) for t in trees])
