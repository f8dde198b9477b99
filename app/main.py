"""The ASGI app factory: `create_app(settings)` wires the database, REST routes and GraphQL.

The lifespan migrates the database and builds the domain's Runtime; errors of the one error tree
become the documented JSON body; RequestObservation (app/observability) gives every request an id,
an access-log line and metrics, and masks anything unexpected as a 500 logged once with that id.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.types import Scope
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from contextgraph.app.auth import Authentication, authenticate_client, principal_of
from contextgraph.app.limits import InputLimits
from contextgraph.app.observability import RequestObservation, metrics_response
from contextgraph.app.ratelimit import RateLimiter
from contextgraph.app.security_headers import SecurityHeaders
from contextgraph.app.settings import Settings, load_settings
from contextgraph.app.throttle import FailedKeys
from contextgraph.app.ui.routes import graphiql_html, ui_routes
from contextgraph.compat_rest.http import JSONResponse, error_body
from contextgraph.compat_rest.openapi import openapi
from contextgraph.compat_rest.routes import rest_routes
from contextgraph.resolvers import system
from contextgraph.resolvers.context import Runtime
from contextgraph.resolvers.encryption.registry import KeysRefused
from contextgraph.resolvers.errors import ContextError, MethodNotAllowed, NotFound, RequestTimeout
from contextgraph.resolvers.reseal import prepare_encryption
from contextgraph.resolvers.store.database import Database
from contextgraph.resolvers.store.migrate import migrate
from contextgraph.schema.view import follow_documents, follow_metadata, graphql_app

log = logging.getLogger("contextgraph")

REST_PREFIX = "/genesys/1/cs"


async def _context_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ContextError)
    # A body refused half-way (too slow) is not read to its end: the connection cannot carry another request.
    close = {"Connection": "close"} if isinstance(exc, RequestTimeout) else None
    return JSONResponse(error_body(request, exc), status_code=exc.status, headers=close)


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


async def _poll(runtime: Runtime, interval: float) -> None:
    """Take what other workers changed (mode, extension schemas) every `interval` seconds."""
    while True:
        await asyncio.sleep(interval)
        try:
            await runtime.refresh()
        except Exception:  # the database may be away for a moment: keep polling
            log.warning("could not refresh the server mode and metadata", exc_info=True)


def create_app(settings: Settings, *, server_process: bool = False) -> Starlette:
    """The application; `server_process` when it is the process's only app (`contextgraph serve`)."""
    database = Database(settings.async_database_url, pool_size=settings.pool_size)

    graphql = graphql_app(settings, connection_init_timeout=settings.header_timeout)
    graphql.ide_html = graphiql_html()
    graphql.authenticate = authenticate_client

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await migrate(database)
        runtime = Runtime.create(database, settings)
        runtime.listeners.append(follow_metadata(graphql, settings, runtime))
        follow_documents(graphql, runtime)
        await runtime.bootstrap(settings.bootstrap_key.get_secret_value() if settings.bootstrap_key else None)
        await runtime.refresh()
        try:
            await prepare_encryption(runtime)
        except (KeysRefused, ValueError) as exc:
            log.critical("refusing to start: %s", exc)
            await database.dispose()
            raise KeysRefused(str(exc)) from None
        if not runtime.keyring.principals():
            log.warning(
                "no API key exists, so every request but the readiness probe is refused: set "
                "CONTEXTGRAPH_BOOTSTRAP_KEY or run `contextgraph keys create`"
            )
        await runtime.live.start()
        app.state.runtime = runtime
        poller = asyncio.create_task(_poll(runtime, settings.refresh_interval))
        if server_process:
            _tune_gc()
        try:
            yield
        finally:
            poller.cancel()
            with suppress(asyncio.CancelledError):
                await poller  # it may hold a connection: let it give it back before the pool closes
            await runtime.live.stop()
            await database.dispose()

    routes: list[Any] = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/metrics", _metrics, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
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
        },
    )
    app.state.failed_keys = FailedKeys(settings.auth_failures_per_minute)
    # One bucket per key: HTTP requests spend it at the door, websocket operations at GraphQL's.
    app.state.limiter = RateLimiter(settings.rate_limit, settings.rate_limit_burst)
    app.add_middleware(Authentication, limiter=app.state.limiter)
    app.add_middleware(
        InputLimits,
        max_body=settings.max_body_bytes,
        max_upload=settings.max_upload_bytes,
        body_timeout=settings.body_timeout,
    )
    app.add_middleware(RequestObservation, on_answer=_count)
    app.add_middleware(SecurityHeaders)  # outside the others: their refusals and masked 500s get them too
    # Outermost: the client a trusted proxy forwards for is the client of every layer (the access
    # log, the wrong-key throttle); anyone else's X-Forwarded-* headers are ignored.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)  # type: ignore[arg-type]
    return app


def _count(scope: Scope, status: int) -> None:
    runtime: Runtime | None = getattr(scope["app"].state, "runtime", None)
    if runtime is not None:
        runtime.server.record_request(status)


async def _metrics(request: Request) -> Response:
    principal_of(request.scope).require(*system.server_status.tasks)  # reading the server's own figures
    runtime: Runtime = request.app.state.runtime
    return metrics_response(runtime.db.engine.sync_engine.pool)


def create_app_from_environment() -> Starlette:
    """The factory each worker of `contextgraph serve --workers N` calls (settings from CONTEXTGRAPH_*)."""
    return create_app(load_settings(), server_process=True)


# Young objects a collection waits for (Python's default: 700). A tree answer makes some 15 000
# containers (rows, records, response dicts) that reference counting frees once it is sent: at 700
# the collector scanned them ~20 times per answer and promoted those of answers in flight to the
# older generations, whose collections then scanned them again (16 % of the tree's CPU at one
# client, 25 % at 32). The middle generation is collected with every young collection and the
# oldest after every third: counted in objects, about as often as Python's defaults do (every
# 7 700 and 85 000), so cyclic garbage that reached them waits no longer than it did.
YOUNG_OBJECTS = 20_000


def _tune_gc() -> None:
    """Leave what start-up made (schema, modules) out of every later collection: full collections
    stay cheap. A young collection waits for `YOUNG_OBJECTS` new containers, so that one request's
    objects are freed before a collection scans them; the older generations are collected as
    often, in objects, as Python's defaults would. Raising their thresholds too (50 000/20/100 was
    tried, +14 % requests/s on the tree) left cyclic garbage — evicted documents, abandoned
    subscriptions' state — for collections that hardly ever came: RSS grew without bound under
    distinct queries and dropped websockets (tests/test_memory.py, `make soak`); so did
    20 000/10/10 in that test.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, 0, 2)
