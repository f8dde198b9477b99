"""Schema Operations: extension schemas of profiles, services, states and tasks; the metadata index
and cache.
"""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from contextgraph.compat_rest.http import JSONResponse, created, ctx, no_content, ok_empty, read_json
from contextgraph.resolvers.access.keys import describe_roles
from contextgraph.resolvers.extensions import schemas as metadata

# The path word of each owner kind: /metadata/{word}/extensions
WORDS = {"profiles": "profile", "services": "service", "states": "state", "tasks": "task"}


def _kind(request: Request) -> str:
    return WORDS.get(request.path_params["kinds"], request.path_params["kinds"])


async def create_schemas(request: Request) -> Response:
    body = await read_json(request)
    names = await metadata.create_schemas(ctx(request), _kind(request), body)
    answer = [{"name": n} for n in names] if isinstance(body, list) else {"name": names[0]}
    return created(request, f"/metadata/{request.path_params['kinds']}/extensions/{names[0]}", answer)  # type: ignore[arg-type]


async def list_schemas(request: Request) -> Response:
    return JSONResponse(metadata.describe_schemas(ctx(request), _kind(request)))


async def get_schema(request: Request) -> Response:
    return JSONResponse(metadata.describe_schema(ctx(request), _kind(request), request.path_params["name"]))


async def delete_schema(request: Request) -> Response:
    await metadata.delete_schema(ctx(request), _kind(request), request.path_params["name"])
    return no_content()


async def reload_cache(request: Request) -> Response:
    await ctx(request).reload_metadata()
    return ok_empty()


async def index(request: Request) -> Response:
    """The available metadata resources, as HTML or JSON by the Content-Type or Accept asked for."""
    base = f"{request.base_url}".rstrip("/") + request.scope.get("root_path", "")
    links = {name: f"{base}{path}" for name, path in metadata.METADATA_RESOURCES.items()}
    wanted = f"{request.headers.get('content-type', '')} {request.headers.get('accept', '')}".lower()
    if "text/html" in wanted:
        items = "".join(f'<a href="{escape(url)}">{escape(name)}</a><br/>' for name, url in links.items())
        return HTMLResponse(f"<html><body><h1>Available Resources</h1><br/>{items}</body></html>")
    return JSONResponse(links)


async def business_attributes(request: Request) -> Response:
    business = ctx(request).business
    return JSONResponse(business.describe(request.path_params.get("name"), request.query_params.get("cv-attribute")))


async def roles(request: Request) -> Response:
    return JSONResponse(await describe_roles(ctx(request).db))
