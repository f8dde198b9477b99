"""Profile Operations: create, query, identify, update, delete, merge; the profile schema and the
identification keys.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from contextgraph.app.errors import BadParameter
from contextgraph.compat_rest.http import JSONResponse, created, ctx, names, no_content, ok_empty, read_json
from contextgraph.resolvers import identification, profile_merge, profiles


async def create_profile(request: Request) -> Response:
    customer_id = await profiles.create_profile(ctx(request), await read_json(request))
    return created(request, f"/profiles/{customer_id}", {"customer_id": customer_id})


async def get_profile(request: Request) -> Response:
    extensions = names(request, "extensions") or []
    return JSONResponse(await profiles.get_profile(ctx(request), request.path_params["customer_id"], extensions))


async def profile_schema(request: Request) -> Response:
    return JSONResponse(ctx(request).profile_schema.describe())


_IDENTIFY_CONTROLS = {"id_key", "include_profile", "extensions", "include_extensions"}


def _token(request: Request, name: str, allowed: tuple[str, str]) -> str:
    value = request.query_params.get(name, allowed[0]).lower()
    if value not in allowed:
        raise BadParameter(name, f"expected {allowed[0]} or {allowed[1]}")
    return value


async def identify(request: Request) -> Response:
    given = {k: v for k, v in request.query_params.items() if k not in _IDENTIFY_CONTROLS}
    if not given:
        raise BadParameter("attributes", "give the attributes to identify the customer by")
    found = await profiles.identify(
        ctx(request), given,
        key=request.query_params.get("id_key"),
        include_profile=_token(request, "include_profile", ("no", "yes")) == "yes",
        extensions=names(request, "extensions") or [],
        extensions_only_if_unique=_token(request, "include_extensions", ("always", "unique")) == "unique",
    )  # fmt: skip
    return JSONResponse(found[0] if len(found) == 1 else found)


async def update_profile(request: Request) -> Response:
    await profiles.update_profile(ctx(request), request.path_params["customer_id"], await read_json(request))
    return JSONResponse([])  # as documented: "HTTP 200 OK []"


async def delete_profile(request: Request) -> Response:
    await profiles.delete_profile(ctx(request), request.path_params["customer_id"])
    return ok_empty()


async def merge_profiles(request: Request) -> Response:
    p = request.path_params
    body = await read_json(request, optional=True)
    await profile_merge.merge_profiles(ctx(request), p["customer_id"], p["src_id"], body)
    return no_content()


async def create_key(request: Request) -> Response:
    name = await identification.create_key(ctx(request), await read_json(request))
    return created(request, f"/metadata/identification-keys/{name}", {"name": name})


async def list_keys(request: Request) -> Response:
    return JSONResponse(identification.describe_keys(ctx(request)))


async def get_key(request: Request) -> Response:
    return JSONResponse(identification.describe_key(ctx(request), request.path_params["name"]))


async def delete_key(request: Request) -> Response:
    await identification.delete_key(ctx(request), request.path_params["name"])
    return no_content()
