"""Interaction operations: record (our addition), query per customer, per service and by id, and
the content URLs.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from contextgraph.compat_rest.http import JSONResponse, created, ctx, read_json
from contextgraph.resolvers import interactions
from contextgraph.resolvers.interactions import Interaction

_PATHS = {"text": "plain_text", "structured_text": "structured_text", "binary_content": "binary_content"}


def _render(request: Request, interaction: Interaction) -> dict[str, Any]:
    """The documented representation: the fields, and URLs where the contents are."""
    base = f"{request.base_url}".rstrip("/") + request.scope.get("root_path", "")
    urls = {name: f"{base}/interactions/{interaction.id}/{_PATHS[name]}" for name in interaction.contents}
    return interaction.fields | urls


async def record(request: Request) -> Response:
    interaction_id = await interactions.record_interaction(ctx(request), await read_json(request))
    return created(request, f"/interactions/{interaction_id}", {"interaction_id": interaction_id})


async def get_one(request: Request) -> Response:
    found = await interactions.get_interaction(ctx(request), request.path_params["interaction_id"])
    return JSONResponse(_render(request, found))


async def of_customer(request: Request) -> Response:
    found = await interactions.customer_interactions(ctx(request), request.path_params["customer_id"])
    return JSONResponse([_render(request, i) for i in found])


async def of_service(request: Request) -> Response:
    found = await interactions.service_interactions(ctx(request), request.path_params["service_id"])
    return JSONResponse([_render(request, i) for i in found])


# Contents are what a customer or an agent wrote: never a page of this server's origin. Only plain
# text and raster images are shown in the browser; anything else (HTML, SVG, XML, PDF, …) is a
# download. Either way the sandbox gives it an origin of its own with scripts off, and nosniff keeps
# the browser to the type given.
_INLINE = ("text/plain", "image/png", "image/jpeg", "image/gif", "image/webp")
_CONTENT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox",
    "Cache-Control": "no-store",
}


def content(name: str) -> Any:
    async def endpoint(request: Request) -> Response:
        interaction_id = request.path_params["interaction_id"]
        body, mime = await interactions.get_content(ctx(request), interaction_id, name)
        headers = dict(_CONTENT_HEADERS)
        if mime.split(";")[0].strip().lower() not in _INLINE:
            headers["Content-Disposition"] = f"attachment; filename=\"{_PATHS[name]}\""
        return Response(body, media_type=mime, headers=headers)

    endpoint.__name__ = f"interaction_{name}"
    return endpoint
