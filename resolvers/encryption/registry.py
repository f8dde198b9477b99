"""Which data keys may have encrypted values, as the database records them (`encryption_key`: ids and
check values), and the check every process makes against it before it encrypts or starts: every
key listed must be among the process's keys, and be the same key. A missing or wrong key is refused
with a message that says which, instead of data written under a second key nobody else has.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.encryption.cipher import Cipher, check_value
from contextgraph.resolvers.encryption.keys import DataKeys
from contextgraph.resolvers.store.database import Database, one_at_a_time
from contextgraph.resolvers.store.tables import encryption_key_t
from contextgraph.resolvers.timefmt import now_ms

INDEX = "index"  # the blind-index key's row


class KeysRefused(ValueError):
    """Encrypted values exist that this process's keys cannot read (or would make unreadable)."""


async def registered(conn: AsyncConnection) -> dict[str, str]:
    """{key id: check value} of every key that may have encrypted values (and the index key)."""
    rows = await conn.execute(sa.select(encryption_key_t.c.id, encryption_key_t.c.check_value))
    return {str(key_id): str(check) for key_id, check in rows}


def _checks(keys: DataKeys) -> dict[str, str]:
    return {**{k: check_value(s) for k, s in keys.secrets.items()}, INDEX: check_value(keys.index)}


def verify(keys: DataKeys, known: dict[str, str], where: str) -> None:
    """Refuse keys that lack, or differ from, a key the database has encrypted values under."""
    checks = _checks(keys)
    missing = sorted(k for k in known if k not in checks)
    if missing:
        raise KeysRefused(
            f"encrypted values exist under key(s) {', '.join(missing)}, which {where} does not hold: give the "
            "server the keys it was using (`contextgraph encryption import` from your backup)"
        )
    wrong = sorted(k for k, check in known.items() if checks[k] != check)
    if wrong:
        raise KeysRefused(
            f"{where} holds a different key '{wrong[0]}' than the one the encrypted values were written with: "
            "give the server the keys it was using (`contextgraph encryption import` from your backup)"
        )


async def register(conn: AsyncConnection, keys: DataKeys) -> None:
    """Record the current key (and the index key) as keys that may have encrypted values."""
    known = await registered(conn)
    checks = _checks(keys)
    new = [k for k in (INDEX, keys.current) if k not in known]
    if new:
        made = now_ms()
        await conn.execute(
            sa.insert(encryption_key_t), [{"id": k, "check_value": checks[k], "created_ms": made} for k in new]
        )


async def ensure_keys(db: Database, cipher: Cipher, *, create: bool) -> None:
    """Load the process's keys and check them against the database; with no keys anywhere and
    `create`, make them (the embedded default). Raises KeysRefused for a missing or wrong key."""
    keys = cipher.keys or cipher.source.load()
    async with db.write() as conn:
        await one_at_a_time(conn, "encryption keys")  # several workers at once: one makes the keys
        known = await registered(conn)
        if keys is None:
            if known:
                raise KeysRefused(
                    f"encrypted values exist, but {cipher.source.describe()} does not exist: restore it from "
                    "your backup (`contextgraph encryption import`), or set encryption_keys"
                )
            if not create:
                return
            keys = cipher.source.create()
        verify(keys, known, cipher.source.describe())
        await register(conn, keys)
    cipher.use(keys)
