"""Bounded inputs: request bodies (413, or 408 when too slow), JSON nesting and NUL characters (400).

`InputLimits` refuses a body over `max_body_bytes` — at once from its Content-Length, or as soon as
a streamed body passes the limit — and allows `max_upload_bytes` to the bulk imports (REST
`POST /profiles/import`, GraphQL multipart requests); a body still incomplete `body_timeout`
seconds after the request reached the app (a client trickling it to hold the request open) is
refused with 408 and the connection closed; and a path or query string with a NUL.
Parsed bodies are checked by resolvers/bounds.py (JSON depth, NUL characters) wherever they are
parsed; GraphQL arguments written in the document by schema/guard.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contextgraph.app.respond import send_error
from contextgraph.compat_rest.http import header
from contextgraph.resolvers.bounds import NUL
from contextgraph.resolvers.errors import MalformedBody, PayloadTooLarge, RequestTimeout

_IMPORT_PATHS = (
    "/profiles/import",
    "/profiles/import/",
    "/genesys/1/cs/profiles/import",
    "/genesys/1/cs/profiles/import/",
)


class InputLimits:
    """ASGI middleware; the limits come from the app's settings."""

    def __init__(self, app: ASGIApp, max_body: int, max_upload: int, body_timeout: float) -> None:
        self.app, self.max_body, self.max_upload, self.body_timeout = app, max_body, max_upload, body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if b"\x00" in scope.get("raw_path", b"") or NUL in scope["path"] or b"%00" in scope.get("query_string", b""):
            await send_error(scope, send, MalformedBody("the path or query holds a NUL character"))
            return
        limit = self.max_upload if self._is_upload(scope) else self.max_body
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            error = PayloadTooLarge(f"the body is {declared} bytes; this path accepts at most {limit}")
            await send_error(scope, send, error)
            return
        received, complete = 0, False
        deadline = asyncio.get_running_loop().time() + self.body_timeout

        async def counted() -> Message:
            nonlocal received, complete
            if complete:  # after the body, receive() only waits for the client to leave: no deadline
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise RequestTimeout(
                    f"the request body did not arrive within {self.body_timeout:g} s of its headers"
                ) from None
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            received += len(message.get("body", b""))
            if received > limit:
                raise PayloadTooLarge(f"the body is over {limit} bytes, the most this path accepts")
            return message

        await self.app(scope, counted, send)

    @staticmethod
    def _is_upload(scope: Scope) -> bool:
        if scope["path"] in _IMPORT_PATHS:
            return True
        if scope["path"].rstrip("/") != "/graphql":
            return False
        return any(k == b"content-type" and v.lower().startswith(b"multipart/") for k, v in scope["headers"])


def _content_length(scope: Scope) -> int | None:
    value = header(scope, b"content-length")
    return int(value) if value is not None and value.isdigit() else None
