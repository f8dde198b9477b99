"""Extension operations: replace an extension's value, and update or delete one record found by its
unique attributes, for profiles, services, states and tasks.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from contextgraph.compat_rest.http import ctx, no_content, ok_empty, read_json
from contextgraph.resolvers.journeys import extension_records as journey_records
from contextgraph.resolvers.profiles import extension_records as profile_records


def _owner(request: Request) -> tuple[str, tuple[Any, int | None]]:
    p = request.path_params
    if "customer_id" in p:
        return "profile", (p["customer_id"], None)
    if "state_id" in p:
        return "state", (p["service_id"], p["state_id"])
    if "task_id" in p:
        return "task", (p["service_id"], p["task_id"])
    return "service", (p["service_id"], None)


async def replace(request: Request) -> Response:
    kind, owner = _owner(request)
    name, body = request.path_params["name"], await read_json(request)
    if kind == "profile":
        await profile_records.replace_extension(ctx(request), owner[0], name, body)
    else:
        await journey_records.replace_extension(ctx(request), kind, owner, name, body)
    return ok_empty()


async def update_by_unique(request: Request) -> Response:
    kind, owner = _owner(request)
    name, body = request.path_params["name"], await read_json(request)
    if kind == "profile":
        await profile_records.update_record(ctx(request), owner[0], name, body)
    else:
        await journey_records.update_record(ctx(request), kind, owner, name, body)
    return no_content()


async def delete_by_unique(request: Request) -> Response:
    kind, owner = _owner(request)
    name, body = request.path_params["name"], await read_json(request)
    if kind == "profile":
        await profile_records.delete_record(ctx(request), owner[0], name, body)
    else:
        await journey_records.delete_record(ctx(request), kind, owner, name, body)
    return no_content()


async def insert_profile_extensions(request: Request) -> Response:
    body = await read_json(request)
    await profile_records.insert_profile_extensions(ctx(request), request.path_params["customer_id"], body)
    return ok_empty()
