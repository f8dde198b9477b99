"""What a request asks of its writes beyond their input, parsed from its headers by the surfaces and
honoured by the domain: the entity tags it read (`If-Match`, versions.py) and an idempotency key
(`Idempotency-Key`, idempotency.py).

    ctx = runtime.context(principal, conditions=Conditions.of(if_match='"3-1-a4c2e1"'))
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.errors import BadParameter

IF_MATCH, IDEMPOTENCY_KEY = "If-Match", "Idempotency-Key"
KEY_LENGTH = 255
# An If-Match names the few versions a client read: past this, it is no client's (a GraphQL argument
# is not bounded by the server's header limit, and each tag becomes a bound parameter).
TAGS_LENGTH = 8192
# RFC 9110 entity tags: an optional W/ and a quoted run of characters other than `"`, space, controls.
_TAG = re.compile(r'\s*((?:W/)?"[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)')
_KEY = re.compile(r"[\x21-\x7e]+")  # visible ASCII: a UUID, a ULID, a client's own scheme


def entity_tags(header: str, name: str = IF_MATCH) -> frozenset[str]:
    """The tags of an `If-Match` or `If-None-Match` header (`*` stands for any); 400 when it is not
    a list of quoted tags (`"3-1-a4c2e1"`, `W/"x"`)."""
    if len(header) > TAGS_LENGTH:
        raise BadParameter(name, f"longer than {TAGS_LENGTH} characters")
    if header.strip() == "*":
        return frozenset({"*"})
    tags, at = [], 0
    while at < len(header):
        found = _TAG.match(header, at)
        if found is None or found.end() == at:
            raise BadParameter(name, "expected * or a comma-separated list of quoted entity tags")
        tags.append(found.group(1))
        at = found.end()
    if not tags:
        raise BadParameter(name, "expected * or a comma-separated list of quoted entity tags")
    return frozenset(tags)


def still_current(if_none_match: str | None, tag: str, *, lenient: bool = False) -> bool:
    """Whether an `If-None-Match` names `tag` (weak comparison, `*` for any): the client's copy is
    current, answer 304. `lenient`: a malformed header names nothing instead of being 400."""
    if if_none_match is None:
        return False
    try:
        tags = {t.removeprefix("W/") for t in entity_tags(if_none_match, "If-None-Match")}
    except BadParameter:
        if lenient:
            return False
        raise
    return "*" in tags or tag in tags


def idempotency_key(header: str) -> str:
    """An `Idempotency-Key`: 1 to 255 visible ASCII characters (400 otherwise)."""
    if not _KEY.fullmatch(header):
        raise BadParameter(IDEMPOTENCY_KEY, "expected 1 to 255 visible ASCII characters (a UUID, say)")
    if len(header) > KEY_LENGTH:
        raise BadParameter(IDEMPOTENCY_KEY, f"longer than {KEY_LENGTH} characters")
    return header


@dataclass(eq=False)
class Conditions:
    """One request's conditions (none by default), and what honouring them left behind."""

    if_match: frozenset[str] | None = None  # None: no If-Match header
    idempotency_key: str | None = None
    # Set by idempotency.py: the answer is the first result of this key, not a new write.
    replayed: bool = False
    # The write transaction an idempotent start runs in (its own `ctx.write()` joins it).
    held: AsyncConnection | None = None

    @classmethod
    def of(cls, *, if_match: str | None = None, idempotency_key_header: str | None = None) -> Conditions:
        """Parsed from header values (None: the header is absent); 400 for a malformed one."""
        return cls(
            entity_tags(if_match) if if_match is not None else None,
            idempotency_key(idempotency_key_header) if idempotency_key_header is not None else None,
        )
