"""Live journey events for subscribers (agent desktops): service, state and task started, completed,
transitioned, associated, extension changed.

A write records its events in its own transaction (`record`, store/journal.py), so an event exists
if and only if its write committed, numbered by a global sequence in commit order. On PostgreSQL the
same transaction NOTIFYs them on one channel: PostgreSQL delivers notifications only on commit and
in commit order, to every worker (this one included), which hands them to its local subscribers.
On SQLite (one process) the writer hands them over after its commit (`committed`); a write that
commits before an earlier one has handed its events over brings the earlier ones along from the
table, so subscribers see every event in sequence order.

A subscriber (`follow`) is registered before it reads what it missed, and skips what it has seen:
no gap, no duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import asyncpg
import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.errors import Gone
from contextgraph.resolvers.store import journal
from contextgraph.resolvers.store.database import Database, asyncpg_dsn
from contextgraph.resolvers.timefmt import format_ms, now_ms

log = logging.getLogger("contextgraph")
CHANNEL = "contextgraph_journey"
QUEUE = 1000  # events a slow subscriber may fall behind before it is told to resubscribe
_NOTIFY = sa.text("SELECT pg_notify(:channel, :event)")


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
    sequence: int = 0  # global, in commit order (store/journal.py)


class Follower:
    """One subscription: registered from its creation (before it reads what it missed), then the
    events it missed (`replay`) and live ones, each sequence once. `close()` when done with it."""

    def __init__(self, live: LiveEvents, topic: str) -> None:
        self._live, self.topic = live, topic
        self.queue: asyncio.Queue[JourneyEvent] = asyncio.Queue(QUEUE)
        self.overflowed = False
        self._missed: deque[JourneyEvent] = deque()
        self._seen = 0
        live._subscribers.setdefault(topic, set()).add(self)

    def offer(self, event: JourneyEvent) -> None:
        if self.queue.full():
            self.overflowed = True  # never drop silently: the subscriber learns where it stopped
        else:
            self.queue.put_nowait(event)

    def replay(self, missed: Iterable[JourneyEvent]) -> None:
        """Events before the live ones, oldest first."""
        self._missed.extend(missed)

    def __aiter__(self) -> Follower:
        return self

    async def __anext__(self) -> JourneyEvent:
        if self._missed:
            event = self._missed.popleft()
            self._seen = event.sequence
            return event
        while True:
            if self.overflowed and self.queue.empty():
                self.close()
                raise Gone(f"this subscription fell behind; subscribe again with after: {self._seen}")
            event = await self.queue.get()
            if event.sequence > self._seen:  # live ones arrive in sequence order; lower ones were replayed
                self._seen = event.sequence
                return event

    def close(self) -> None:
        followers = self._live._subscribers.get(self.topic)
        if followers is not None:
            followers.discard(self)
            if not followers:
                del self._live._subscribers[self.topic]


class LiveEvents:
    """The record side (in a write's transaction) and the subscribe side (per customer or service)."""

    def __init__(self, db: Database, listen_dsn: str | None) -> None:
        self._db = db
        self._dsn = listen_dsn  # PostgreSQL: LISTEN/NOTIFY fan-out across workers
        self._subscribers: dict[str, set[Follower]] = {}
        self._listener: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._next: int | None = None  # SQLite: the sequence to hand over next
        self._order = asyncio.Lock()

    # -- recording --------------------------------------------------------------------------
    async def record(self, conn: AsyncConnection, kind: str, action: str, service_id: int, **ids: Any) -> JourneyEvent:
        """Write an event in the transaction of `conn` (PostgreSQL: and notify every worker on commit)."""
        at = now_ms()
        row = await journal.insert(
            conn,
            {"created_ms": at, "at": format_ms(at), "kind": kind, "action": action, "service_id": service_id, **ids},
        )
        event = JourneyEvent(**row)
        if self._dsn is not None:
            await conn.execute(_NOTIFY, {"channel": CHANNEL, "event": orjson.dumps(asdict(event)).decode()})
        return event

    async def committed(self, events: Iterable[JourneyEvent]) -> None:
        """Hand over the events of a committed write (SQLite; PostgreSQL's NOTIFY did already)."""
        if self._dsn is not None:
            return
        for event in events:
            try:
                await self._in_order(event)
            except Exception:  # the write is committed: a failure here is logged, not raised
                log.warning("could not hand over journey event %s", event.sequence, exc_info=True)

    async def _in_order(self, event: JourneyEvent) -> None:
        async with self._order:
            if self._next is None:
                self._next = event.sequence
            if event.sequence < self._next:
                return  # handed over already, by a later write that committed after it
            if event.sequence > self._next and self._subscribers:
                # The events in between committed before this one (writers take turns on SQLite).
                async with self._db.reader.session(snapshot=False) as rows:
                    for row in await journal.between(rows, self._next, event.sequence):
                        self._deliver(JourneyEvent(**row))
            self._deliver(event)
            self._next = event.sequence + 1

    def _deliver(self, event: JourneyEvent) -> None:
        for topic in (f"service:{event.service_id}", f"customer:{event.customer_id}"):
            for follower in self._subscribers.get(topic, ()):
                follower.offer(event)

    # -- subscribing ------------------------------------------------------------------------
    @property
    def listening(self) -> int:
        """How many subscriptions this process is listening for now."""
        return sum(len(followers) for followers in self._subscribers.values())

    def follow(self, *, customer_id: str | None = None, service_id: int | None = None) -> Follower:
        """A subscription to one customer's or one service's events, registered now."""
        return Follower(self, f"customer:{customer_id}" if customer_id is not None else f"service:{service_id}")

    # -- start, stop and the PostgreSQL listener --------------------------------------------
    async def start(self) -> None:
        if self._dsn is not None:
            self._listener = asyncio.create_task(self._listen())
            await asyncio.wait_for(self._ready.wait(), 30)
        else:
            async with self._db.reader.session(snapshot=False) as rows:
                self._next = (await journal.extent(rows))[1] + 1

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
