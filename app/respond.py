"""Errors answered by ASGI middleware, before any route: the documented JSON (REST) or a GraphQL
error body at /graphql, with the error's status.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from starlette.types import Scope, Send

from contextgraph.app.errors import ContextError


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
    return {"http_method": scope["method"], "title": error.title, "description": error.description,
            "code": error.code, "uri": uri}  # fmt: skip


async def send_error(scope: Scope, send: Send, error: ContextError,
                     headers: Sequence[tuple[bytes, bytes]] = ()) -> None:  # fmt: skip
    if scope["path"].rstrip("/") == "/graphql":
        body: dict[str, Any] = {"errors": [{"message": error.description,
                                            "extensions": {"code": error.code, "status": error.status}}]}  # fmt: skip
    else:
        body = error_json(scope, error)
    payload = orjson.dumps(body)
    await send({"type": "http.response.start", "status": error.status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), *headers]})
    await send({"type": "http.response.body", "body": payload})
