"""Customer ids: 16 characters the server makes (service, state and task ids come from the database)."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.digits + string.ascii_letters


def new_customer_id() -> str:
    # 62**16 ≈ 4.8e28 values: a collision is far less likely than a disk failure.
    return "".join(secrets.choice(_ALPHABET) for _ in range(16))
