"""Conditional reads of the REST layer: an ETag on the answer of a profile, service, state or task
(the version resolvers/versions.py keeps), 304 for an If-None-Match that names it. (What a write's
headers ask, If-Match and Idempotency-Key, binding.py hands to the domain, which honours it.)
"""

from __future__ import annotations

from starlette.responses import Response

from contextgraph.compat_rest.binding import Call
from contextgraph.resolvers.conditions import still_current
from contextgraph.resolvers.versions import etag

# The answers carry personal data: a client may keep and revalidate them, a shared cache may not.
CACHEABLE = {"Cache-Control": "private", "Vary": "Authorization"}


def versioned(call: Call, response: Response, version: int) -> Response:
    """The answer with its ETag, or 304 when the client's If-None-Match names it (weak comparison)."""
    tag = etag(call.ctx, version)
    headers = {"ETag": tag, **CACHEABLE}
    if still_current(call.request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return response
