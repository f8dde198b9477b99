"""Profile Operations: create, query, identify, update, delete, merge; the profile schema and the
identification keys.
"""

from __future__ import annotations

import io

import orjson
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from contextgraph.compat_rest.http import JSONResponse, created, ctx, names, no_content, ok_empty, read_json
from contextgraph.resolvers.errors import BadParameter, UnsupportedMedia
from contextgraph.resolvers.profiles import bulk_import as profile_import
from contextgraph.resolvers.profiles import identification, profiles
from contextgraph.resolvers.profiles import merge as profile_merge


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


async def import_profiles(request: Request) -> Response:
    """POST /profiles/import: multipart with the JSON part `description` and the CSV as the part
    `profiles` (or, inside the configured import directory, a server-side path in the description).
    """
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
            options = profile_import.parse_options(orjson.loads(description))
        except orjson.JSONDecodeError:
            raise BadParameter("description", "the part is not valid JSON") from None
        upload = form.get("profiles")
        context = ctx(request)
        if isinstance(upload, UploadFile):
            text = io.TextIOWrapper(upload.file, encoding=options.encoding, newline="")
            report = await profile_import.import_profiles(context, text, options)
        elif options.path is not None:
            path = profile_import.server_file(context, options.path)
            # Read line by line between batches, like the spooled upload above.
            with open(path, encoding=options.encoding, newline="") as local:  # noqa: ASYNC230
                report = await profile_import.import_profiles(context, local, options)
        else:
            raise BadParameter("profiles", "upload the CSV as the part 'profiles'")
    return JSONResponse(report.describe())
