"""Connections that hold a descriptor and send nothing are closed: uvicorn's HTTP protocol with a
header timeout and a cap on open connections.

uvicorn keeps a connection open until its first request's headers are complete, however long that
takes: its keep-alive timeout starts after an answer, `--limit-concurrency` answers 503 only once
headers are complete, and `h11_max_incomplete_event_size` bounds bytes, not time (nor applies to
httptools, which uvicorn[standard] uses). 2 000 slowloris connections were all alive after 20 s,
and 20 100 idle sockets used up the process's descriptors. Here:
- a connection must complete a request's headers within `header_timeout` seconds of connecting,
  or of the previous answer; otherwise it is closed;
- past `max_connections` open connections (websockets included), a new one is closed as soon as
  it is accepted, so descriptors stay for the database, the log and the clients already served.

    uvicorn.run(app, http=protocol(settings))   # `contextgraph serve` does, workers included
"""

from __future__ import annotations

import asyncio
import functools
import logging
import resource
import time
from typing import Any

from prometheus_client import Counter
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from contextgraph.app.settings import Settings

log = logging.getLogger("contextgraph")
CLOSED = Counter(
    "contextgraph_connections_closed_total", "Connections closed before their request's headers came", ["reason"]
)
_QUIET = 60.0  # seconds between two warnings about connections closed for the same reason
_warned: dict[str, float] = {}


class LimitedHttpProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, header_timeout: float, max_connections: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout, self.max_connections = header_timeout, max_connections
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            _closed("max_connections", f"more than {self.max_connections} open connections")
            transport.close()
            return
        self._await_headers()

    def on_headers_complete(self) -> None:
        self._stop_waiting()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.timeout_keep_alive_task is not None:  # idle, waiting for the connection's next request
            self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        super().connection_lost(exc)

    def _await_headers(self) -> None:
        self._stop_waiting()
        self._header_deadline = self.loop.call_later(self.header_timeout, self._headers_too_late)

    def _stop_waiting(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_late(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            _closed("header_timeout", f"no complete request headers within {self.header_timeout:g} s")
            self.transport.close()


def _closed(reason: str, why: str) -> None:
    CLOSED.labels(reason).inc()
    now = time.monotonic()
    if now - _warned.get(reason, -_QUIET) >= _QUIET:
        _warned[reason] = now
        log.warning(
            "closing connections: %s (contextgraph_connections_closed_total counts them; "
            "this is said at most once a minute)",
            why,
        )


def protocol(settings: Settings) -> functools.partial[LimitedHttpProtocol]:
    """The `http` protocol factory for uvicorn (a partial of a module-level class: workers unpickle it)."""
    return functools.partial(
        LimitedHttpProtocol, header_timeout=settings.header_timeout, max_connections=settings.max_connections
    )


def ensure_descriptors(settings: Settings) -> None:
    """Raise the process's soft limit on open files (up to the hard one) so that `max_connections`
    fit beside the database pools (three times `pool_size` connections, see the README), the log and the
    listening socket; warn when the hard limit is too low.
    """
    needed = settings.max_connections + 3 * settings.pool_size + 64
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        raised = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
        if raised < needed:
            log.warning(
                "max_connections = %d needs %d open files, but this process may open %d: lower "
                "max_connections or raise the limit (ulimit -n)",
                settings.max_connections,
                needed,
                raised,
            )
