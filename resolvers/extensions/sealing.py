"""Extension records as stored, for schemas with attributes marked `encrypt`: the other attributes in
`record`, the encrypted ones together in `sealed` (encryption/cipher.py, bound to the record's schema
and owner), and the blind index of the encrypted ones a unique rule names in `blind`.

`stored` is the one way a record is written and `open_record` the one way it is read back, on every
path (REST, GraphQL and its compiled plans, events, merges, the identity index, re-encryption).
"""

from __future__ import annotations

from typing import Any

from contextgraph.resolvers.encryption.cipher import Cipher
from contextgraph.resolvers.errors import Unavailable
from contextgraph.resolvers.metadata.extension_schema import ExtensionSchema
from contextgraph.resolvers.metadata.identification_keys import component


def _cipher(schema: ExtensionSchema) -> Cipher:
    if schema.cipher is None:
        raise Unavailable(f"extension '{schema.name}' encrypts its values and this server has no encryption keys")
    return schema.cipher


def _place(schema: ExtensionSchema, owner_id: object) -> str:
    return f"{schema.id}/{owner_id}"


def stored(schema: ExtensionSchema, owner_id: object, record: dict[str, Any]) -> dict[str, Any]:
    """The columns (`record`, `sealed`, `blind`) of one checked record of this owner."""
    encrypted = schema.encrypted
    if not encrypted:
        return {"record": record, "sealed": None, "blind": None}
    secret = {k: v for k, v in record.items() if k in encrypted}
    blind = {k: blind_value(schema, k, v) for k, v in secret.items() if k in schema.unique_attributes}
    return {
        "record": {k: v for k, v in record.items() if k not in encrypted},
        "sealed": _cipher(schema).seal(_place(schema, owner_id), secret),
        "blind": blind or None,
    }


def open_record(
    schema: ExtensionSchema, owner_id: object, record: dict[str, Any], sealed: str | None
) -> dict[str, Any]:
    """A stored record as the API shows it: its encrypted attributes decrypted, in schema order."""
    if sealed is None:
        return record
    opened = record | _cipher(schema).open(_place(schema, owner_id), sealed)
    return {a.name: opened[a.name] for a in schema.attributes if a.name in opened}


def blind_text(schema: ExtensionSchema, attribute: str, text: str) -> str:
    """The blind index of an attribute's value as text (as the identity index spells values)."""
    return _cipher(schema).blind(f"{schema.id}\x1f{attribute}\x1f{text}")


def blind_value(schema: ExtensionSchema, attribute: str, value: Any) -> str:
    if isinstance(value, float) and value.is_integer():  # 5.0 and 5 are one value, as plaintext compares
        value = int(value)
    return blind_text(schema, attribute, component(value))


def same_values(schema: ExtensionSchema, row: Any, given: dict[str, Any], names: tuple[str, ...]) -> bool:
    """Whether a stored row has the given values of `names` (encrypted ones: by their blind index)."""
    for name in names:
        if name in schema.encrypted:
            if (row.blind or {}).get(name) != blind_value(schema, name, given[name]):
                return False
        elif row.record.get(name) != given[name]:
            return False
    return True
