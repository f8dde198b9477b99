"""Identification keys and the identity index ("Identification Key", "Create Identification Key",
"Identify Customer").

Every profile and profile-extension write rewrites the customer's rows of `identity_index`: one row
per key and value (every value of a multi-valued attribute, every record of a multi-valued
extension). A value is the key's attribute values joined by a separator, so a lookup is one indexed
equality, and a lookup by the first attributes of a key (the documented partial score) one indexed
range. A unique key stores its value a second time in a column the database keeps unique.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.context import Context
from contextgraph.resolvers.errors import BadParameter, Conflict, not_found
from contextgraph.resolvers.extensions.sealing import blind_text, open_record
from contextgraph.resolvers.metadata import reserved
from contextgraph.resolvers.metadata.extension_schema import ExtensionSchema
from contextgraph.resolvers.metadata.identification_keys import IdentificationKey, component, encode
from contextgraph.resolvers.metadata.registry import MetadataRegistry
from contextgraph.resolvers.operation import Input, JsonObject, NoInput, operation
from contextgraph.resolvers.store.reader import Rows
from contextgraph.resolvers.store.statements import Statement
from contextgraph.resolvers.store.tables import customer_t, extension_record_t, identification_key_t, identity_index_t
from contextgraph.resolvers.store.versions import bump_version
from contextgraph.resolvers.timefmt import format_ms, parse_ms
from contextgraph.resolvers.values import flag

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,25}")


# -- definitions ------------------------------------------------------------------------------
def parse_key(ctx: Context, body: Any) -> tuple[str, str | None, tuple[str, ...], bool]:
    if not isinstance(body, Mapping):
        raise BadParameter("body", "an identification key must be a JSON object")
    unknown = set(body) - {"name", "source", "extension", "attributes", "unique"}
    if unknown:
        raise BadParameter(sorted(unknown)[0], "not a field of an identification key")
    name = body.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise BadParameter("name", "a key name starts with a letter, then letters, digits or '_' (26 at most)")
    reserved.check_name("name", name)
    source = body.get("source", body.get("extension"))
    if source is not None and not isinstance(source, str):
        raise BadParameter("source", "expected 'profile' or the name of a profile extension")
    attributes = body.get("attributes")
    if not isinstance(attributes, list) or not attributes or not all(isinstance(a, str) for a in attributes):
        raise BadParameter("attributes", "expected a non-empty array of attribute names")
    unique = flag("unique", body.get("unique", False))
    names: list[str] = []
    if source is None or source.lower() == "profile":
        source = None
        for attribute in attributes:
            found = ctx.profile_schema.attribute(attribute)
            if found is None:
                raise BadParameter("attributes", f"'{attribute}' is not a profile attribute")
            names.append(found.name)
    else:
        schema = ctx.metadata.get("profile", source)
        if schema is None or not schema.attributes:
            raise BadParameter("source", f"'{source}' is not a profile extension with attributes")
        source = schema.name
        for attribute in attributes:
            bare = attribute.split(".", 1)[1] if attribute.lower().startswith(source.lower() + ".") else attribute
            found_attribute = schema.attribute(bare)
            if found_attribute is None:  # never a mix of profile and extension attributes
                raise BadParameter("attributes", f"'{attribute}' is not an attribute of extension '{source}'")
            names.append(found_attribute.name)
    if len({n.lower() for n in names}) != len(names):
        raise BadParameter("attributes", "an attribute is named twice")
    return name, source, tuple(names), unique


# -- the index --------------------------------------------------------------------------------
def indexed(schema: ExtensionSchema | None, attribute: str, text: str) -> str:
    """A component of an identity value as the index holds it: an attribute marked `encrypt` by its
    blind index (so the index holds no plaintext of it), any other as it is."""
    if schema is not None and attribute in schema.encrypted:
        return "~" + blind_text(schema, attribute, text)
    return text


def _values(
    key: IdentificationKey,
    attributes: Mapping[str, Any],
    records: Mapping[str, list[dict[str, Any]]],
    schema: ExtensionSchema | None,
) -> set[str]:
    """The identifying values of one customer under one key (none when an attribute is missing)."""
    if key.source is None:
        lists = []
        for name in key.attributes:
            value = attributes.get(name)
            if value is None:
                return set()
            lists.append([component(v) for v in (value if isinstance(value, list) else [value])])
        return {encode(combo) for combo in itertools.product(*lists)}
    values = set()
    for record in records.get(key.source, []):
        parts = [record.get(name) for name in key.attributes]
        if all(p is not None for p in parts):
            values.add(encode([indexed(schema, n, component(p)) for n, p in zip(key.attributes, parts, strict=True)]))
    return values


async def reindex(
    ctx: Context,
    conn: AsyncConnection,
    customer_ids: Sequence[str],
    keys: Sequence[IdentificationKey] | None = None,
    *,
    new: bool = False,
) -> None:
    """Rewrite the identity rows of these customers (under `keys`, or every key); `new` customers
    have none to remove yet.
    """
    await index_customers(ctx.metadata, conn, customer_ids, keys, new=new)


async def index_customers(
    metadata: MetadataRegistry,
    conn: AsyncConnection,
    customer_ids: Sequence[str],
    keys: Sequence[IdentificationKey] | None = None,
    *,
    new: bool = False,
) -> None:
    """`reindex` with the metadata given (re-encryption at start runs it without a request)."""
    keys = list(metadata.keys if keys is None else keys)
    if not keys or not customer_ids:
        return
    ids = list(customer_ids)
    if not new:
        await conn.execute(
            sa.delete(identity_index_t).where(
                identity_index_t.c.customer_id.in_(ids), identity_index_t.c.key_id.in_([k.id for k in keys])
            )
        )
    attributes = {
        r.id: r.attributes
        for r in await conn.execute(sa.select(customer_t.c.id, customer_t.c.attributes).where(customer_t.c.id.in_(ids)))
    }
    records: dict[str, dict[str, list[dict[str, Any]]]] = {i: {} for i in ids}
    schemas = {s.id: s for s in (metadata.get("profile", k.source) for k in keys if k.source) if s is not None}
    if schemas:
        rows = await conn.execute(
            sa.select(extension_record_t)
            .where(extension_record_t.c.schema_id.in_(list(schemas)), extension_record_t.c.owner_id.in_(ids))
            .order_by(extension_record_t.c.id)
        )
        for row in rows:
            schema = schemas[row.schema_id]
            record = open_record(schema, row.owner_id, row.record, row.sealed)
            records[row.owner_id].setdefault(schema.name, []).append(record)
    for key in keys:
        source = metadata.get("profile", key.source) if key.source else None
        entries = [
            {
                "key_id": key.id,
                "customer_id": customer_id,
                "value": value,
                "unique_value": value if key.unique else None,
            }
            for customer_id in attributes
            for value in _values(key, attributes[customer_id], records[customer_id], source)
        ]
        if not entries:
            continue
        try:
            await conn.execute(sa.insert(identity_index_t), entries)
        except IntegrityError:
            raise Conflict(
                f"identification key '{key.name}' is unique and another customer already has these values"
            ) from None


# -- operations -------------------------------------------------------------------------------
class KeyDefinition(Input):
    body: JsonObject


class KeyName(Input):
    name: str


@operation("createIdentificationKey", tasks=("UCS.SchemaMgt.handleMetadata",), input=KeyDefinition)
async def create_key(ctx: Context, input: KeyDefinition) -> str:
    """Create an identification key (maintenance mode) and index every existing customer under it."""
    name, source, attributes, unique = parse_key(ctx, input.body)
    async with ctx.metadata_write():
        await ctx.require_maintenance("identification keys")
        async with ctx.db.write() as conn:
            taken = await conn.scalar(
                sa.select(identification_key_t.c.id).where(identification_key_t.c.name_key == name.lower())
            )
            if taken is not None:
                raise Conflict(f"identification key '{name}' already exists")
            result = await conn.execute(
                sa.insert(identification_key_t)
                .values(
                    name=name,
                    name_key=name.lower(),
                    source=source,
                    attributes=list(attributes),
                    unique=unique,
                )
                .returning(identification_key_t.c.id)
            )
            key = IdentificationKey(int(result.scalar_one()), name, source, attributes, unique)
            customers = (await conn.execute(sa.select(customer_t.c.id))).scalars().all()
            for start in range(0, len(customers), 1000):
                await reindex(ctx, conn, customers[start : start + 1000], [key], new=True)
            await bump_version(conn)
    await ctx.reload_metadata()
    return name


@operation("deleteIdentificationKey", tasks=("UCS.SchemaMgt.handleMetadata",), input=KeyName)
async def delete_key(ctx: Context, input: KeyName) -> None:
    """Delete an identification key (maintenance mode)."""
    name = input.name
    async with ctx.metadata_write():
        await ctx.require_maintenance("identification keys")
        async with ctx.db.write() as conn:
            key_id = await conn.scalar(
                sa.select(identification_key_t.c.id).where(identification_key_t.c.name_key == name.lower())
            )
            if key_id is None:
                raise not_found("identification key", name)
            await conn.execute(sa.delete(identity_index_t).where(identity_index_t.c.key_id == key_id))
            await conn.execute(sa.delete(identification_key_t).where(identification_key_t.c.id == key_id))
            await bump_version(conn)
    await ctx.reload_metadata()


@operation("readIdentificationKeys", tasks=("UCS.SchemaMgt.readIdentificationKey",), input=NoInput)
async def describe_keys(ctx: Context, input: NoInput) -> list[dict[str, Any]]:
    """The identification keys."""
    return [k.describe() for k in ctx.metadata.keys]


@operation("readIdentificationKey", tasks=("UCS.SchemaMgt.readIdentificationKey",), input=KeyName)
async def describe_key(ctx: Context, input: KeyName) -> dict[str, Any]:
    """One identification key by name."""
    name = input.name
    key = next((k for k in ctx.metadata.keys if k.name.lower() == name.lower()), None)
    if key is None:
        raise not_found("identification key", name)
    return key.describe()


# -- identify ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProfileField:
    """A profile attribute (`LastName`) or a profile-extension attribute (`Phone.PhoneNumber`)."""

    extension: str | None
    attribute: str
    type: str


def profile_field(ctx: Context, name: str) -> ProfileField:
    """What a parameter or CSV column name refers to, with the schema's spelling; 400 if nothing."""
    extension, _, attribute = name.rpartition(".")
    if extension:
        schema = ctx.metadata.get("profile", extension)
        found = schema.attribute(attribute) if schema is not None else None
        if schema is None or found is None:
            raise BadParameter(name, "not an attribute of a profile extension")
        return ProfileField(schema.name, found.name, found.type)
    profile_attribute = ctx.profile_schema.attribute(name)
    if profile_attribute is None:
        raise BadParameter(name, "not a profile attribute")
    return ProfileField(None, profile_attribute.name, profile_attribute.type)


def _normalise(ctx: Context, key: IdentificationKey, attribute: str, text: str) -> str:
    """A query parameter as the index stores that attribute's values."""
    kind = profile_field(ctx, key.parameter(attribute)).type
    try:
        if kind in ("integer", "long"):
            return str(int(text))
        if kind in ("double", "currency"):
            return str(float(text)) if not text.strip().lstrip("-").isdigit() else str(int(text))
        if kind == "boolean":
            return "true" if flag(key.parameter(attribute), text) else "false"
        if kind == "datetime":
            return format_ms(parse_ms(text))
        if kind == "date":
            return text[:10]
    except ValueError:
        raise BadParameter(key.parameter(attribute), f"'{text}' is not a valid {kind}") from None
    return text


def select_key(
    keys: Sequence[IdentificationKey], given: Mapping[str, str], name: str | None
) -> tuple[IdentificationKey, int]:
    """The documented choice: an explicit key; else the first (lowest id) key fully covered; else the
    best count of leading attributes covered, ties to the lowest id. Answers (key, attributes used).
    """
    lowered = {k.lower() for k in given}

    def leading(key: IdentificationKey) -> int:
        return next(
            (i for i, a in enumerate(key.attributes) if key.parameter(a).lower() not in lowered), len(key.attributes)
        )

    if name is not None:
        key = next((k for k in keys if k.name.lower() == name.lower()), None)
        if key is None:
            raise not_found("identification key", name)
        if leading(key) == 0:
            raise BadParameter(key.parameter(key.attributes[0]), f"needed to identify with key '{key.name}'")
        return key, leading(key)
    for key in keys:
        if leading(key) == len(key.attributes):
            return key, len(key.attributes)
    if not keys:
        raise BadParameter(
            "attributes",
            "no identification key is defined yet: create one first, in maintenance mode (POST /server/mode "
            '{"mode": "maintenance"}, then POST /metadata/identification-keys, then back to "production"), '
            'e.g. {"name": "ByEmail", "source": "profile", "attributes": ["EmailAddress"]}',
        )
    best = max(keys, key=lambda k: (leading(k), -k.id), default=None)
    if best is None or leading(best) == 0:
        raise BadParameter("attributes", "no identification key is covered by the given attributes")
    return best, leading(best)


_BY_KEY = sa.select(identity_index_t.c.customer_id).distinct().where(identity_index_t.c.key_id == sa.bindparam("key"))
_EXACT = Statement(lambda d: _BY_KEY.where(identity_index_t.c.value == sa.bindparam("value")))
# The first attributes of a key only: every value that starts with theirs (a range on the index).
_PREFIX = Statement(
    lambda d: _BY_KEY.where(
        identity_index_t.c.value >= sa.bindparam("value"), identity_index_t.c.value < sa.bindparam("below")
    )
)


async def identify_ids(ctx: Context, rows: Rows, given: Mapping[str, str], key_name: str | None) -> list[str]:
    """The ids of the customers the given attributes identify (an indexed lookup)."""
    key, used = select_key(ctx.metadata.keys, given, key_name)
    by_lower = {k.lower(): v for k, v in given.items()}
    source = ctx.metadata.get("profile", key.source) if key.source else None
    parts = [
        indexed(source, a, _normalise(ctx, key, a, by_lower[key.parameter(a).lower()])) for a in key.attributes[:used]
    ]
    value = encode(parts)
    if used == len(key.attributes) or value.startswith("#"):
        found = await rows.fetch(_EXACT, key=key.id, value=value)
    else:
        found = await rows.fetch(_PREFIX, key=key.id, value=value, below=value[:-1] + chr(0x20))
    return sorted(customer_id for (customer_id,) in found)
