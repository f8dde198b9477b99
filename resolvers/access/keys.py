"""API keys: created with their roles (task names), stored as salted hashes, revoked; and the
Keyring every worker holds to authenticate a request without a database round trip.

A key's secret reads `cg_<id>_<random>`: the id finds the row, the salted hash proves the rest. The
bootstrap key (CONTEXTGRAPH_BOOTSTRAP_KEY) is the operator's own string; it lives under the id
`bootstrap`. Every change bumps the keys' version, which each worker's poller watches (Context.refresh),
so a revoked key stops working everywhere within `refresh_interval`.

Secrets are 256-bit random values, not passwords: one salted SHA-256 is as strong as a slow hash
against guessing them, and costs a microsecond per request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.access.roles import TASKS, Principal
from contextgraph.resolvers.errors import BadParameter, Conflict, NotAuthorized, not_found
from contextgraph.resolvers.store.database import Database
from contextgraph.resolvers.store.tables import api_key_t
from contextgraph.resolvers.store.versions import KEYS, bump_version, read_version
from contextgraph.resolvers.timefmt import format_ms, now_ms

BOOTSTRAP_ID = "bootstrap"
KEY_REQUIRED = "an API key is required: send Authorization: Bearer <key>"
KEY_REVOKED = "the API key was revoked"
_TOKEN = re.compile(r"cg_([0-9a-f]{12})_[A-Za-z0-9_-]{20,}")


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode()).hexdigest()


def parse_roles(text: str) -> list[str]:
    """`UCS.Customer.readProfile,UCS.Service.readService` or `all` (every task) to a checked list."""
    wanted = [item.strip() for item in text.split(",") if item.strip()]
    if wanted == ["all"]:
        return list(TASKS)
    unknown = [name for name in wanted if name not in TASKS]
    if unknown or not wanted:
        raise BadParameter("roles", f"unknown role(s) {', '.join(unknown) or '(none given)'}; see GET /metadata/roles")
    return list(dict.fromkeys(wanted))


async def create_key(conn: AsyncConnection, *, name: str, roles: list[str]) -> tuple[dict[str, Any], str]:
    """A new key: its description, and the secret (shown once, never stored)."""
    name = name.strip()
    if not name or len(name) > 128:
        raise BadParameter("name", "a key needs a name of 1 to 128 characters")
    if name == BOOTSTRAP_ID:
        raise BadParameter("name", "'bootstrap' is the name of CONTEXTGRAPH_BOOTSTRAP_KEY's key")
    if await conn.scalar(sa.select(api_key_t.c.id).where(api_key_t.c.name == name)) is not None:
        raise Conflict(f"an API key named '{name}' exists already")
    key_id = secrets.token_hex(6)
    secret = f"cg_{key_id}_{secrets.token_urlsafe(32)}"
    await _store(conn, key_id, name, roles, secret)
    return await describe_key(conn, key_id), secret


async def _store(conn: AsyncConnection, key_id: str, name: str, roles: list[str], secret: str) -> None:
    salt = secrets.token_hex(16)
    values = {
        "name": name,
        "roles": roles,
        "salt": salt,
        "secret_hash": _digest(salt, secret),
        "created_ms": now_ms(),
        "revoked_ms": None,
    }
    await conn.execute(sa.delete(api_key_t).where(api_key_t.c.id == key_id))
    await conn.execute(sa.insert(api_key_t).values(id=key_id, **values))
    await bump_version(conn, KEYS)


async def ensure_bootstrap(conn: AsyncConnection, secret: str) -> bool:
    """Make the bootstrap key an all-roles key with this secret; True when something changed."""
    row = (await conn.execute(sa.select(api_key_t).where(api_key_t.c.id == BOOTSTRAP_ID))).first()
    if (
        row is not None
        and row.revoked_ms is None
        and set(row.roles) == set(TASKS)
        and hmac.compare_digest(row.secret_hash, _digest(row.salt, secret))
    ):
        return False
    await conn.execute(sa.delete(api_key_t).where(api_key_t.c.name == BOOTSTRAP_ID, api_key_t.c.id != BOOTSTRAP_ID))
    await _store(conn, BOOTSTRAP_ID, BOOTSTRAP_ID, list(TASKS), secret)
    return True


async def revoke_key(conn: AsyncConnection, name_or_id: str) -> dict[str, Any]:
    where = sa.or_(api_key_t.c.name == name_or_id, api_key_t.c.id == name_or_id)
    key_id = await conn.scalar(sa.select(api_key_t.c.id).where(where))
    if key_id is None:
        raise not_found("API key", name_or_id)
    await conn.execute(
        sa.update(api_key_t)
        .where(api_key_t.c.id == key_id, api_key_t.c.revoked_ms.is_(None))
        .values(revoked_ms=now_ms())
    )
    await bump_version(conn, KEYS)
    return await describe_key(conn, key_id)


async def list_keys(conn: AsyncConnection) -> list[dict[str, Any]]:
    rows = await conn.execute(sa.select(api_key_t).order_by(api_key_t.c.created_ms, api_key_t.c.id))
    return [_describe(row) for row in rows]


async def describe_roles(db: Database) -> list[dict[str, Any]]:
    """ "Query Metadata Roles": each API key is a role; every task is listed with `capableOf`."""
    async with db.read() as conn:
        described = await list_keys(conn)
    return [
        {
            "role_DBID": key["id"],
            "role_name": key["name"],
            "role_enabled": key["revoked"] is None,
            "tasks": [{"name": task, "capableOf": task in key["roles"]} for task in TASKS],
        }
        for key in described
    ]


async def describe_key(conn: AsyncConnection, key_id: str) -> dict[str, Any]:
    row = (await conn.execute(sa.select(api_key_t).where(api_key_t.c.id == key_id))).one()
    return _describe(row)


def _describe(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "roles": list(row.roles),
        "created": format_ms(row.created_ms),
        "revoked": format_ms(row.revoked_ms) if row.revoked_ms is not None else None,
    }


@dataclass(frozen=True)
class _Entry:
    principal: Principal
    salt: str
    secret_hash: str


class Keyring:
    """The enabled keys of the database as of `version`, for authenticating requests in memory.

    Open connections (websockets, event streams) `watch` their key: when a load finds it revoked
    (or its secret replaced), their callback runs, so they can close.
    """

    def __init__(self) -> None:
        self.version = -1
        self._entries: dict[str, _Entry] = {}
        self._watchers: dict[str, set[Callable[[], None]]] = {}

    async def load(self, conn: AsyncConnection) -> None:
        version = await read_version(conn, KEYS)
        rows = await conn.execute(sa.select(api_key_t).where(api_key_t.c.revoked_ms.is_(None)))
        before, self._entries = (
            self._entries,
            {
                row.id: _Entry(Principal(row.id, row.name, frozenset(row.roles)), row.salt, row.secret_hash)
                for row in rows
            },
        )
        self.version = version
        for key_id, entry in before.items():
            now = self._entries.get(key_id)
            if now is None or (now.salt, now.secret_hash) != (entry.salt, entry.secret_hash):
                for callback in list(self._watchers.pop(key_id, ())):
                    callback()

    def current(self, key_id: str) -> Principal | None:
        """The key's principal as the database has it now (its roles may have changed); None once
        it is revoked."""
        entry = self._entries.get(key_id)
        return entry.principal if entry is not None else None

    def watch(self, key_id: str, revoked: Callable[[], None]) -> Callable[[], None]:
        """Call `revoked` once when the key is revoked; answers the function that stops watching.
        A key revoked already is called back at once."""
        if key_id not in self._entries:
            revoked()
            return lambda: None
        self._watchers.setdefault(key_id, set()).add(revoked)

        def unwatch() -> None:
            watchers = self._watchers.get(key_id)
            if watchers is not None:
                watchers.discard(revoked)
                if not watchers:
                    del self._watchers[key_id]

        return unwatch

    def authenticate(self, secret: str) -> Principal | None:
        """The key's principal, or None for an unknown, revoked or wrong secret."""
        match = _TOKEN.fullmatch(secret)
        entry = self._entries.get(match.group(1) if match else BOOTSTRAP_ID)
        if entry is None:
            return None
        return entry.principal if hmac.compare_digest(_digest(entry.salt, secret), entry.secret_hash) else None

    def principals(self) -> list[Principal]:
        return [entry.principal for entry in self._entries.values()]


def credential(authorization: str | None) -> str | None:
    """The secret of an Authorization header value (Bearer, or Basic's password); None if absent."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme == "bearer":
        return value or ""
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[2]
    return ""  # an unknown scheme is a wrong credential, not a missing one


def authenticate(keyring: Keyring, authorization: str | None) -> Principal | None:
    """The principal of an Authorization header; None when there is none; NotAuthorized when it is wrong."""
    secret = credential(authorization)
    if secret is None:
        return None
    principal = keyring.authenticate(secret) if secret else None
    if principal is None:
        raise NotAuthorized(_why_wrong(authorization or ""))
    return principal


def _why_wrong(authorization: str) -> str:
    """What to do about a refused Authorization header: a bare key (no scheme) is the usual mistake."""
    scheme = authorization.strip().partition(" ")[0].lower()
    if scheme not in ("bearer", "basic"):
        return "the Authorization header has no Bearer or Basic scheme: send Authorization: Bearer <key>"
    return "the API key is unknown or revoked"


def require_principal(principal: Principal | None) -> Principal:
    """The request's principal; without one, NotAuthorized (no principal is never a pass)."""
    if principal is None:
        raise NotAuthorized(KEY_REQUIRED)
    return principal
