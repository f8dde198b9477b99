"""Profile Operations served so far: create a profile, query one, query the profile schema."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from contextgraph.compat_rest.http import JSONResponse, created, ctx, names, read_json
from contextgraph.resolvers import profiles


async def create_profile(request: Request) -> Response:
    customer_id = await profiles.create_profile(ctx(request), await read_json(request))
    return created(request, f"/profiles/{customer_id}", {"customer_id": customer_id})


async def get_profile(request: Request) -> Response:
    extensions = names(request, "extensions") or []
    return JSONResponse(await profiles.get_profile(ctx(request), request.path_params["customer_id"], extensions))


async def profile_schema(request: Request) -> Response:
    return JSONResponse(ctx(request).profile_schema.describe())
