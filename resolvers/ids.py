"""Customer ids: 16 characters the server makes (service, state and task ids come from the database);
and the spelling of global ids (`Type:documentId` in unpadded base64url, schema/relay.py), which
document ids must not take: a value that reads as a global id is taken as one.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import string

_ALPHABET = string.digits + string.ascii_letters
_SPACE = len(_ALPHABET) ** 16


_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
_TYPED = re.compile(r"([A-Za-z][A-Za-z0-9]*):(.*)", re.DOTALL)
MAX_GLOBAL_LENGTH = 512  # longer than any id of ours could encode to


def new_customer_id() -> str:
    """16 random letters and digits that do not read as a global id (about 1 in 230 000 would)."""
    while decode_global(made := _random_id()) is not None:
        pass
    return made


def _random_id() -> str:
    # 96 random bits folded into 62**16 ≈ 4.8e28 values: a collision is far less likely than a
    # disk failure, and the fold's bias is below one part in 2**30.
    number = int.from_bytes(secrets.token_bytes(12)) % _SPACE
    chars = []
    for _ in range(16):
        number, digit = divmod(number, 62)
        chars.append(_ALPHABET[digit])
    return "".join(chars)


def encode_global(type_name: str, *parts: object) -> str:
    text = f"{type_name}:" + ":".join(str(p) for p in parts)
    return _base64url(text.encode())


def decode_global(value: str) -> tuple[str, str] | None:
    """(type, document id) of a global id; None when the value is not one (not canonical base64url
    of UTF-8 text `Word:…`)."""
    if not 2 <= len(value) <= MAX_GLOBAL_LENGTH or not _BASE64URL.fullmatch(value) or len(value) % 4 == 1:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        text = raw.decode()
    except (binascii.Error, ValueError):
        return None
    if _base64url(raw) != value:  # the same bytes have one spelling only
        return None
    found = _TYPED.fullmatch(text)
    return (found.group(1), found.group(2)) if found else None


def _base64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
