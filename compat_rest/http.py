"""Request parsing and responses of the REST layer: JSON bodies, query parameters, error bodies."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from contextgraph.resolvers import values
from contextgraph.resolvers.bounds import check_json
from contextgraph.resolvers.context import Runtime
from contextgraph.resolvers.errors import BadParameter, ContextError, MalformedBody, UnsupportedMedia
from contextgraph.resolvers.journeys.records import Status


def header(scope: Scope, name: bytes) -> str | None:
    """A request header's value (`name` in lower case), or None."""
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def error_json(scope: Scope, error: ContextError) -> dict[str, Any]:
    """The documented error JSON, with the URI as the client wrote it."""
    query = scope.get("query_string", b"").decode("latin-1")
    host = header(scope, b"host") or "localhost"
    path = scope.get("raw_path", b"").decode("latin-1") or scope["path"]  # as the client wrote it
    uri = f"{scope.get('scheme', 'http')}://{host}{path}" + (f"?{query}" if query else "")
    return {
        "http_method": scope["method"],
        "title": error.title,
        "description": error.description,
        "code": error.code,
        "uri": uri,
    }


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def runtime(request: Request) -> Runtime:
    found: Runtime = request.app.state.runtime
    return found


def present(request: Request, resource: str, body: Any) -> JSONResponse:
    """A GET answer: the resource(s), with business-attribute names where configured (map_name)."""
    business = runtime(request).business
    if isinstance(body, list):
        return JSONResponse([business.display(resource, item) for item in body])
    return JSONResponse(business.display(resource, body))


def location(request: Request, path: str) -> dict[str, str]:
    """A Location header under the prefix the request came in on (`/` or `/genesys/1/cs`)."""
    return {"Location": f"{request.scope.get('root_path', '')}{path}"}


def created(request: Request, path: str, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=201, headers=location(request, path))


def no_content() -> Response:
    return Response(status_code=204)


def ok_empty() -> Response:
    return Response(status_code=200)


async def read_json(request: Request, *, optional: bool = False) -> Any:
    """The JSON body; `{}` for an absent or empty body where the operation makes it optional."""
    raw = await request.body()
    if not raw.strip():
        if optional:
            return {}
        raise MalformedBody("this operation needs a JSON body")
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise UnsupportedMedia(f"Content-Type must be application/json, not '{media or 'none'}'")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MalformedBody(f"the body is not valid JSON: {exc}") from None
    return check_json(body, runtime(request).settings.max_json_depth)


def error_body(request: Request, error: ContextError) -> dict[str, Any]:
    """The documented error JSON."""
    return error_json(request.scope, error)


# -- query parameters -------------------------------------------------------------------------
def given(request: Request, *keys: str) -> dict[str, str]:
    """The query parameters among `keys` that are given and not empty, as the client wrote them
    (the operation's input checks them: `"true"`, ISO 8601 times, …)."""
    return {key: value for key in keys if (value := request.query_params.get(key))}


def flag(request: Request, name: str) -> bool:
    """A true/false query parameter; absent or empty is false."""
    value = request.query_params.get(name)
    return values.flag(name, value) if value else False


def names(request: Request, *keys: str) -> list[str] | None:
    """A comma-separated list from the first of `keys` present (None when none is)."""
    for key in keys:
        value = request.query_params.get(key)
        if value is not None:
            return [item.strip() for item in value.split(",") if item.strip()]
    return None


def integer(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise BadParameter(name, f"expected an integer, got '{value}'") from None


def path_status(request: Request) -> Status:
    """ACTIVE or COMPLETED for the `/active` and `/completed` forms of a query path, else ALL."""
    return Status(request.path_params.get("status", "all"))
