"""The metadata every worker keeps in memory: the extension schemas and the identification keys,
as of a `metadata_version` (extensions/schemas.py changes them and bumps it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.metadata.extension_schema import KINDS, ExtensionSchema, from_definition
from contextgraph.resolvers.metadata.identification_keys import IdentificationKey, load_keys
from contextgraph.resolvers.store.tables import extension_schema_t
from contextgraph.resolvers.store.versions import read_version

if TYPE_CHECKING:
    from contextgraph.resolvers.encryption.cipher import Cipher


class MetadataRegistry:
    """The extension schemas in memory, by kind and case-insensitive name."""

    def __init__(
        self, schemas: Iterable[ExtensionSchema] = (), version: int = -1, keys: Iterable[IdentificationKey] = ()
    ) -> None:
        self.version = version
        self.keys = sorted(keys, key=lambda k: k.id)  # identification keys, oldest first
        self._schemas: dict[str, dict[str, ExtensionSchema]] = {kind: {} for kind in KINDS}
        for schema in sorted(schemas, key=lambda s: s.id or 0):
            self._schemas[schema.kind][schema.name.lower()] = schema

    def get(self, kind: str, name: str) -> ExtensionSchema | None:
        return self._schemas[kind].get(name.lower())

    def of_kind(self, kind: str) -> list[ExtensionSchema]:
        return list(self._schemas[kind].values())

    def encrypting(self) -> list[ExtensionSchema]:
        """The schemas with attributes marked `encrypt`."""
        return [s for kind in KINDS for s in self._schemas[kind].values() if s.encrypted]


async def load_registry(conn: AsyncConnection, cipher: Cipher | None = None) -> MetadataRegistry:
    version = await read_version(conn)
    rows = await conn.execute(sa.select(extension_schema_t))
    schemas = [from_definition(r.id, r.owner_kind, r.definition, cipher) for r in rows]
    return MetadataRegistry(schemas, version, await load_keys(conn))
