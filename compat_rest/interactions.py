"""Interaction operations: record (our addition), query per customer, per service and by id, and
the content URLs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from contextgraph.compat_rest.binding import Call
from contextgraph.compat_rest.http import JSONResponse, created, read_json
from contextgraph.resolvers.interaction_reads import Interaction

_PATHS = {"text": "plain_text", "structured_text": "structured_text", "binary_content": "binary_content"}


def _render(request: Request, interaction: Interaction) -> dict[str, Any]:
    """The documented representation: the fields, and URLs where the contents are."""
    base = f"{request.base_url}".rstrip("/") + request.scope.get("root_path", "")
    urls = {
        name: f"{base}/interactions/{quote(interaction.id, safe='')}/{_PATHS[name]}" for name in interaction.contents
    }
    return interaction.fields | urls


async def record(call: Call) -> Response:
    interaction_id = await call(body=await read_json(call.request))
    # Percent-encoded: a header is ASCII, and an id may hold any visible character (`ü`, `/`, `?`).
    path = f"/interactions/{quote(interaction_id, safe='')}"
    return created(call.request, path, {"interaction_id": interaction_id})


async def get_one(call: Call) -> Response:
    found = await call(interaction_id=call.params["interaction_id"])
    return JSONResponse(_render(call.request, found))


async def of_customer(call: Call) -> Response:
    found = await call(customer_id=call.params["customer_id"])
    return JSONResponse([_render(call.request, i) for i in found])


async def of_service(call: Call) -> Response:
    found = await call(service_id=call.params["service_id"])
    return JSONResponse([_render(call.request, i) for i in found])


# Contents are what a customer or an agent wrote: never a page of this server's origin. Only plain
# text and raster images are shown in the browser; anything else (HTML, SVG, XML, PDF, …) is a
# download. Either way the sandbox gives it an origin of its own with scripts off and nothing to
# load; the app's security headers add nosniff (the browser keeps to the type given) and no-store.
_INLINE = ("text/plain", "image/png", "image/jpeg", "image/gif", "image/webp")
_CONTENT_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox"
    ),
}


async def content(call: Call) -> Response:
    """One content of an interaction (`content` is fixed by the path: plain_text → text, …)."""
    body, mime = await call(interaction_id=call.params["interaction_id"])
    headers = dict(_CONTENT_HEADERS)
    if mime.split(";")[0].strip().lower() not in _INLINE:
        headers["Content-Disposition"] = f'attachment; filename="{_PATHS[call.fixed["content"]]}"'
    return Response(body, media_type=mime, headers=headers)
