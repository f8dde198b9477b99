"""Relay global ids: `id` on Customer, Service, State, Task and Interaction is opaque — base64url
(no padding) of `Type:documentId` — and the documents' ids are their own fields.

    encode("Service", 42)            -> "U2VydmljZTo0Mg"
    decode("U2VydmljZTo0Mg")         -> ("Service", "42")
    service_id("U2VydmljZTo0Mg")     -> 42;  service_id("42") -> 42 (either form)

A state's and a task's document id names its service too (`State:7:12`, service 7, state 12), as
REST addresses them, so a global id alone finds one through its service. Input is checked strictly:
a value is a global id when it is canonical base64url of UTF-8 text `Word:…`; then its type must be
one of ours and the field's, and its document id well formed — else a 400 GraphQL error naming it.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from contextgraph.resolvers.errors import BadParameter

TYPES = ("Customer", "Service", "State", "Task", "Interaction")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
_TYPED = re.compile(r"([A-Za-z][A-Za-z0-9]*):(.*)", re.DOTALL)
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,18}")
_BITS = {"Service": 63, "State": 31, "Task": 31}
MAX_LENGTH = 512  # longer than any id of ours could encode to


def encode(type_name: str, *parts: object) -> str:
    text = f"{type_name}:" + ":".join(str(p) for p in parts)
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def decode(value: str) -> tuple[str, str] | None:
    """(type, document id) of a global id; None when the value is not one (not canonical base64url
    of `Word:…`)."""
    if not 2 <= len(value) <= MAX_LENGTH or not _BASE64URL.fullmatch(value) or len(value) % 4 == 1:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        text = raw.decode()
    except (binascii.Error, ValueError):
        return None
    if encode_text(raw) != value:  # the same bytes have one spelling only
        return None
    found = _TYPED.fullmatch(text)
    return (found.group(1), found.group(2)) if found else None


def encode_text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def parse(value: Any, field: str = "id") -> tuple[str, tuple[Any, ...]]:
    """(type, document id parts) of a global id — a 400 unless `value` is one of ours, well formed."""
    if not isinstance(value, str):
        raise BadParameter(field, "expected a global id (a string)")
    decoded = decode(value)
    if decoded is None:
        raise BadParameter(field, f"'{_shown(value)}' is not a global id")
    type_name, document = decoded
    if type_name not in TYPES:
        raise BadParameter(field, f"'{_shown(value)}' names the type '{_shown(type_name)}', which has no global ids")
    return type_name, _parts(type_name, document, value, field)


def _parts(type_name: str, document: str, value: str, field: str) -> tuple[Any, ...]:
    if type_name == "Customer":
        if not 1 <= len(document) <= 64 or not document.isascii() or not document.isalnum():
            raise BadParameter(field, f"'{_shown(value)}' is not a customer's global id")
        return (document,)
    if type_name == "Interaction":
        if not 1 <= len(document) <= 64:
            raise BadParameter(field, f"'{_shown(value)}' is not an interaction's global id")
        return (document,)
    pieces = document.split(":")
    wanted = 1 if type_name == "Service" else 2
    if len(pieces) != wanted or not all(_DECIMAL.fullmatch(p) for p in pieces):
        raise BadParameter(field, f"'{_shown(value)}' is not a {type_name.lower()}'s global id")
    numbers = tuple(int(p) for p in pieces)
    if numbers[0] >= 2**63 or numbers[-1] >= 2 ** _BITS[type_name]:
        raise BadParameter(field, f"'{_shown(value)}' is not a {type_name.lower()}'s global id")
    return numbers


def of_type(value: Any, type_name: str, field: str = "id") -> tuple[Any, ...]:
    """The document id parts of a global id that must name a `type_name`."""
    found, parts = parse(value, field)
    if found != type_name:
        raise BadParameter(field, f"'{_shown(value)}' is the global id of {_a(found)}, not of {_a(type_name)}")
    return parts


def either(value: Any, type_name: str, field: str = "id") -> tuple[Any, ...] | None:
    """The document id parts when `value` is a global id (of `type_name`, else a 400); None when it
    is not a global id at all (then it is a document id)."""
    if isinstance(value, str) and decode(value) is not None:
        return of_type(value, type_name, field)
    return None


def number(value: Any, type_name: str, field: str = "id") -> tuple[int, ...]:
    """A service's, state's or task's id given either way: its global id (the parts it holds), or
    the document's integer id (one part)."""
    parts = either(value, type_name, field)
    if parts is not None:
        return parts
    text = str(value)
    if _DECIMAL.fullmatch(text) and int(text) < 2 ** _BITS[type_name]:
        return (int(text),)
    raise BadParameter(field, f"'{_shown(text)}' is neither a {type_name.lower()} id nor a {type_name}'s global id")


def _a(type_name: str) -> str:
    return f"an {type_name}" if type_name[0] in "AEIOU" else f"a {type_name}"


def _shown(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "…"
