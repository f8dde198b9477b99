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

import re
from typing import Any

from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.ids import decode_global, encode_global
from contextgraph.resolvers.values import unseen

TYPES = ("Customer", "Service", "State", "Task", "Interaction")
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,18}")
_BITS = {"Service": 63, "State": 31, "Task": 31}
encode = encode_global
decode = decode_global


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
    if type_name == "Interaction":  # as interaction ids are checked when recorded
        if not 1 <= len(document) <= 64 or any(unseen(char) for char in document):
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
    is not a global id at all (then it is a document id). Interaction ids are the clients' own: one
    that reads as another type's global id is a document id (none reads as an interaction's: those
    are refused when recorded)."""
    if isinstance(value, str) and (decoded := decode(value)) is not None:
        if type_name == "Interaction" and decoded[0] != type_name:
            return None
        return of_type(value, type_name, field)
    return None


def customer_id(value: Any, field: str = "customerId") -> Any:
    """A customer's document id from either form (None stays None): every customer id a GraphQL
    client passes, so an `id` read from an answer can be passed back wherever a customer is named."""
    parts = either(value, "Customer", field) if value is not None else None
    return parts[0] if parts else value


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
