"""Access logs, request ids and Prometheus metrics (`GET /metrics`) for every request.

Each request gets an id (`X-Request-ID`, taken from the client when it sends one), one access-log
line with it, and, if something unexpected fails, one error log with it and a masked 500. Metrics
are per operation: the REST route's path template, or `graphql <type> <name>`. With several worker
processes the metrics of all of them are added up (prometheus-client's multiprocess mode, through
the folder in PROMETHEUS_MULTIPROC_DIR that `contextgraph serve --workers N` sets up).
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from typing import Any

import orjson
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contextgraph.app.respond import error_json
from contextgraph.compat_rest.http import header
from contextgraph.resolvers.errors import InternalError

log = logging.getLogger("contextgraph")
access = logging.getLogger("contextgraph.access")

REQUESTS = Counter("contextgraph_requests_total", "Requests answered", ["operation", "status"])
ERRORS = Counter("contextgraph_request_errors_total", "Requests answered with 4xx or 5xx", ["operation", "status"])
LATENCY = Histogram(
    "contextgraph_request_duration_seconds",
    "Time to answer a request",
    ["operation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
POOL_IN_USE = Gauge(
    "contextgraph_db_pool_connections_in_use", "Database connections checked out", multiprocess_mode="livesum"
)
POOL_SIZE = Gauge("contextgraph_db_pool_size", "Database connections the pool keeps", multiprocess_mode="livesum")


def operation(scope: Scope) -> str:
    """A request's operation: `graphql query Tree`, or the REST route's path template."""
    state = scope.get("state", {})
    if "graphql_operation" in state:
        return str(state["graphql_operation"])
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path is None:
        return "unmatched"
    return f"{scope.get('root_path', '')}{path}"


class RequestObservation:
    """The outermost layer of the app: request id, access log, metrics, status counters, and the one
    place an unexpected error is logged (once) and masked.
    """

    def __init__(self, app: ASGIApp, on_answer: Any) -> None:
        self.app = app
        self.on_answer = on_answer  # (status) -> None: the /server/status counters

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = (header(scope, b"x-request-id") or "")[:64] or uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unexpected error in %s %s [request %s]", scope["method"], scope["path"], request_id)
            status = 500
            if not response_started:
                await _masked_500(scope, receive, send_with_id, request_id)
        finally:
            seconds = time.perf_counter() - started
            name = operation(scope)
            REQUESTS.labels(name, str(status)).inc()
            LATENCY.labels(name).observe(seconds)
            if status >= 400:
                ERRORS.labels(name, str(status)).inc()
            self.on_answer(scope, status)
            access.info(
                '%s "%s %s" %d %.1fms [request %s]',
                _client(scope),
                scope["method"],
                scope["path"],
                status,
                seconds * 1000,
                request_id,
            )


async def _masked_500(scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
    error = InternalError(f"unexpected server error; the log has the details under request id {request_id}")
    response = Response(orjson.dumps(error_json(scope, error)), status_code=500, media_type="application/json")
    await response(scope, receive, send)


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "-"


def metrics_response(pool: Any) -> Response:
    """GET /metrics: the Prometheus text format, every worker's numbers added up."""
    POOL_IN_USE.set(pool.checkedout() if hasattr(pool, "checkedout") else 0)
    POOL_SIZE.set(pool.size() if hasattr(pool, "size") else 0)
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = DEFAULT_REGISTRY
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
