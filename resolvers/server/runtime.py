"""Server operations: the status with its live counters, and the production/maintenance mode.

The mode is stored in the database so every worker obeys it; each worker's poller re-reads it every
`refresh_interval` seconds (Context.refresh). A switch waits for this worker's in-flight profile,
service and schema work, answering 503 to new work meanwhile, and gives up with 403 after
`mode_switch_timeout`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa

from contextgraph.resolvers.errors import BadParameter, Forbidden, Unavailable
from contextgraph.resolvers.store.database import Database
from contextgraph.resolvers.store.tables import server_state_t
from contextgraph.resolvers.timefmt import format_ms, now_ms
from contextgraph.resolvers.version import VERSION

MODES = ("production", "maintenance")


class ServerRuntime:
    """Per-process server state: mode cache, in-flight work, and today's request counters."""

    def __init__(self, db: Database, *, switch_timeout: float) -> None:
        self._db = db
        self._switch_timeout = switch_timeout
        self.started_ms = now_ms()
        self._mode = "production"
        self._switching = False
        self._inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._day = self._today()
        self.request_today = 0
        self.client_errors_today = 0
        self.server_errors_today = 0
        self.last_request_ms: int | None = None

    # -- counters ---------------------------------------------------------------------------
    @staticmethod
    def _today() -> int:
        return now_ms() // 86_400_000

    def record_request(self, status: int) -> None:
        """Count one answered request (called once per request by the app's middleware)."""
        day = self._today()
        if day != self._day:  # "today" counters restart at UTC midnight
            self._day = day
            self.request_today = self.client_errors_today = self.server_errors_today = 0
        self.request_today += 1
        if 400 <= status < 500:
            self.client_errors_today += 1
        elif status >= 500:
            self.server_errors_today += 1
        self.last_request_ms = now_ms()

    # -- mode -------------------------------------------------------------------------------
    async def mode(self) -> str:
        return self._mode

    async def read_mode(self) -> None:
        """Take the mode another worker may have set (called by the poller)."""
        if not self._switching:
            async with self._db.read(snapshot=False) as conn:
                value = await conn.scalar(sa.select(server_state_t.c.value).where(server_state_t.c.key == "mode"))
            self._mode = value or "production"

    @asynccontextmanager
    async def operation(self, *, journey: bool = True) -> AsyncIterator[None]:
        """Wraps every profile and service operation (`journey`) and every schema change: 503 while
        switching modes; 403 for profile and service work in maintenance mode.
        """
        self._inflight += 1
        self._idle.clear()
        try:
            if self._switching:
                raise Unavailable("the server is switching modes; retry in a moment")
            if journey and self._mode == "maintenance":
                raise Forbidden("profile and service operations are not available in maintenance mode")
            yield
        finally:
            self._inflight -= 1
            if self._inflight == 0:
                self._idle.set()

    async def set_mode(self, requested: object) -> str:
        """Switch the server mode (case-insensitive); answers the new mode."""
        mode = requested.strip().lower() if isinstance(requested, str) else None
        if mode not in MODES:
            raise BadParameter("server mode", f"server mode has not a correct value '{requested}'")
        if self._switching:
            raise Unavailable("the server is already switching modes; retry in a moment")
        self._switching = True
        try:
            try:
                await asyncio.wait_for(self._idle.wait(), self._switch_timeout)
            except TimeoutError:
                raise Forbidden(
                    f"could not switch to {mode} mode: in-flight operations did not complete "
                    f"within {self._switch_timeout:g} s"
                ) from None
            async with self._db.write() as conn:
                await conn.execute(sa.update(server_state_t).where(server_state_t.c.key == "mode").values(value=mode))
            self._mode = mode
            return mode
        finally:
            self._switching = False

    # -- status -----------------------------------------------------------------------------
    async def status(self) -> dict[str, Any]:
        rss_kb = _resident_kb()
        max_kb = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 1024
        return {
            "version": VERSION,
            "system_time": format_ms(now_ms()),
            "mode": await self.mode(),
            "max_memory": max_kb,
            "allocated_memory": rss_kb,
            "used_memory": rss_kb,
            "free_memory": max(max_kb - rss_kb, 0),
            "started": format_ms(self.started_ms),
            "last_request": format_ms(self.last_request_ms) if self.last_request_ms else None,
            "request_today": self.request_today,
            "client_errors_today": self.client_errors_today,
            "server_errors_today": self.server_errors_today,
            "process_id": os.getpid(),  # our addition: which worker answered
        }


def _resident_kb() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except OSError:  # not Linux: peak instead of current
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
