"""Re-encryption of stored extension values: after a key rotation (every value not under the current
key), and at start for values of `encrypt` attributes stored in plaintext before migration 0008
(whose identity-index entries it rewrites as blind indexes too).

It works in batches of one transaction each, in id order, locking the rows it rewrites: servers keep
reading and writing meanwhile, and a run stopped half-way is resumed by running it again (a value
already under the current key is left as it is).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa

from contextgraph.resolvers.context import Runtime
from contextgraph.resolvers.encryption.cipher import key_of
from contextgraph.resolvers.encryption.registry import ensure_keys
from contextgraph.resolvers.extensions.sealing import open_record, stored
from contextgraph.resolvers.metadata.registry import MetadataRegistry
from contextgraph.resolvers.profiles.identification import index_customers
from contextgraph.resolvers.store.database import Database
from contextgraph.resolvers.store.tables import extension_record_t

log = logging.getLogger("contextgraph")
_R = extension_record_t.c


async def prepare_encryption(runtime: Runtime) -> None:
    """At start: check this process's keys against the encrypted values (KeysRefused when one is
    missing or wrong), make them if an encrypting schema needs them (the embedded default), and
    encrypt what was stored in plaintext before this version."""
    encrypting = bool(runtime.metadata.encrypting())
    await ensure_keys(runtime.db, runtime.cipher, create=encrypting)
    if encrypting:
        sealed = await reseal(runtime.db, runtime.metadata, plaintext_only=True)
        if sealed:
            await _scrub(runtime.db)
            log.warning("encrypted %s extension records stored in plaintext by an earlier version", sealed)


async def _scrub(db: Database) -> None:
    """Leave no copy of the plaintext just encrypted in the database's files: the old rows' space
    (SQLite's free pages and its WAL, PostgreSQL's dead tuples) is rewritten. Once, at start."""
    async with db.read(snapshot=False) as conn:  # no transaction: VACUUM runs outside one
        if db.is_sqlite:
            await conn.exec_driver_sql("VACUUM")
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            await conn.exec_driver_sql("VACUUM FULL extension_record, identity_index")


async def reseal(
    db: Database,
    metadata: MetadataRegistry,
    *,
    plaintext_only: bool = False,
    batch: int = 500,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Encrypt with the current key every record of an encrypting schema that is not (yet); answers
    how many were rewritten. `plaintext_only`: only those never encrypted."""
    schemas = {s.id: s for s in metadata.encrypting()}
    if not schemas:
        return 0
    cipher = next(iter(schemas.values())).cipher
    assert cipher is not None
    assert cipher.keys is not None
    current = cipher.keys.current
    rewritten, last = 0, -1
    query = sa.select(_R.id, _R.schema_id, _R.owner_id, _R.record, _R.sealed).where(_R.schema_id.in_(list(schemas)))
    if plaintext_only:
        query = query.where(_R.sealed.is_(None))
    while True:
        async with db.write() as conn:
            page = (await conn.execute(query.where(_R.id > last).order_by(_R.id).limit(batch).with_for_update())).all()
            if not page:
                break
            last = page[-1].id
            customers: set[str] = set()
            for row in page:
                schema = schemas[row.schema_id]
                if row.sealed is not None and key_of(row.sealed) == current:
                    continue
                record = open_record(schema, row.owner_id, row.record, row.sealed)
                columns = stored(schema, row.owner_id, record)
                await conn.execute(sa.update(extension_record_t).where(_R.id == row.id).values(**columns))
                rewritten += 1
                if schema.kind == "profile" and row.sealed is None:
                    customers.add(row.owner_id)
            if customers:  # their identity values were plaintext too: now blind indexes
                keys = [k for k in metadata.keys if k.source and metadata.get("profile", k.source) in schemas.values()]
                await index_customers(metadata, conn, sorted(customers), keys)
        if progress is not None:
            progress(rewritten)
    return rewritten
