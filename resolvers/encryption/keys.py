"""Data keys: the secrets that encrypt extension values and make their blind index, and their text
form (the key file, the `encryption_keys` setting, `contextgraph encryption export`).

    {"format": "contextgraph-encryption-keys/1", "current": "3f9a0c1d2e4b",
     "keys": {"3f9a0c1d2e4b": "<32 bytes, base64>"}, "index": "<32 bytes, base64>"}

`current` encrypts; every key listed decrypts (rotation adds one, re-encrypts, then the old one may
go). `index` makes the blind index and does not rotate: identification and unique lookups compare
its HMACs, so changing it would mean rebuilding every index at once.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass, field
from typing import Any

import orjson

FORMAT = "contextgraph-encryption-keys/1"
_SECRET_BYTES = 32


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _secret(where: str, text: Any) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True) if isinstance(text, str) else b""
    except binascii.Error:
        raw = b""
    if len(raw) != _SECRET_BYTES:
        raise ValueError(f"{where} is not a {_SECRET_BYTES}-byte key in base64")
    return raw


@dataclass(frozen=True)
class DataKeys:
    """A set of data keys: `current` encrypts, all of `secrets` decrypt, `index` makes blind indexes."""

    current: str
    secrets: dict[str, bytes] = field(repr=False)
    index: bytes = field(repr=False)

    @classmethod
    def generate(cls) -> DataKeys:
        key_id = secrets.token_hex(6)
        return cls(key_id, {key_id: secrets.token_bytes(_SECRET_BYTES)}, secrets.token_bytes(_SECRET_BYTES))

    def with_new_key(self) -> DataKeys:
        """These keys plus a new one, which becomes current."""
        key_id = secrets.token_hex(6)
        return DataKeys(key_id, {**self.secrets, key_id: secrets.token_bytes(_SECRET_BYTES)}, self.index)

    def without(self, key_id: str) -> DataKeys:
        if key_id not in self.secrets:
            raise ValueError(f"there is no key '{key_id}'")
        if key_id == self.current:
            raise ValueError(f"key '{key_id}' is the current key; rotate to a new key first")
        return DataKeys(self.current, {k: v for k, v in self.secrets.items() if k != key_id}, self.index)

    def merged(self, other: DataKeys) -> DataKeys:
        """Both sets of keys, `other`'s current key current; refused if their index keys differ
        (the blind index of the data would no longer match)."""
        if other.index != self.index:
            raise ValueError("the keys have a different index key: they belong to another database")
        for key_id, secret in other.secrets.items():
            if self.secrets.get(key_id, secret) != secret:
                raise ValueError(f"key '{key_id}' has a different secret in each set")
        return DataKeys(other.current, {**self.secrets, **other.secrets}, self.index)

    def dumps(self) -> str:
        body = {
            "format": FORMAT,
            "current": self.current,
            "keys": {k: _b64(v) for k, v in self.secrets.items()},
            "index": _b64(self.index),
        }
        return orjson.dumps(body, option=orjson.OPT_INDENT_2).decode() + "\n"

    @classmethod
    def loads(cls, text: str | bytes) -> DataKeys:
        """Parse the text form; ValueError saying what is wrong (never echoing a secret)."""
        try:
            body = orjson.loads(text)
        except orjson.JSONDecodeError:
            raise ValueError("the encryption keys are not JSON") from None
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            raise ValueError(f"the encryption keys are not in the format '{FORMAT}'")
        keys = body.get("keys")
        if not isinstance(keys, dict) or not keys:
            raise ValueError("the encryption keys list no key")
        parsed = {}
        for key_id, text_secret in keys.items():
            if not (isinstance(key_id, str) and key_id.isalnum() and len(key_id) <= 32):
                raise ValueError("a key id must be letters and digits (32 at most)")
            parsed[key_id] = _secret(f"key '{key_id}'", text_secret)
        current = body.get("current")
        if current not in parsed:
            raise ValueError("the current key is not one of the keys listed")
        return cls(current, parsed, _secret("the index key", body.get("index")))
