"""Typed GraphQL inputs for extension values, generated from the extension schemas as the typed
`extensions` output fields are (schema/extension_types.py), with the same attribute types and names:

    startService(input: {customerId: $c, serviceType: 1,
                         extensions: {Feedback: {rating: 5}, relatedOffers: [{offer_name: "a"}]}})
    replaceExtension(owner: {kind: SERVICE, serviceId: $s}, value: {service: {Feedback: {rating: 5}}})
    updateExtensionRecord(owner: $o, record: {service: {relatedOffers: {offer_name: "a", type: 2}}})

Per owner kind: `<Kind>ExtensionsInput` (one field per extension schema: a record, a list of records
when multi-valued, a Boolean for a profile classifier) and `<Kind>RecordOfExtensionInput` (@oneOf: one
record of one extension). `ExtensionValueInput` and `ExtensionRecordValueInput` (@oneOf by kind)
carry them to the extension record mutations. A wrong attribute type or an unknown attribute is
a validation error before anything runs. Every attribute is optional in the input: whether a
record is complete (mandatory attributes, defaults, unique) is the domain's rule
(resolvers/extensions), which also checks lengths and reserved words, as for REST.

The shells below are built once; `install(registry)` gives them the fields the current schemas
call for just before a new strawberry.Schema is built (as the output types get theirs), and takes
out of the graph what would be left without a field (GraphQL has no empty input object). Their
values reach the resolvers as REST bodies: `{extension name: record(s)}` keyed by the original
attribute names, so both surfaces go through one set of rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

import strawberry
from strawberry.tools import create_type
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.field import StrawberryField
from strawberry.types.unset import UNSET

from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.metadata.extension_schema import ExtensionSchema
from contextgraph.resolvers.metadata.registry import MetadataRegistry
from contextgraph.schema.extension_types import PREFIX, SCALARS, graphql_names
from contextgraph.schema.internals import build_from_input, replace_arguments, replace_fields

KINDS = ("profile", "service", "state", "task")


@dataclass
class _Names:
    """One kind's extensions as the current schema names them: GraphQL name → original names."""

    extensions: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)  # by extension GraphQL name
    classifiers: frozenset[str] = frozenset()


_CURRENT: dict[str, _Names] = {kind: _Names() for kind in KINDS}


def _record(kind: str, extension: str, value: Any) -> Any:
    """A record input as its REST body. Keys the current schema does not know (it changed while
    the request ran) are passed on as they are, for the domain to refuse, never dropped."""
    names = _CURRENT[kind].attributes.get(extension, {})
    return {names.get(key, key): item for key, item in value.items()}


def extension_values(kind: str, value: Mapping[str, Any]) -> dict[str, Any]:
    """`<Kind>ExtensionsInput` as REST body keys: {extension name: record, [records] or {}}."""
    current = _CURRENT[kind]
    body: dict[str, Any] = {}
    for key, item in value.items():
        if item is None:  # null is the same as leaving it out, as for every event field
            continue
        name = current.extensions.get(key, key)
        if key in current.classifiers:
            if item is not True:
                raise BadParameter(name, "a classifier is set with true; leave it out to keep it as it is")
            body[name] = {}
        elif isinstance(item, list):
            body[name] = [_record(kind, key, record) for record in item]
        else:
            body[name] = _record(kind, key, item)
    return body


@dataclass(frozen=True)
class ExtensionValue:
    """What an extension record mutation was given: the owner kind, the extension, its body."""

    kind: str
    name: str
    body: Any

    def of(self, owner_kind: str) -> tuple[str, Any]:
        """(extension name, body) for an owner of `owner_kind`; 400 when the kinds differ."""
        if owner_kind != self.kind:
            raise BadParameter(self.kind, f"a {self.kind} extension given for a {owner_kind}")
        return self.name, self.body


def _one(what: str, value: Mapping[str, Any]) -> tuple[str, Any]:
    """The one entry of a @oneOf value (GraphQL validates that there is exactly one)."""
    given = [(k, v) for k, v in value.items() if v is not None]
    if len(given) != 1:
        raise BadParameter(what, "give exactly one extension")
    return given[0]


def _value(_cls: type, value: Mapping[str, Any], _context: Any) -> ExtensionValue:
    kind, extensions = _one("value", value)
    name, _ = _one("value", extensions)  # replace: one extension, in one transaction
    (body,) = extension_values(kind, {name: extensions[name]}).values()
    return ExtensionValue(kind, _CURRENT[kind].extensions.get(name, name), body)


def _record_value(_cls: type, value: Mapping[str, Any], _context: Any) -> ExtensionValue:
    kind, records = _one("record", value)
    name, record = _one("record", records)
    return ExtensionValue(kind, _CURRENT[kind].extensions.get(name, name), _record(kind, name, record))


def _shell(name: str, description: str, build: Callable[..., Any], *, one_of: bool = False) -> type:
    """An input type whose fields `install` gives; its value is what `build` makes of the input."""
    cls = strawberry.input(type(name, (), {"__module__": __name__}), name=name, description=description, one_of=one_of)
    build_from_input(cls, build)
    return cls


def _kind_values(kind: str) -> Callable[..., Any]:
    return lambda _cls, value, _context: extension_values(kind, value)


EXTENSIONS: dict[str, type] = {
    kind: _shell(
        f"{PREFIX[kind]}ExtensionsInput",
        f"Values of {kind} extensions, one field per extension schema (null or absent: left as it is).",
        _kind_values(kind),
    )
    for kind in KINDS
}
RECORDS: dict[str, type] = {
    kind: _shell(
        f"{PREFIX[kind]}RecordOfExtensionInput",
        f"One record of one {kind} extension.",
        lambda _cls, value, _context: value,  # read whole by the enclosing ExtensionRecordValueInput
        one_of=True,
    )
    for kind in KINDS
}
VALUE = _shell("ExtensionValueInput", "The new value of one extension, under its owner's kind.", _value, one_of=True)
RECORD = _shell(
    "ExtensionRecordValueInput", "One record of one extension, under its owner's kind.", _record_value, one_of=True
)
if TYPE_CHECKING:  # made at run time: to a type checker, what their `build` makes
    ProfileExtensionsInput: TypeAlias = dict[str, Any]
    ExtensionValueInput: TypeAlias = ExtensionValue
    ExtensionRecordValueInput: TypeAlias = ExtensionValue
else:
    ProfileExtensionsInput, ExtensionValueInput, ExtensionRecordValueInput = EXTENSIONS["profile"], VALUE, RECORD


def profile_body(metadata: MetadataRegistry, attributes: Any, extensions: dict[str, Any] | None) -> Any:
    """A profile's REST body: its attributes (JSON) and its typed extension values. Extension values
    in `attributes` are refused: GraphQL takes them typed, in `extensions`."""
    if not isinstance(attributes, Mapping):
        return attributes  # the domain refuses it as REST does
    for key in attributes:
        if metadata.get("profile", str(key)) is not None:
            raise BadParameter(str(key), "a profile extension: give its value in `extensions`, typed")
    return {**attributes, **(extensions or {})}


# What an argument or field of a fixed type stands for while no extension schema gives its input
# a field: left out of the graph (GraphQL has no empty input object), put back when one does.
_ARGUMENTS: dict[int, list[StrawberryArgument]] = {}
_FIELDS: dict[type, list[StrawberryField]] = {}


def field_of(cls: type, python_name: str) -> StrawberryField:
    fields: list[StrawberryField] = _FIELDS.get(cls) or cls.__strawberry_definition__.fields  # type: ignore[attr-defined]
    return next(f for f in fields if f.python_name == python_name)


def offer_argument(field: StrawberryField, name: str, offered: bool) -> None:
    """Give `field` its argument `name` only when `offered`."""
    original = _ARGUMENTS.setdefault(id(field), list(field.arguments))
    replace_arguments(field, [a for a in original if offered or a.python_name != name])


def offer_fields(cls: type, offered: Mapping[str, bool]) -> None:
    """Give `cls` each of its fields, but those `offered` maps to False."""
    original = _FIELDS.setdefault(cls, list(cls.__strawberry_definition__.fields))  # type: ignore[attr-defined]
    replace_fields(cls, [f for f in original if offered.get(f.python_name, True)])


def _input_field(name: str, annotation: Any, description: str, python_name: str | None = None) -> StrawberryField:
    made = strawberry.field(name=name, graphql_type=annotation | None, default=UNSET, description=description)
    made.python_name = python_name or name
    return made


def _record_input(schema: ExtensionSchema) -> type:
    """The input type of one record: one optional field per attribute, typed as for output."""
    fields = []
    for attribute, name in zip(schema.attributes, graphql_names([a.name for a in schema.attributes]), strict=True):
        described = f"{attribute.type} attribute '{attribute.name}'" + (", mandatory" if attribute.mandatory else "")
        fields.append(_input_field(name, SCALARS[attribute.type], described))
    return create_type(
        f"{PREFIX[schema.kind]}{schema.name[0].upper()}{schema.name[1:]}RecordInput",
        fields,
        is_input=True,
        description=f"A record of the {schema.kind} extension '{schema.name}'.",
    )


def _names(schemas: list[ExtensionSchema]) -> _Names:
    return _Names(
        extensions={s.name: s.name for s in schemas},
        attributes={
            s.name: dict(
                zip(graphql_names([a.name for a in s.attributes]), (a.name for a in s.attributes), strict=True)
            )
            for s in schemas
        },
        classifiers=frozenset(s.name for s in schemas if not s.attributes),
    )


def _value_type(schema: ExtensionSchema, record: type | None) -> Any:
    """A record, a list of records (multi-valued), or a Boolean (a classifier: true sets it)."""
    if record is None:
        return bool
    return list[record] if schema.multi else record  # type: ignore[valid-type]


def _described(schema: ExtensionSchema) -> str:
    return f"The {schema.type} {schema.kind} extension '{schema.name}'" + (
        "" if schema.attributes else ": true sets it"
    )


def install(registry: MetadataRegistry) -> dict[str, bool]:
    """Give the shells the fields the current extension schemas call for; answers, per kind,
    whether `<Kind>ExtensionsInput` has any (the others leave it out of the graph)."""
    values, records, present = [], [], {}
    for kind in KINDS:
        schemas = registry.of_kind(kind)
        inputs = {s.name: _record_input(s) for s in schemas if s.attributes}
        value_fields = [
            _input_field(s.name, _value_type(s, inputs.get(s.name)), _described(s), f"ext_{s.id}") for s in schemas
        ]
        record_fields = [
            _input_field(s.name, inputs[s.name], f"A record of the {kind} extension '{s.name}'.", f"ext_{s.id}")
            for s in schemas
            if s.attributes
        ]
        replace_fields(EXTENSIONS[kind], value_fields)
        replace_fields(RECORDS[kind], record_fields)
        _CURRENT[kind] = _names(schemas)
        present[kind] = bool(value_fields)
        if value_fields:
            values.append(_input_field(kind, EXTENSIONS[kind], f"A {kind} extension.", kind))
        if record_fields:
            records.append(_input_field(kind, RECORDS[kind], f"A record of a {kind} extension.", kind))
    replace_fields(VALUE, values)
    replace_fields(RECORD, records)
    present["values"], present["records"] = bool(values), bool(records)
    return present
