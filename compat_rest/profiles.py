"""Profile Operations: create, query, identify, update, delete, merge; the profile schema and the
identification keys; bulk import.
"""

from __future__ import annotations

import io

import orjson
from starlette.datastructures import UploadFile
from starlette.responses import Response

from contextgraph.compat_rest.binding import Call
from contextgraph.compat_rest.conditional import versioned
from contextgraph.compat_rest.http import JSONResponse, created, names, no_content, ok_empty, read_json, runtime
from contextgraph.resolvers.bounds import check_json
from contextgraph.resolvers.errors import BadParameter, UnsupportedMedia
from contextgraph.resolvers.profiles.import_options import parse_options


async def create_profile(call: Call) -> Response:
    customer_id = await call(body=await read_json(call.request))
    return created(call.request, f"/profiles/{customer_id}", {"customer_id": customer_id})


async def get_profile(call: Call) -> Response:
    profile = await call(customer_id=call.params["customer_id"], extensions=names(call.request, "extensions") or [])
    return versioned(call, JSONResponse(profile), profile.version)


async def profile_schema(call: Call) -> Response:
    return JSONResponse(await call())


_IDENTIFY_CONTROLS = {"id_key", "include_profile", "extensions", "include_extensions"}


def _token(call: Call, name: str, allowed: tuple[str, str]) -> str:
    """`include_profile=yes|no`, `include_extensions=always|unique`: the documented spellings."""
    value = call.request.query_params.get(name, allowed[0]).lower()
    if value not in allowed:
        raise BadParameter(name, f"expected {allowed[0]} or {allowed[1]}")
    return value


async def identify(call: Call) -> Response:
    query = call.request.query_params
    found = await call(
        attributes={k: v for k, v in query.items() if k not in _IDENTIFY_CONTROLS},
        key=query.get("id_key"),
        include_profile=_token(call, "include_profile", ("no", "yes")) == "yes",
        extensions=names(call.request, "extensions") or [],
        extensions_only_if_unique=_token(call, "include_extensions", ("always", "unique")) == "unique",
    )
    return JSONResponse(found[0] if len(found) == 1 else found)


async def update_profile(call: Call) -> Response:
    await call(customer_id=call.params["customer_id"], body=await read_json(call.request))
    return JSONResponse([])  # as documented: "HTTP 200 OK []"


async def delete_profile(call: Call) -> Response:
    await call(customer_id=call.params["customer_id"])
    return ok_empty()


async def merge_profiles(call: Call) -> Response:
    options = await read_json(call.request, optional=True)
    await call(customer_id=call.params["customer_id"], source_id=call.params["src_id"], options=options)
    return no_content()


async def create_key(call: Call) -> Response:
    name = await call(body=await read_json(call.request))
    return created(call.request, f"/metadata/identification-keys/{name}", {"name": name})


async def list_keys(call: Call) -> Response:
    return JSONResponse(await call())


async def get_key(call: Call) -> Response:
    return JSONResponse(await call(name=call.params["name"]))


async def delete_key(call: Call) -> Response:
    await call(name=call.params["name"])
    return no_content()


async def import_profiles(call: Call) -> Response:
    """POST /profiles/import: multipart with the JSON part `description` and the CSV as the part
    `profiles` (or, inside the configured import directory, a server-side path in the description).
    """
    request = call.request
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "multipart/form-data":
        raise UnsupportedMedia("Bulk Profile Import takes multipart/form-data")
    async with request.form(max_files=2, max_fields=10) as form:
        description = form.get("description")
        if isinstance(description, UploadFile):
            description = (await description.read()).decode("utf-8")
        if not isinstance(description, str):
            raise BadParameter("description", "the JSON part 'description' is missing")
        try:
            options = orjson.loads(description)
        except orjson.JSONDecodeError:
            raise BadParameter("description", "the part is not valid JSON") from None
        check_json(options, runtime(request).settings.max_json_depth)  # no NUL, nested as a body may
        upload = form.get("profiles")
        lines = None
        if isinstance(upload, UploadFile):
            lines = io.TextIOWrapper(upload.file, encoding=parse_options(options).encoding, newline="")
        report = await call(description=options, lines=lines)
    return JSONResponse(report.describe())
