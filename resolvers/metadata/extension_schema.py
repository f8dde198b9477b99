"""Extension schemas (spec/004 "Extension Schema", "Attribute Schema"): parsing, the normalised form,
and the validation of extension records against them.

    parse_schema("service", {"name": "Feedback", "type": "single-valued",
                             "attributes": [{"name": "rating", "type": "integer", "mandatory": "true"}]})
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.metadata import reserved
from contextgraph.resolvers.timefmt import OutOfRange, format_ms, parse_ms
from contextgraph.resolvers.values import flag, not_a_time, whole_number

if TYPE_CHECKING:
    from contextgraph.resolvers.encryption.cipher import Cipher

KINDS = ("profile", "service", "state", "task")
ATTRIBUTE_TYPES = ("boolean", "string", "integer", "long", "double", "date", "datetime", "currency")
_EXTENSION_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,25}")
# The documents' own examples name attributes "car type": spaces are allowed, though not at the end.
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z](?:[A-Za-z0-9_ ]{0,28}[A-Za-z0-9_])?")
_SCHEMA_KEYS = {"name", "type", "attributes", "unique"}
_ATTRIBUTE_KEYS = {"name", "type", "length", "mandatory", "encrypt", "default", "unique"}


@dataclass(frozen=True)
class AttributeSchema:
    name: str
    type: str
    length: int
    mandatory: bool
    encrypt: bool
    default: Any = None

    def describe(self, unique: bool) -> dict[str, Any]:
        body = {
            "name": self.name,
            "type": self.type,
            "length": self.length,
            "mandatory": self.mandatory,
            "encrypt": self.encrypt,
            "unique": unique,
        }
        if self.default is not None:
            body["default"] = self.default
        return body


@dataclass(frozen=True, eq=False)
class ExtensionSchema:
    """A validated extension schema; `unique` holds the attribute groups unique within an owner.
    `cipher` is the process's, given to a stored schema with `encrypt` attributes (extensions/sealing.py).
    """

    kind: str
    name: str
    type: str
    attributes: tuple[AttributeSchema, ...]
    unique: tuple[tuple[str, ...], ...] = ()
    id: int | None = None
    cipher: Cipher | None = field(default=None, repr=False)

    @property
    def encrypted(self) -> frozenset[str]:
        """The names of the attributes marked `encrypt`."""
        return frozenset(a.name for a in self.attributes if a.encrypt)

    @property
    def multi(self) -> bool:
        return self.type == "multi-valued"

    @property
    def unique_attributes(self) -> frozenset[str]:
        return frozenset(name for group in self.unique for name in group)

    def attribute(self, name: str) -> AttributeSchema | None:
        lowered = name.lower()
        return next((a for a in self.attributes if a.name.lower() == lowered), None)

    def describe(self) -> dict[str, Any]:
        """The normalised schema that queries return: booleans, integer lengths, typed defaults."""
        body: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "attributes": [a.describe(a.name in self.unique_attributes) for a in self.attributes],
        }
        if self.unique:
            body["unique"] = [group[0] if len(group) == 1 else list(group) for group in self.unique]
        return body

    # -- records ----------------------------------------------------------------------------
    def check_value(self, value: Any, *, check_reserved: bool) -> list[dict[str, Any]]:
        """The records an extension value stands for: an object (single-valued) or an array."""
        if self.multi:
            if not isinstance(value, list):
                raise BadParameter(self.name, "a multi-valued extension takes an array of records")
            records = [self.check_record(item, check_reserved=check_reserved) for item in value]
        else:
            if isinstance(value, list):
                raise BadParameter(self.name, "a single-valued extension takes one record (an object)")
            records = [self.check_record(value, check_reserved=check_reserved)]
        self.check_unique(records)
        return records

    def check_record(self, value: Any, *, check_reserved: bool, partial: bool = False) -> dict[str, Any]:
        """One record, normalised to the schema's attribute names; `partial` skips mandatory/defaults."""
        if not isinstance(value, Mapping):
            raise BadParameter(self.name, "an extension record must be a JSON object")
        record: dict[str, Any] = {}
        for key, item in value.items():
            attribute = self.attribute(key)
            if attribute is None:
                raise BadParameter(f"{self.name}.{key}", f"not an attribute of extension '{self.name}'")
            if item is not None:
                record[attribute.name] = check_attribute_value(self.name, attribute, item, check_reserved)
        if not partial:
            for attribute in self.attributes:
                if attribute.name not in record:
                    if attribute.default is not None:
                        record[attribute.name] = attribute.default
                    elif attribute.mandatory:
                        raise BadParameter(f"{self.name}.{attribute.name}", "mandatory attribute is missing")
        return {a.name: record[a.name] for a in self.attributes if a.name in record}

    def check_unique(self, records: list[dict[str, Any]]) -> None:
        for group in self.unique:
            seen: set[tuple[Any, ...]] = set()
            for record in records:
                values = tuple(record.get(name) for name in group)
                if all(v is None for v in values):
                    continue
                if values in seen:
                    raise BadParameter(
                        f"{self.name}.{'+'.join(group)}",
                        "two records have the same value where the schema makes it unique",
                    )
                seen.add(values)


# -- values -----------------------------------------------------------------------------------
def check_attribute_value(extension: str, attribute: AttributeSchema, value: Any, check_reserved: bool) -> Any:
    """A value of the attribute's type (strict: "7" is not an integer), normalised."""
    where = f"{extension}.{attribute.name}"
    kind = attribute.type
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        raise BadParameter(where, "expected true or false")
    if kind == "string":
        if not isinstance(value, str):
            raise BadParameter(where, "expected a string")
        if len(value) > attribute.length:
            raise BadParameter(where, f"longer than {attribute.length} characters")
        if check_reserved:
            reserved.check_value(where, value)
        return value
    if kind in ("integer", "long"):
        bits = 32 if kind == "integer" else 64
        if isinstance(value, int) and not isinstance(value, bool) and -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
            return value
        raise BadParameter(where, f"expected a {bits}-bit integer")
    if kind in ("double", "currency"):
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return value
        raise BadParameter(where, "expected a number")
    if kind == "date":
        if isinstance(value, str):
            try:
                return date.fromisoformat(value[:10]).isoformat()
            except ValueError:
                pass
        raise BadParameter(where, "expected an ISO 8601 date (YYYY-MM-DD)")
    try:  # datetime
        return format_ms(parse_ms(value))
    except OutOfRange as exc:
        raise not_a_time(where, value, exc) from None
    except (TypeError, ValueError):
        raise BadParameter(where, "expected an ISO 8601 date/time") from None


# -- schemas ----------------------------------------------------------------------------------
def _default(where: str, kind: str, value: Any, length: int) -> Any:
    """Defaults may be quoted ("5"): the documents quote them; they are stored typed."""
    if isinstance(value, str) and kind in ("integer", "long", "double", "currency", "boolean"):
        text = value.strip()
        if kind == "boolean":
            value = flag(where, text)
        else:
            try:
                value = int(text) if kind in ("integer", "long") else float(text)
            except ValueError:
                raise BadParameter(where, f"the default is not a valid {kind}") from None
    probe = AttributeSchema(name=where, type=kind, length=length, mandatory=False, encrypt=False)
    try:
        return check_attribute_value("default", probe, value, check_reserved=False)
    except BadParameter as exc:
        raise BadParameter(where, f"the default is not valid: {exc.reason}") from None


def _attribute(extension: str, index: int, body: Any) -> tuple[AttributeSchema, bool]:
    where = f"{extension}.attributes[{index}]"
    if not isinstance(body, Mapping):
        raise BadParameter(where, "an attribute schema must be a JSON object")
    unknown = set(body) - _ATTRIBUTE_KEYS
    if unknown:
        raise BadParameter(f"{where}.{sorted(unknown)[0]}", "not a field of an attribute schema")
    name = body.get("name")
    if not isinstance(name, str) or not _ATTRIBUTE_NAME.fullmatch(name):
        raise BadParameter(
            f"{where}.name",
            "an attribute name starts with a letter, then letters, digits, '_' or spaces, 30 characters at most",
        )
    reserved.check_name(f"{extension}.{name}", name)
    kind = body.get("type")
    if not isinstance(kind, str) or kind.lower() not in ATTRIBUTE_TYPES:
        raise BadParameter(f"{extension}.{name}.type", f"expected one of {', '.join(ATTRIBUTE_TYPES)}")
    kind = kind.lower()
    length = 0
    if kind == "string":
        given = body.get("length")
        length = 256 if given is None else whole_number(f"{extension}.{name}.length", given, 1, 4000)
    mandatory = flag(f"{extension}.{name}.mandatory", body.get("mandatory", False))
    encrypt = flag(f"{extension}.{name}.encrypt", body.get("encrypt", False))
    default = None
    if body.get("default") is not None:
        default = _default(f"{extension}.{name}.default", kind, body["default"], length or 4000)
    unique = flag(f"{extension}.{name}.unique", body.get("unique", False))
    return AttributeSchema(name, kind, length, mandatory, encrypt, default), unique


def parse_schema(kind: str, body: Any) -> ExtensionSchema:
    """Validate one schema definition as a client sends it; 400 naming what is wrong."""
    if not isinstance(body, Mapping):
        raise BadParameter("schema", "an extension schema must be a JSON object")
    unknown = set(body) - _SCHEMA_KEYS
    if unknown:
        raise BadParameter(sorted(unknown)[0], "not a field of an extension schema")
    name = body.get("name")
    if not isinstance(name, str) or not _EXTENSION_NAME.fullmatch(name):
        raise BadParameter(
            "name", "an extension name starts with a letter, then letters, digits or '_', 26 characters at most"
        )
    reserved.check_name("name", name)
    types = ("single-valued", "multi-valued", "classifier") if kind == "profile" else ("single-valued", "multi-valued")
    shape = body.get("type")
    if not isinstance(shape, str) or shape.lower() not in types:
        raise BadParameter(f"{name}.type", f"expected one of {', '.join(types)}")
    shape = shape.lower()
    raw_attributes = body.get("attributes", [] if kind == "profile" else None)
    if not isinstance(raw_attributes, list):
        raise BadParameter(f"{name}.attributes", "expected an array of attribute schemas")
    if shape == "classifier" and raw_attributes:
        raise BadParameter(f"{name}.attributes", "a classifier extension has no attributes")
    if shape != "classifier" and not raw_attributes:
        raise BadParameter(f"{name}.attributes", "an extension needs at least one attribute")
    attributes: list[AttributeSchema] = []
    unique: list[tuple[str, ...]] = []
    for index, raw in enumerate(raw_attributes):
        attribute, is_unique = _attribute(name, index, raw)
        if any(a.name.lower() == attribute.name.lower() for a in attributes):
            raise BadParameter(f"{name}.{attribute.name}", "attribute names must be unique (case-insensitive)")
        attributes.append(attribute)
        if is_unique:
            unique.append((attribute.name,))
    schema = ExtensionSchema(kind, name, shape, tuple(attributes))
    unique += _unique_groups(schema, body.get("unique"))
    return ExtensionSchema(kind, name, shape, tuple(attributes), tuple(dict.fromkeys(unique)))


def _unique_groups(schema: ExtensionSchema, raw: Any) -> list[tuple[str, ...]]:
    """`unique`: each item one attribute name, or an array of names unique together."""
    if raw is None:
        return []
    if isinstance(raw, str):  # "Lists attributes (separated by commas)"
        raw = [part.strip() for part in raw.split(",") if part.strip()]
    if not isinstance(raw, list):
        raise BadParameter(f"{schema.name}.unique", "expected an array of attribute names")
    groups = []
    for item in raw:
        names = item if isinstance(item, list) else [item]
        group = []
        for name in names:
            attribute = schema.attribute(name) if isinstance(name, str) else None
            if attribute is None:
                raise BadParameter(f"{schema.name}.unique", f"'{name}' is not an attribute of the extension")
            group.append(attribute.name)
        if group:
            groups.append(tuple(group))
    return groups


def from_definition(
    schema_id: int, kind: str, definition: Mapping[str, Any], cipher: Cipher | None = None
) -> ExtensionSchema:
    """A stored (normalised) definition back into a schema (with the cipher if it encrypts)."""
    attributes = tuple(
        AttributeSchema(a["name"], a["type"], a["length"], a["mandatory"], a["encrypt"], a.get("default"))
        for a in definition["attributes"]
    )
    unique = tuple(tuple(g) if isinstance(g, list) else (g,) for g in definition.get("unique", []))
    encrypts = any(a.encrypt for a in attributes)
    return ExtensionSchema(
        kind, definition["name"], definition["type"], attributes, unique, schema_id, cipher if encrypts else None
    )
