"""Errors answered by ASGI middleware, before any route: the documented JSON (REST) or a GraphQL
error body at /graphql, with the error's status.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from starlette.types import Scope, Send

from contextgraph.compat_rest.http import error_json
from contextgraph.resolvers.errors import ContextError
from contextgraph.schema.errors import graphql_error_body


async def send_error(
    scope: Scope, send: Send, error: ContextError, headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    if scope["path"].rstrip("/") == "/graphql":
        body: dict[str, Any] = graphql_error_body(error)
    else:
        body = error_json(scope, error)
    payload = orjson.dumps(body)
    prefix = "websocket." if scope["type"] == "websocket" else ""  # a handshake's denial response
    await send(
        {
            "type": f"{prefix}http.response.start",
            "status": error.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": f"{prefix}http.response.body", "body": payload})
