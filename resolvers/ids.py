"""Customer ids: 16 characters the server makes (service, state and task ids come from the database)."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.digits + string.ascii_letters
_SPACE = len(_ALPHABET) ** 16


def new_customer_id() -> str:
    # 96 random bits folded into 62**16 ≈ 4.8e28 values: a collision is far less likely than a
    # disk failure, and the fold's bias is below one part in 2**30.
    number = int.from_bytes(secrets.token_bytes(12)) % _SPACE
    chars = []
    for _ in range(16):
        number, digit = divmod(number, 62)
        chars.append(_ALPHABET[digit])
    return "".join(chars)
