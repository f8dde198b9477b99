"""Identification keys as the metadata holds them ("Identification Key"), and how the identity
index encodes a key's values: the components joined so that a prefix of them is a string prefix
(profiles/identification.py maintains the index and looks customers up in it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.store.tables import identification_key_t

SEP = "\x1f"
_MAX_VALUE = 1000


@dataclass(frozen=True)
class IdentificationKey:
    id: int
    name: str
    source: str | None  # None: profile attributes; else the profile extension's name
    attributes: tuple[str, ...]
    unique: bool

    def describe(self) -> dict[str, Any]:
        prefix = f"{self.source}." if self.source else ""
        body: dict[str, Any] = {"name": self.name, "attributes": [prefix + a for a in self.attributes]}
        if self.source:
            body["source"] = self.source
        body["unique"] = self.unique
        return body

    def parameter(self, attribute: str) -> str:
        """The query parameter that gives this attribute: `name`, or `extension.name`."""
        return f"{self.source}.{attribute}" if self.source else attribute


def encode(components: Sequence[str]) -> str:
    """Components joined so that the encoding of a prefix of them is a string prefix."""
    value = "".join(c.replace("\\", "\\\\").replace(SEP, "\\s") + SEP for c in components)
    if len(value) > _MAX_VALUE:  # too long for an index entry: exact lookups only
        return "#" + hashlib.sha256(value.encode()).hexdigest()
    return value


def component(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def keys_from_rows(rows: Iterable[Any]) -> list[IdentificationKey]:
    keys = [IdentificationKey(r.id, r.name, r.source, tuple(r.attributes), r.unique) for r in rows]
    return sorted(keys, key=lambda k: k.id)


async def load_keys(conn: AsyncConnection) -> list[IdentificationKey]:
    return keys_from_rows(await conn.execute(sa.select(identification_key_t)))
