"""Interactions ("Interaction Resources"): chats, e-mails, phone calls, callbacks, open media.

Recorded with `POST /interactions` (our addition) or the GraphQL mutation; read per customer, per
service, or by id. Contents (plain text, structured text, binary) are stored apart and served at
their own URLs; the JSON shows those URLs. An interaction belongs to a service when it was recorded
with that service id, or when the service or one of its states or tasks names it in an event.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa

from contextgraph.resolvers.context import Context
from contextgraph.resolvers.errors import BadParameter, Conflict, not_found
from contextgraph.resolvers.ids import decode_global
from contextgraph.resolvers.interaction_reads import (
    CONTENTS,
    Interaction,
    get_interactions,
    interactions_of_customers,
    interactions_of_services,
)
from contextgraph.resolvers.journeys import loads
from contextgraph.resolvers.journeys import records as journeys
from contextgraph.resolvers.journeys.records import ServiceRecord, require_customer
from contextgraph.resolvers.operation import Input, JsonObject, operation
from contextgraph.resolvers.store.statements import Statement
from contextgraph.resolvers.store.tables import interaction_t, read_json
from contextgraph.resolvers.timefmt import parse_ms
from contextgraph.resolvers.values import Id, Long, integer, text, timestamp, visible_text

Check = Callable[[str, Any], Any]
ENTITY_TYPES = {
    0: "EMAIL_IN",
    1: "EMAIL_OUT",
    2: "CHAT",
    3: "PHONE_CALL",
    5: "CALLBACK",
    6: "COBROWSE",
    7: "INTERACTION",
}


def one_of(values: Sequence[Any]) -> Check:
    def check(name: str, value: Any) -> Any:
        if value not in values or isinstance(value, bool):
            raise BadParameter(name, f"expected one of {', '.join(map(str, values))}")
        return value

    return check


def boolean(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise BadParameter(name, "expected true or false")
    return value


def user_data(name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping) or not all(
        isinstance(v, str | int | float | bool) or v is None for v in value.values()
    ):
        raise BadParameter(name, "expected an object of keys and plain values")
    return dict(value)


def address(name: str, value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping) or set(value) - {"address", "personal"} or "address" not in value:
        raise BadParameter(name, 'an e-mail address is {"address": "…", "personal": "…"}')
    return {k: text(1024)(f"{name}.{k}", v) for k, v in value.items()}


def addresses(name: str, value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise BadParameter(name, "expected an array of e-mail addresses")
    return [address(f"{name}[{i}]", v) for i, v in enumerate(value)]


_STRING = text(256)
_VISIBLE_ID = visible_text(64)  # shown in URLs and the Location header


def _ID(name: str, value: Any) -> str:
    """An interaction id: visible text that does not read as an interaction's global id (GraphQL's
    `interaction(id:)` takes either, and would find another interaction)."""
    checked = _VISIBLE_ID(name, value)
    decoded = decode_global(checked)
    if decoded is not None and decoded[0] == "Interaction":
        raise BadParameter(name, "is spelled as an interaction's global id (Interaction:…); choose another id")
    return checked


# A media type as RFC 9110 spells it (`type/subtype`, optional `; name=value` parameters), so a stored
# one can never break the header it is served in (no CR, LF or other control characters).
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
# A quoted value holds visible ASCII only (RFC 9110 qdtext and quoted-pair, no obs-text): a header
# is sent as ASCII/latin-1, so a `€` there could not be served.
_QUOTED = r'"(?:[\t !#-\[\]-~]|\\[\t -~])*"'
MEDIA_TYPE = re.compile(rf"{_TOKEN}/{_TOKEN}(?:[ \t]*;[ \t]*{_TOKEN}=(?:{_TOKEN}|{_QUOTED}))*")


def media_type(name: str, value: Any) -> str:
    checked = text(128)(name, value)
    if not MEDIA_TYPE.fullmatch(checked):
        raise BadParameter(name, "expected a media type such as text/html or image/png")
    return checked


_COMMON: dict[str, Check] = {
    "status": one_of((0, 1, 2, 3)),
    "entity_type": one_of(tuple(ENTITY_TYPES)),
    "type": _STRING,
    "sub_type": _STRING,
    "media_type": _STRING,
    "parent_id": text(64),
    "thread_id": text(64),
    "external_id": _STRING,
    "owner_id": integer,
    "creator_app_id": integer,
    "start_date": timestamp,
    "end_date": timestamp,
    "timeshift": integer,
    "category_id": _STRING,
    "allow_children": boolean,
    "subject": text(1024),
    "stopped_reason": _STRING,
    "text": text(10_000_000),
    "structured_text": text(10_000_000),
    "structured_text_mime": media_type,
    "binary_content": text(20_000_000),
    "binary_content_mime": media_type,
    "binary_content_size": integer,
    "udata": user_data,
}
_REQUIRED = (
    "customer_id",
    "interaction_id",
    "status",
    "entity_type",
    "type",
    "media_type",
    "creator_app_id",
    "start_date",
)
_EMAIL_IN: dict[str, Check] = {
    "from": address,
    "reply_to": address,
    "to": addresses,
    "cc": addresses,
    "sent_date": timestamp,
}
_SPECIFIC: dict[int, tuple[dict[str, Check], tuple[str, ...]]] = {
    0: (_EMAIL_IN, ()),
    1: (
        _EMAIL_IN
        | {"bcc": addresses, "reference_id": integer, "reviewer_id": integer, "standard_response_id": _STRING},
        (),
    ),
    2: ({"established_date": timestamp, "released_date": timestamp}, ()),
    3: ({"duration": integer, "outcome": _STRING, "phone_number": text(64), "tconnection_id": text(64)}, ()),
    5: (
        {
            "callback_status": one_of(range(15)),
            "desired_response_type": one_of(("Voice", "VoIP", "Email")),
            "start_time": timestamp,
            "end_time": timestamp,
            "customer_number": _STRING,
            "attempts": integer,
            "dn": _STRING,
            "location": _STRING,
            "callback_server_id": _STRING,
            "call_result": one_of(range(54)),
            "callback_type": one_of((0, 1, 2)),
        },
        ("desired_response_type", "start_time", "customer_number", "attempts"),
    ),
    6: ({}, ()),
    7: ({}, ()),
}


@dataclass
class _Checked:
    fields: dict[str, Any]
    text: str | None
    structured_text: str | None
    binary: bytes | None


def check_interaction(body: Any) -> _Checked:
    """Required fields, types, enumerations and the "yes if …" rules of the documents."""
    if not isinstance(body, Mapping):
        raise BadParameter("body", "an interaction must be a JSON object")
    entity_type: int = one_of(tuple(ENTITY_TYPES))("entity_type", body.get("entity_type"))
    specific, specific_required = _SPECIFIC[entity_type]
    spec = _COMMON | specific | {"customer_id": text(16), "interaction_id": _ID, "service_id": integer}
    fields: dict[str, Any] = {}
    for key, value in body.items():
        check = spec.get(key)
        if check is None:
            raise BadParameter(key, f"not a field of a {ENTITY_TYPES[entity_type].lower()} interaction")
        if value is not None:
            fields[key] = check(key, value)
    for name in _REQUIRED + specific_required:
        if name not in fields:
            raise BadParameter(name, "mandatory field is missing")
    if "structured_text" in fields and "structured_text_mime" not in fields:
        raise BadParameter("structured_text_mime", "mandatory when structured_text is given")
    binary = None
    if "binary_content" in fields:
        for name in ("binary_content_mime", "binary_content_size"):
            if name not in fields:
                raise BadParameter(name, "mandatory when binary_content is given")
        try:
            binary = base64.b64decode(fields["binary_content"], validate=True)
        except (binascii.Error, ValueError):
            raise BadParameter("binary_content", "expected base64") from None
        if len(binary) != fields["binary_content_size"]:
            raise BadParameter("binary_content_size", f"the content has {len(binary)} bytes")
    fields.setdefault("allow_children", True)
    contents = {name: fields.pop(name, None) for name in CONTENTS}
    return _Checked(fields, contents["text"], contents["structured_text"], binary)


class RecordInteraction(Input):
    body: JsonObject


class InteractionId(Input):
    interaction_id: str


class InteractionContent(Input):
    interaction_id: str
    content: Literal["text", "structured_text", "binary_content"]


class CustomerInteractions(Input):
    customer_id: Id


class ServiceInteractions(Input):
    service_id: Long


@operation("recordInteraction", tasks=("UCS.Interaction.recordInteraction",), input=RecordInteraction)
async def record_interaction(ctx: Context, input: RecordInteraction) -> str:
    """Record an interaction (POST /interactions; binary content in base64)."""
    checked = check_interaction(input.body)
    fields = checked.fields
    interaction_id = fields["interaction_id"]
    async with ctx.write() as conn:
        await require_customer(conn, fields["customer_id"], keep=True)
        if "service_id" in fields:
            await journeys.fetch_service(conn, fields["service_id"])
        taken = await conn.scalar(sa.select(interaction_t.c.id).where(interaction_t.c.id == interaction_id))
        if taken is not None:
            raise Conflict(f"interaction '{interaction_id}' is already recorded")
        await conn.execute(
            sa.insert(interaction_t).values(
                id=interaction_id,
                customer_id=fields["customer_id"],
                service_id=fields.get("service_id"),
                entity_type=fields["entity_type"],
                start_ms=parse_ms(fields["start_date"]),
                fields=fields,
                text=checked.text,
                structured_text=checked.structured_text,
                binary_content=checked.binary,
            )
        )
    return str(interaction_id)


# -- reads ------------------------------------------------------------------------------------
@operation("readCustomerInteractions", tasks=("UCS.Interaction.readInteraction",), input=CustomerInteractions)
async def customer_interactions(ctx: Context, input: CustomerInteractions) -> list[Interaction]:
    """A customer's interactions, oldest first."""
    rows = await ctx.rows()
    await loads.require_customer(rows, input.customer_id)
    return (await interactions_of_customers(rows, [input.customer_id])).get(input.customer_id, [])


@operation("readServiceInteractions", tasks=("UCS.Interaction.readInteraction",), input=ServiceInteractions)
async def service_interactions(ctx: Context, input: ServiceInteractions) -> list[Interaction]:
    """The interactions of a service (recorded with it, or named by its events), oldest first."""
    rows = await ctx.rows()
    await loads.one(rows, ServiceRecord, input.service_id)
    return (await interactions_of_services(rows, [input.service_id])).get(input.service_id, [])


@operation("readInteraction", tasks=("UCS.Interaction.readInteraction",), input=InteractionId)
async def get_interaction(ctx: Context, input: InteractionId) -> Interaction:
    """An interaction by its id: its fields, and which contents it has."""
    found = await get_interactions(await ctx.rows(alone=True), [input.interaction_id])
    if input.interaction_id not in found:
        raise not_found("interaction", input.interaction_id)
    return found[input.interaction_id]


def _content(name: str) -> Statement:
    return Statement(
        lambda d: sa.select(interaction_t.c[name], read_json(interaction_t.c.fields)).where(
            interaction_t.c.id == sa.bindparam("id")
        )
    )


_CONTENT = {name: _content(name) for name in CONTENTS}


@operation("readInteractionContent", tasks=("UCS.Interaction.readInteraction",), input=InteractionContent)
async def get_content(ctx: Context, input: InteractionContent) -> tuple[str | bytes, str]:
    """One content of an interaction and its media type (404 when it has none)."""
    interaction_id, name = input.interaction_id, input.content
    found = await (await ctx.rows(alone=True)).fetch(_CONTENT[name], id=interaction_id)
    if not found:
        raise not_found("interaction", interaction_id)
    content, fields = found[0]
    if content is None:
        raise not_found(f"{name} of interaction", interaction_id)
    mime = {
        "text": "text/plain; charset=utf-8",
        "structured_text": fields.get("structured_text_mime"),
        "binary_content": fields.get("binary_content_mime"),
    }[name]
    if not isinstance(mime, str) or not MEDIA_TYPE.fullmatch(mime):  # recorded before media types were checked
        mime = "application/octet-stream"
    return content, mime
