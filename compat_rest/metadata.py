"""Schema Operations: extension schemas of profiles, services, states and tasks; the metadata index
and cache, business attributes and roles.
"""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse, Response

from contextgraph.compat_rest.binding import Call
from contextgraph.compat_rest.http import JSONResponse, created, no_content, ok_empty, read_json

# The path word of each owner kind: /metadata/{word}/extensions
WORDS = {"profile": "profiles", "service": "services", "state": "states", "task": "tasks"}


async def create_schemas(call: Call) -> Response:
    body = await read_json(call.request)
    names = await call(body=body)
    answer = [{"name": n} for n in names] if isinstance(body, list) else {"name": names[0]}
    path = f"/metadata/{WORDS[call.fixed['kind']]}/extensions/{names[0]}"
    return created(call.request, path, answer)  # type: ignore[arg-type]


async def list_schemas(call: Call) -> Response:
    return JSONResponse(await call())


async def get_schema(call: Call) -> Response:
    return JSONResponse(await call(name=call.params["name"]))


async def delete_schema(call: Call) -> Response:
    await call(name=call.params["name"])
    return no_content()


async def reload_cache(call: Call) -> Response:
    await call()
    return ok_empty()


async def index(call: Call) -> Response:
    """The available metadata resources, as HTML or JSON by the Content-Type or Accept asked for."""
    request = call.request
    base = f"{request.base_url}".rstrip("/") + request.scope.get("root_path", "")
    links = {name: f"{base}{path}" for name, path in (await call()).items()}
    wanted = f"{request.headers.get('content-type', '')} {request.headers.get('accept', '')}".lower()
    if "text/html" in wanted:
        items = "".join(f'<a href="{escape(url)}">{escape(name)}</a><br/>' for name, url in links.items())
        return HTMLResponse(f"<html><body><h1>Available Resources</h1><br/>{items}</body></html>")
    return JSONResponse(links)


async def business_attributes(call: Call) -> Response:
    return JSONResponse(
        await call(name=call.params.get("name"), cv_attribute=call.request.query_params.get("cv-attribute"))
    )


async def roles(call: Call) -> Response:
    return JSONResponse(await call())
