"""The ASGI app factory: `create_app(settings)` wires the database, REST routes and GraphQL.

The lifespan migrates the database and builds the resolvers' Context; errors of the one error tree
become the documented JSON body, and anything unexpected a masked 500 logged with a request id.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contextgraph.app.db import Database
from contextgraph.app.errors import ContextError, InternalError, MethodNotAllowed, NotFound
from contextgraph.app.migrate import migrate
from contextgraph.app.settings import Settings, load_settings
from contextgraph.compat_rest.http import JSONResponse, error_body
from contextgraph.compat_rest.routes import rest_routes
from contextgraph.resolvers.context import Context
from contextgraph.schema.view import follow_metadata, graphql_app
from contextgraph.ui.routes import graphiql_html, ui_routes

log = logging.getLogger("contextgraph")

REST_PREFIX = "/genesys/1/cs"


class RequestAccounting:
    """Gives each request an id (X-Request-ID) and feeds the status counters of /server/status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _header(scope, b"x-request-id") or uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            ctx: Context | None = getattr(scope["app"].state, "ctx", None)
            if ctx is not None:
                ctx.server.record_request(status)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")[:64]
    return None


async def _context_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ContextError)
    return JSONResponse(error_body(request, exc), status_code=exc.status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    error: ContextError
    if exc.status_code == 404:
        error = NotFound(f"no resource at '{request.url.path}'")
    elif exc.status_code == 405:
        error = MethodNotAllowed(f"'{request.url.path}' does not support {request.method}")
    else:
        error = ContextError(str(exc.detail))
        error.status, error.title = exc.status_code, str(exc.detail).lower()
    headers = dict(exc.headers or {})
    return JSONResponse(error_body(request, error), status_code=error.status, headers=headers)


async def _unexpected(request: Request, exc: Exception) -> Response:
    request_id = request.scope.get("state", {}).get("request_id", "-")
    log.exception("unexpected error in %s %s [request %s]", request.method, request.url.path, request_id)
    error = InternalError(f"unexpected server error; the log has the details under request id {request_id}")
    return JSONResponse(error_body(request, error), status_code=500)


async def _poll(ctx: Context, interval: float) -> None:
    """Take what other workers changed (mode, extension schemas) every `interval` seconds."""
    while True:
        await asyncio.sleep(interval)
        try:
            await ctx.refresh()
        except Exception:  # the database may be away for a moment: keep polling
            log.warning("could not refresh the server mode and metadata", exc_info=True)


def create_app(settings: Settings) -> Starlette:
    database = Database(settings.async_database_url, pool_size=settings.pool_size)

    graphql = graphql_app()
    graphql.ide_html = graphiql_html()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await migrate(database)
        ctx = Context.create(database, settings)
        ctx.listeners.append(follow_metadata(graphql))
        await ctx.refresh()
        await ctx.live.start()
        app.state.ctx = ctx
        poller = asyncio.create_task(_poll(ctx, settings.refresh_interval))
        try:
            yield
        finally:
            poller.cancel()
            with suppress(asyncio.CancelledError):
                await poller  # it may hold a connection: let it give it back before the pool closes
            await ctx.live.stop()
            await database.dispose()

    routes: list[Any] = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        *ui_routes(),
        *rest_routes(),
        Mount(REST_PREFIX, routes=rest_routes()),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            ContextError: _context_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
    )
    app.add_middleware(RequestAccounting)
    return app


def create_app_from_environment() -> Starlette:
    """The factory each worker of `contextgraph serve --workers N` calls (settings from CONTEXTGRAPH_*)."""
    return create_app(load_settings())
