"""Trusted documents: GraphQL documents registered ahead of time, each known by the sha256 (hex) of
its UTF-8 text as Apollo's clients compute it. In trusted-documents mode only these run.

They live in the database so every worker knows them: a change bumps the documents' version, and
each worker's poller reloads its `TrustedDocuments` when it moves (Runtime.refresh). Whether a text
is a GraphQL document at all is the GraphQL surface's to say (`describe`, given by the app).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.errors import BadParameter, not_found
from contextgraph.resolvers.store.tables import trusted_document_t
from contextgraph.resolvers.store.versions import DOCUMENTS, bump_version, read_version
from contextgraph.resolvers.timefmt import format_ms, now_ms

MAX_TEXT = 100_000  # characters of one document
MAX_DOCUMENTS = 1000  # documents registered in one call
HASH = re.compile(r"[0-9a-f]{64}")

# A text's operation name (None for an anonymous one); BadParameter when it is not a document.
Describe = Callable[[str], str | None]


def any_text(text: str) -> str | None:
    """A `Describe` that takes any text, naming none (until the app gives the GraphQL surface's)."""
    return None


def document_hash(text: str) -> str:
    """The sha256 hex of `text`'s UTF-8 bytes: the id Apollo's persisted-queries link sends."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def check_hash(value: object, parameter: str = "sha256Hash") -> str:
    """A document hash as clients send it: 64 lowercase hex digits (upper case is taken too)."""
    if not isinstance(value, str) or not HASH.fullmatch(value.lower()):
        raise BadParameter(parameter, "expected the 64 hexadecimal digits of a sha256 hash")
    return value.lower()


def _checked_texts(texts: Iterable[object]) -> list[str]:
    found = list(texts)
    if not found or len(found) > MAX_DOCUMENTS:
        raise BadParameter("documents", f"give 1 to {MAX_DOCUMENTS} documents")
    for number, text in enumerate(found):
        if not isinstance(text, str) or not text.strip():
            raise BadParameter(f"documents[{number}]", "a document is a non-empty string")
        if len(text) > MAX_TEXT:
            raise BadParameter(f"documents[{number}]", f"a document has at most {MAX_TEXT} characters")
        if "\x00" in text:
            raise BadParameter(f"documents[{number}]", "a document cannot contain NUL")
    return [str(text) for text in found]


async def add_documents(conn: AsyncConnection, texts: Iterable[object], describe: Describe) -> list[dict[str, Any]]:
    """Register documents (all or none); one registered already is kept as it is."""
    checked = _checked_texts(texts)
    names = {}
    for number, text in enumerate(checked):
        try:
            names[document_hash(text)] = (text, describe(text))
        except BadParameter as error:
            raise BadParameter(f"documents[{number}]", error.reason) from None
    known = set(await conn.scalars(sa.select(trusted_document_t.c.hash).where(trusted_document_t.c.hash.in_(names))))
    new = [
        {"hash": key, "body": text, "name": (name or "")[:256] or None, "created_ms": now_ms()}
        for key, (text, name) in names.items()
        if key not in known
    ]
    if new:
        await conn.execute(sa.insert(trusted_document_t), new)
        await bump_version(conn, DOCUMENTS)
    return await _described(conn, list(names))


async def remove_document(conn: AsyncConnection, hash: str) -> dict[str, Any]:
    """Unregister one document by its hash; NotFound when it is not registered."""
    key = check_hash(hash, "hash")
    described = await _described(conn, [key])
    if not described:
        raise not_found("trusted document", key)
    await conn.execute(sa.delete(trusted_document_t).where(trusted_document_t.c.hash == key))
    await bump_version(conn, DOCUMENTS)
    return described[0]


async def list_documents(conn: AsyncConnection) -> list[dict[str, Any]]:
    rows = await conn.execute(
        sa.select(trusted_document_t).order_by(trusted_document_t.c.created_ms, trusted_document_t.c.hash)
    )
    return [_describe(row) for row in rows]


async def _described(conn: AsyncConnection, keys: list[str]) -> list[dict[str, Any]]:
    rows = await conn.execute(sa.select(trusted_document_t).where(trusted_document_t.c.hash.in_(keys)))
    by_key = {row.hash: _describe(row) for row in rows}
    return [by_key[key] for key in keys if key in by_key]


def _describe(row: Any) -> dict[str, Any]:
    return {"hash": row.hash, "name": row.name, "document": row.body, "created": format_ms(row.created_ms)}


class TrustedDocuments:
    """The registered documents as of `version`, by hash, for every request to consult in memory."""

    def __init__(self) -> None:
        self.version = -1
        self.texts: dict[str, str] = {}

    async def load(self, conn: AsyncConnection) -> None:
        version = await read_version(conn, DOCUMENTS)
        rows = await conn.execute(sa.select(trusted_document_t.c.hash, trusted_document_t.c.body))
        self.texts = {str(row.hash): str(row.body) for row in rows}
        self.version = version

    def text(self, hash: str) -> str | None:
        return self.texts.get(hash)
