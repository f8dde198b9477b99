"""Service Operations: start, associate, complete, query by id, anonymous and customer services."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from contextgraph.compat_rest import render
from contextgraph.compat_rest.http import (
    created,
    ctx,
    flag,
    names,
    no_content,
    ok_empty,
    path_status,
    present,
    read_json,
    time_ms,
)
from contextgraph.resolvers.journeys import services
from contextgraph.resolvers.journeys.services import Include, ServiceFilter


def _include(request: Request) -> Include:
    flags = ("active_states", "completed_states", "active_tasks", "completed_tasks")
    return Include(*(flag(request, f) for f in flags))


def _extensions(request: Request) -> list[str]:
    return names(request, "extensions") or []


def _filter(request: Request) -> ServiceFilter:
    return ServiceFilter(
        status=path_status(request),
        service_types=names(request, "service_type", "service_types"),
        started_from=time_ms(request, "started_from"),
        started_to=time_ms(request, "started_to"),
        completed_from=time_ms(request, "completed_from"),
        completed_to=time_ms(request, "completed_to"),
    )


async def start_service(request: Request) -> Response:
    service_id = await services.start_service(ctx(request), await read_json(request))
    return created(request, f"/services/{service_id}", {"service_id": service_id})


async def associate_service(request: Request) -> Response:
    body = await read_json(request, optional=True)
    p = request.path_params
    await services.associate_service(ctx(request), p["customer_id"], p["service_id"], body)
    return ok_empty()


async def complete_service(request: Request) -> Response:
    body = await read_json(request, optional=True)
    await services.complete_service(ctx(request), request.path_params["service_id"], body)
    return no_content()


async def get_service(request: Request) -> Response:
    include = _include(request)
    tree = await services.get_service(ctx(request), request.path_params["service_id"], include, _extensions(request))
    return present(request, "Service", render.service(tree, include))


async def anonymous_services(request: Request) -> Response:
    include, service_filter = _include(request), _filter(request)
    trees = await services.anonymous_services(
        ctx(request), request.path_params["contact_key"], service_filter, include, _extensions(request)
    )
    return present(request, "Service", [render.service(t, include) for t in trees])


async def customer_services(request: Request) -> Response:
    include, service_filter = _include(request), _filter(request)
    trees = await services.customer_services(
        ctx(request), request.path_params["customer_id"], service_filter, include, _extensions(request)
    )
    return present(request, "Service", [render.service(t, include) for t in trees])
