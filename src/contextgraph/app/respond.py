"""Errors answered by ASGI middleware, before any route: the documented JSON (REST) or a GraphQL
error body at /graphql, with the error's status.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from starlette.types import Scope, Send

from contextgraph.app.errors import ContextError


def error_json(scope: Scope, error: ContextError) -> dict[str, Any]:
    if scope["path"].rstrip("/") == "/graphql":
        return {"errors": [{"message": error.description, "extensions": {"code": error.code, "status": error.status}}]}
    query = scope.get("query_string", b"").decode("latin-1")
    host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "localhost")
    path = scope.get("raw_path", b"").decode("latin-1") or scope["path"]  # as the client wrote it
    uri = f"{scope.get('scheme', 'http')}://{host}{path}" + (f"?{query}" if query else "")
    return {"http_method": scope["method"], "title": error.title, "description": error.description,
            "code": error.code, "uri": uri}  # fmt: skip


async def send_error(scope: Scope, send: Send, error: ContextError,
                     headers: Sequence[tuple[bytes, bytes]] = ()) -> None:  # fmt: skip
    payload = orjson.dumps(error_json(scope, error))
    await send({"type": "http.response.start", "status": error.status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), *headers]})
    await send({"type": "http.response.body", "body": payload})
