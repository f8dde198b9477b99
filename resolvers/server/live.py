"""Live journey events for subscribers (agent desktops): service, state and task started, completed,
transitioned, associated, extension changed.

Resolvers publish after their transaction commits. On PostgreSQL an event goes out as a NOTIFY on
one channel and every worker (this one included) LISTENs and hands it to its local subscribers, so
an event written through any worker reaches subscribers on all of them. On SQLite (one process)
events go straight to the local subscribers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from typing import Any

import asyncpg
import orjson
import sqlalchemy as sa

from contextgraph.resolvers.store.database import Database, asyncpg_dsn
from contextgraph.resolvers.store.tables import service_t
from contextgraph.resolvers.timefmt import format_ms, now_ms

log = logging.getLogger("contextgraph")
CHANNEL = "contextgraph_journey"
_QUEUE = 1000  # events a slow subscriber may fall behind before it misses some
_NOTIFY = sa.text(
    "SELECT pg_notify(:channel, CAST(CAST(:event AS jsonb) || jsonb_build_object("
    "'customer_id', (SELECT customer_id FROM service WHERE id = :service)) AS text))"
)


@dataclass(frozen=True)
class JourneyEvent:
    kind: str  # service, state or task
    action: str  # started, completed, transitioned, associated, extension_changed
    service_id: int
    customer_id: str | None
    state_id: int | None = None
    task_id: int | None = None
    extension: str | None = None
    at: str = ""


class LiveEvents:
    """The publish side (after commits) and the subscribe side (per customer or per service)."""

    def __init__(self, db: Database, listen_dsn: str | None) -> None:
        self._db = db
        self._dsn = listen_dsn  # PostgreSQL: LISTEN/NOTIFY fan-out across workers
        self._subscribers: dict[str, set[asyncio.Queue[JourneyEvent]]] = {}
        self._listener: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    # -- publishing -------------------------------------------------------------------------
    async def publish(self, kind: str, action: str, service_id: int, **ids: Any) -> None:
        """Best effort: the write is committed already, so a failure here is logged, not raised."""
        try:
            await self._publish(kind, action, service_id, **ids)
        except Exception:
            log.warning("could not publish a %s %s event of service %s", kind, action, service_id, exc_info=True)

    async def _publish(self, kind: str, action: str, service_id: int, **ids: Any) -> None:
        if self._dsn is None:  # one process: nobody to tell unless it has subscribers itself
            if not self._subscribers:
                return
            async with self._db.read(snapshot=False) as conn:
                customer_id = await conn.scalar(sa.select(service_t.c.customer_id).where(service_t.c.id == service_id))
            self._deliver(JourneyEvent(kind, action, service_id, customer_id, at=format_ms(now_ms()), **ids))
            return
        # Every worker may have subscribers: one statement adds the customer id and notifies them all.
        event = asdict(JourneyEvent(kind, action, service_id, None, at=format_ms(now_ms()), **ids))
        async with self._db.read(snapshot=False) as conn:
            values = {"channel": CHANNEL, "event": orjson.dumps(event).decode(), "service": service_id}
            await conn.execute(_NOTIFY, values)

    def _deliver(self, event: JourneyEvent) -> None:
        for topic in (f"service:{event.service_id}", f"customer:{event.customer_id}"):
            for queue in self._subscribers.get(topic, ()):
                if queue.full():  # drop the oldest rather than stall the writer
                    queue.get_nowait()
                queue.put_nowait(event)

    # -- subscribing ------------------------------------------------------------------------
    @property
    def listening(self) -> int:
        """How many subscriptions this process is listening for now."""
        return sum(len(queues) for queues in self._subscribers.values())

    async def subscribe(
        self, *, customer_id: str | None = None, service_id: int | None = None
    ) -> AsyncIterator[JourneyEvent]:
        """The events of one customer's or one service's journey, from now on."""
        topic = f"customer:{customer_id}" if customer_id is not None else f"service:{service_id}"
        queue: asyncio.Queue[JourneyEvent] = asyncio.Queue(_QUEUE)
        self._subscribers.setdefault(topic, set()).add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers[topic].discard(queue)
            if not self._subscribers[topic]:
                del self._subscribers[topic]

    # -- the PostgreSQL listener ------------------------------------------------------------
    async def start(self) -> None:
        if self._dsn is not None:
            self._listener = asyncio.create_task(self._listen())
            await asyncio.wait_for(self._ready.wait(), 30)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener

    async def _listen(self) -> None:
        assert self._dsn is not None
        while True:  # reconnect when the database goes away
            try:
                conn = await asyncpg.connect(self._dsn)
            except (OSError, asyncpg.PostgresError):
                log.warning("cannot LISTEN for journey events; retrying", exc_info=True)
                await asyncio.sleep(1)
                continue
            lost = asyncio.Event()
            try:
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())  # type: ignore[misc]
                await conn.add_listener(CHANNEL, self._on_notify)
                self._ready.set()
                await lost.wait()
            finally:
                with contextlib.suppress(Exception):
                    await conn.close()

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            self._deliver(JourneyEvent(**orjson.loads(payload)))
        except (TypeError, ValueError):
            log.warning("ignoring a malformed journey event: %.200s", payload)


def listen_dsn(async_url: str) -> str | None:
    """The asyncpg DSN of a PostgreSQL database URL (None for SQLite)."""
    if not async_url.startswith("postgresql"):
        return None
    return asyncpg_dsn(async_url)
