"""GraphQL over GET is cacheable by the client that asked (never by a shared cache: answers carry
personal data): a query's answer carries a strong ETag, the SHA-256 of its bytes, and an
If-None-Match naming it gets 304.

Why the bytes: a document's answer may span any number of profiles and journeys, lists whose
members come and go (a new service) included, so no one row's version stands for it; the answer is a
pure function of those rows at their versions (resolvers/versions.py), the metadata and the
settings, so its bytes change exactly when something it shows changed: the tag is never stale, and
costs no statement beyond the query's own.
"""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response

from contextgraph.resolvers.conditions import still_current

PRIVATE = {"Cache-Control": "private", "Vary": "Authorization, Accept"}


def revalidated(request: Request | None, response: Response) -> Response:
    """A GET query's answer with its ETag and private caching, or 304 when the client has it."""
    if request is None or request.method != "GET" or response.status_code != 200:
        return response
    tag = f'"{hashlib.sha256(response.body).hexdigest()[:40]}"'
    headers = {"ETag": tag, **PRIVATE}
    if still_current(request.headers.get("if-none-match"), tag, lenient=True):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return response
