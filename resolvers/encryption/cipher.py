"""The cipher of one process: authenticated encryption of extension values (AES-256-GCM) and their
blind index (HMAC-SHA256), with the data keys of its key source.

A sealed value is `<key id>:<base64url(nonce | ciphertext | tag)>`: the key id says which key opens
it, so values under an old key stay readable while a rotation re-encrypts them. The associated data
names the value's place (extension schema and owner), so a value copied into another customer's
record does not open. AES-GCM rather than Fernet: it authenticates that place along with the value,
and its 28 bytes of overhead are a third of Fernet's; the 96-bit random nonces are safe for far
more values than one key encrypts between rotations.

Encryption and blind-index keys are derived (HKDF-SHA256) from the data keys with distinct labels,
so no key is used for two purposes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from contextgraph.resolvers.encryption.keyfile import KeySource
from contextgraph.resolvers.encryption.keys import DataKeys
from contextgraph.resolvers.errors import Unavailable

log = logging.getLogger("contextgraph")


def derive(secret: bytes, label: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label.encode()).derive(secret)


def check_value(secret: bytes) -> str:
    """What the database keeps to recognise a key (an HMAC under a key derived from it): a wrong key
    is refused at start instead of failing on the first encrypted value."""
    return hmac.new(derive(secret, "contextgraph key check"), b"contextgraph", hashlib.sha256).hexdigest()


def key_of(sealed: str) -> str:
    """The id of the key a sealed value is encrypted with."""
    return sealed.partition(":")[0]


class Cipher:
    """Seals and opens extension values; `keys` is None until the first need (see registry.py)."""

    def __init__(self, source: KeySource) -> None:
        self.source = source
        self.keys: DataKeys | None = None
        self._aead: dict[str, AESGCM] = {}
        self._blind = b""

    def use(self, keys: DataKeys) -> None:
        self._aead = {
            key_id: AESGCM(derive(secret, "contextgraph aes-256-gcm")) for key_id, secret in keys.secrets.items()
        }
        self._blind = derive(keys.index, "contextgraph blind index")
        self.keys = keys

    def reload(self) -> None:
        """Take the key file again if another process changed it (a rotation)."""
        if self.keys is not None and self.source.changed():
            try:
                keys = self.source.load()
            except ValueError:  # half-copied by hand, say: keep the keys in memory, and say so
                log.warning("could not take the changed encryption keys", exc_info=True)
                return
            if keys is not None:
                self.use(keys)

    def _ready(self) -> DataKeys:
        if self.keys is None:
            raise Unavailable("the encryption keys are not loaded: see the server's log for why")
        return self.keys

    def seal(self, place: str, values: dict[str, Any]) -> str:
        keys = self._ready()
        nonce = os.urandom(12)
        sealed = self._aead[keys.current].encrypt(nonce, orjson.dumps(values), place.encode())
        return f"{keys.current}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, place: str, sealed: str) -> dict[str, Any]:
        self._ready()
        key_id, _, text = sealed.partition(":")
        if key_id not in self._aead:
            self.reload()
        aead = self._aead.get(key_id)
        if aead is None:
            raise Unavailable(f"a value is encrypted with key '{key_id}', which this server does not have")
        try:
            raw = base64.urlsafe_b64decode(text)
            opened: dict[str, Any] = orjson.loads(aead.decrypt(raw[:12], raw[12:], place.encode()))
        except (InvalidTag, ValueError):  # a forged or damaged value (binascii.Error is a ValueError)
            raise Unavailable(
                f"a value encrypted with key '{key_id}' does not open: the data or key is damaged"
            ) from None
        return opened

    def blind(self, text: str) -> str:
        """The blind index of a value's text: equal texts, equal indexes; nothing else learnt."""
        self._ready()
        return hmac.new(self._blind, text.encode(), hashlib.sha256).hexdigest()
