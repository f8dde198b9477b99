"""Server Operations: status and mode; and the composite start of spec/003."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from contextgraph.compat_rest.http import JSONResponse, ctx, location, read_json
from contextgraph.resolvers.journeys import composite
from contextgraph.resolvers.values import require_object


async def server_status(request: Request) -> Response:
    return JSONResponse(await ctx(request).server.status())


async def readiness(_request: Request) -> Response:
    """GET /server/status without a key: only that the server is up (see app/auth)."""
    return JSONResponse({"ready": True})


async def server_mode(request: Request) -> Response:
    body = require_object(await read_json(request))
    mode = await ctx(request).server.set_mode(body.get("mode"))
    return JSONResponse({"server changed": mode}, headers=location(request, "/server/status"))


async def composite_start(request: Request) -> Response:
    results = await composite.composite_start(ctx(request), await read_json(request))
    first = results[0]
    path = f"/services/{first.service_id}/" + (
        f"tasks/{first.task_id}" if first.task_id is not None else f"states/{first.state_id}"
    )
    body = []
    for r in results:
        item = {"service": {"service_id": r.service_id, "created": str(r.service_created).lower()},
                "state": {"state_id": r.state_id, "created": str(r.state_created).lower()}}  # fmt: skip
        if r.task_id is not None:
            item["task"] = {"task_id": r.task_id, "created": str(r.task_created).lower()}
        body.append(item)
    return JSONResponse({"services": body}, headers=location(request, path))
