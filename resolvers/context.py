"""What every operation is given: a `Context`, the process's `Runtime` seen by one principal.

The `Runtime` is what one server process holds: the database, the settings, the server mode and
counters, live events, the metadata (extension schemas, identification keys) and the API keys. It
takes what other workers changed with `refresh()`. A `Context` is made per request for the key
that sent it (`runtime.context(principal)`); every operation checks its roles against that
principal, so a request without one cannot reach the domain at all.

`await ctx.rows()` is the request's read session (the read path), `ctx.write()` a write transaction
for profile and service work, both behind the server-mode guard (403 in maintenance, 503 while
switching); `ctx.metadata_write()` guards schema changes (503 while switching).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.access.documents import Describe, TrustedDocuments, any_text
from contextgraph.resolvers.access.keys import Keyring, ensure_bootstrap
from contextgraph.resolvers.access.roles import Principal
from contextgraph.resolvers.conditions import Conditions
from contextgraph.resolvers.encryption.cipher import Cipher
from contextgraph.resolvers.encryption.keyfile import KeySource
from contextgraph.resolvers.encryption.registry import KeysRefused, ensure_keys
from contextgraph.resolvers.errors import Forbidden, Unavailable
from contextgraph.resolvers.metadata.business import BusinessAttributes
from contextgraph.resolvers.metadata.profile_schema import ProfileSchema
from contextgraph.resolvers.metadata.registry import MetadataRegistry, load_registry
from contextgraph.resolvers.server.live import JourneyEvent, LiveEvents, listen_dsn
from contextgraph.resolvers.server.runtime import ServerRuntime
from contextgraph.resolvers.settings import DomainSettings
from contextgraph.resolvers.store import idempotency_keys, journal
from contextgraph.resolvers.store.database import Database, one_at_a_time
from contextgraph.resolvers.store.reader import Rows
from contextgraph.resolvers.store.versions import DOCUMENTS, KEYS, METADATA, read_versions
from contextgraph.resolvers.timefmt import now_ms

log = logging.getLogger("contextgraph")
PURGE_INTERVAL = 60.0  # seconds between a process's purges of expired idempotency keys and events


@dataclass(eq=False)
class Runtime:
    """One process's state, shared by every request it serves."""

    db: Database
    settings: DomainSettings
    server: ServerRuntime
    profile_schema: ProfileSchema
    business: BusinessAttributes
    live: LiveEvents
    cipher: Cipher
    metadata: MetadataRegistry = field(default_factory=MetadataRegistry)
    keyring: Keyring = field(default_factory=Keyring)
    # Called with the new registry after every reload (the GraphQL schema builder listens).
    listeners: list[Callable[[MetadataRegistry], None]] = field(default_factory=list)
    purged_at: float = 0.0  # when this process last forgot expired idempotency keys (monotonic s)
    trusted: TrustedDocuments = field(default_factory=TrustedDocuments)
    # Called after every reload of the trusted documents (the GraphQL surface checks them).
    document_listeners: list[Callable[[TrustedDocuments], None]] = field(default_factory=list)
    # What the GraphQL surface says a text is (its operation name), given by the app.
    describe_document: Describe = any_text

    @classmethod
    def create(cls, db: Database, settings: DomainSettings) -> Runtime:
        server = ServerRuntime(db, switch_timeout=settings.mode_switch_timeout)
        schema = ProfileSchema(settings.profile_attributes, check_values=settings.check_reserved_values)
        live = LiveEvents(db, listen_dsn(db.url))
        keys = settings.encryption_keys.get_secret_value() if settings.encryption_keys else None
        cipher = Cipher(KeySource(keys, settings.encryption_key_file))
        return cls(db, settings, server, schema, BusinessAttributes(settings.business_attributes), live, cipher)

    def context(self, principal: Principal, *, snapshot: bool = False, conditions: Conditions | None = None) -> Context:
        """The context of one request (or websocket operation) sent with `principal`'s key; its reads
        share one session (`snapshot`: a snapshot even where an operation reads one statement alone);
        `conditions`: what its headers ask of its writes (If-Match, Idempotency-Key)."""
        return Context(self, principal, Reads(self, snapshot), conditions or Conditions())

    @cached_property
    def answers_digest(self) -> str:
        """A digest of the settings that shape answers besides the data (the profile schema, the
        business attributes' names): part of every ETag, so a restart with other ones revalidates."""
        shaping = self.settings.model_dump_json(include={"profile_attributes", "business_attributes"})
        return hashlib.sha256(shaping.encode()).hexdigest()[:8]

    async def reload_metadata(self) -> None:
        """Reload the extension schemas from the database (PUT /metadata/cache, or a version bump)."""
        async with self.db.read() as conn:
            registry = await load_registry(conn, self.cipher)
        if registry.encrypting() and self.cipher.keys is None:  # another process made an encrypting schema
            try:
                await ensure_keys(self.db, self.cipher, create=True)
            except (KeysRefused, ValueError) as exc:
                log.error("encrypted extension values cannot be read or written: %s", exc)
        self.metadata = registry
        for listener in self.listeners:
            try:
                listener(registry)
            except Exception:  # the change is committed; a listener's failure must not undo the answer
                log.exception("a metadata listener failed for version %s", registry.version)

    async def reload_documents(self) -> None:
        """Reload the trusted documents from the database (after a change, or a version bump)."""
        async with self.db.read(snapshot=False) as conn:
            await self.trusted.load(conn)
        for listener in self.document_listeners:
            try:
                listener(self.trusted)
            except Exception:  # as for metadata: the change is committed
                log.exception("a trusted-documents listener failed for version %s", self.trusted.version)

    async def bootstrap(self, secret: str | None) -> None:
        """Ensure the all-roles key of CONTEXTGRAPH_BOOTSTRAP_KEY, if the operator gave one."""
        if secret is not None:
            async with self.db.write() as conn:
                await one_at_a_time(conn, "bootstrap")  # several workers start at once
                if await ensure_bootstrap(conn, secret):
                    log.info("the bootstrap API key was created or reset")

    async def ensure_encryption(self) -> None:
        """The encryption keys, loaded or made on first need; 503 saying why when they are refused."""
        if self.cipher.keys is None:
            try:
                await ensure_keys(self.db, self.cipher, create=True)
            except (KeysRefused, ValueError) as exc:
                raise Unavailable(str(exc)) from None

    async def refresh(self) -> None:
        """Take changes other workers made: the server mode, the API keys, the encryption keys (a
        rotation) and, if their versions moved, the trusted documents and the metadata.
        """
        self.cipher.reload()
        await self.server.read_mode()
        async with self.db.read(snapshot=False) as conn:
            versions = await read_versions(conn, METADATA, KEYS, DOCUMENTS)
            if versions[KEYS] != self.keyring.version:
                await self.keyring.load(conn)
        if versions[DOCUMENTS] != self.trusted.version:
            await self.reload_documents()
        version = versions[METADATA]
        if version != self.metadata.version:
            log.info("metadata version %s -> %s: reloading extension schemas", self.metadata.version, version)
            await self.reload_metadata()
        if time.monotonic() - self.purged_at >= PURGE_INTERVAL:
            self.purged_at = time.monotonic()
            async with self.db.write() as conn:
                await idempotency_keys.purge(conn, now_ms())
            async with self.db.write() as conn:
                await journal.purge(conn, now_ms() - int(self.settings.journey_event_retention * 1000))


class Reads:
    """The read session of one request (store/reader.py), opened on its first read and kept until
    the request ends (`close`), so every read of a request sees one snapshot; a write closes it, so
    what a request reads after writing sees what it wrote. An operation that reads one statement
    alone (a service by id) reads it without a transaction unless the request needs a snapshot
    (`snapshot`: a GraphQL document that reads more after it).
    """

    def __init__(self, runtime: Runtime, snapshot: bool) -> None:
        self.runtime, self.snapshot = runtime, snapshot
        self._open: AsyncExitStack | None = None
        self._rows: Rows | None = None
        self._turn = asyncio.Lock()  # fields of one level open it together: once

    async def rows(self, *, alone: bool = False) -> Rows:
        if self._rows is not None:
            return self._rows
        async with self._turn:
            if self._rows is None:
                snapshot = self.snapshot or not alone
                async with AsyncExitStack() as stack:
                    await stack.enter_async_context(self.runtime.server.operation())  # the server-mode guard
                    self._rows = await stack.enter_async_context(self.runtime.db.reader.session(snapshot=snapshot))
                    self._open = stack.pop_all()
            return self._rows

    async def close(self) -> None:
        async with self._turn:
            opened, self._open, self._rows = self._open, None, None
            if opened is not None:
                await opened.aclose()


@dataclass(frozen=True, eq=False, slots=True)
class Context:
    """The runtime as one principal uses it: what every operation is given."""

    runtime: Runtime
    principal: Principal
    reads: Reads
    conditions: Conditions = field(default_factory=Conditions)
    # Journey events this request's write recorded, handed over once it commits (`write`).
    recorded: list[JourneyEvent] = field(default_factory=list)

    @property
    def db(self) -> Database:
        return self.runtime.db

    @property
    def settings(self) -> DomainSettings:
        return self.runtime.settings

    @property
    def server(self) -> ServerRuntime:
        return self.runtime.server

    @property
    def profile_schema(self) -> ProfileSchema:
        return self.runtime.profile_schema

    @property
    def business(self) -> BusinessAttributes:
        return self.runtime.business

    @property
    def live(self) -> LiveEvents:
        return self.runtime.live

    @property
    def metadata(self) -> MetadataRegistry:
        return self.runtime.metadata

    def under(self, conditions: Conditions) -> Context:
        """This context for one write with conditions of its own: a GraphQL mutation's `ifMatch` and
        `idempotencyKey` (a document may hold several mutations, each with its own)."""
        return replace(self, conditions=conditions)

    def require(self, *tasks: str) -> None:
        """Refuse (403) unless the principal holds every one of `tasks`."""
        self.principal.require(*tasks)

    async def rows(self, *, alone: bool = False) -> Rows:
        """The request's read session (the one read path); `alone`: this read is one statement."""
        return await self.reads.rows(alone=alone)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction; the journey events it records reach subscribers once it commits."""
        held = self.conditions.held
        if held is not None:  # inside an idempotent start's transaction (idempotency.py): join it
            yield held
            return
        await self.reads.close()  # what the request reads next sees this write
        try:
            async with self.server.operation(), self.db.write() as conn:
                yield conn
        except BaseException:
            self.recorded.clear()  # rolled back: nothing happened
            raise
        recorded = list(self.recorded)
        self.recorded.clear()
        await self.live.committed(recorded)

    async def publish(self, conn: AsyncConnection, kind: str, action: str, service_id: int, **ids: Any) -> None:
        """Record a journey event in the write's transaction (`conn`): it exists if the write commits,
        and reaches the journey's subscribers then."""
        self.recorded.append(await self.live.record(conn, kind, action, service_id, **ids))

    @asynccontextmanager
    async def metadata_write(self) -> AsyncIterator[None]:
        await self.reads.close()
        async with self.server.operation(journey=False):
            yield

    async def require_maintenance(self, what: str) -> None:
        """Profile extension schemas and identification keys change only in maintenance mode."""
        if await self.server.mode() != "maintenance":
            raise Forbidden(f"{what} can only be changed in maintenance mode")

    async def reload_metadata(self) -> None:
        await self.runtime.reload_metadata()
