"""Server Operations: status and mode; and the composite start of spec/003."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from contextgraph.compat_rest.binding import Call
from contextgraph.compat_rest.http import JSONResponse, location, read_json
from contextgraph.resolvers.values import require_object


async def server_status(call: Call) -> Response:
    return JSONResponse(await call())


async def readiness(_request: Request) -> Response:
    """GET /server/status without a key: only that the server is up (see app/auth)."""
    return JSONResponse({"ready": True})


async def server_mode(call: Call) -> Response:
    body = require_object(await read_json(call.request))
    mode = await call(mode=body.get("mode"))
    return JSONResponse({"server changed": mode}, headers=location(call.request, "/server/status"))


async def composite_start(call: Call) -> Response:
    results = await call.operation(call.ctx, await read_json(call.request))
    first = results[0]
    path = f"/services/{first.service_id}/" + (
        f"tasks/{first.task_id}" if first.task_id is not None else f"states/{first.state_id}"
    )
    body = []
    for r in results:
        item = {
            "service": {"service_id": r.service_id, "created": str(r.service_created).lower()},
            "state": {"state_id": r.state_id, "created": str(r.state_created).lower()},
        }
        if r.task_id is not None:
            item["task"] = {"task_id": r.task_id, "created": str(r.task_created).lower()}
        body.append(item)
    return JSONResponse({"services": body}, headers=location(call.request, path))
