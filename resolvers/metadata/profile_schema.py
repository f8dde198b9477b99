"""The customer profile's attribute schema (from the config file) and the validation of values.

Profiles hold only string and datetime attributes. Every attribute may be multi-valued: a JSON array
whose first value is the primary one. Names are matched case-insensitively.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.metadata import reserved
from contextgraph.resolvers.settings import ProfileAttribute
from contextgraph.resolvers.timefmt import format_ms, parse_ms
from contextgraph.resolvers.values import not_a_time

_ATTRIBUTE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,29}")


class ProfileSchema:
    """Validates profile bodies against the configured attributes."""

    def __init__(self, attributes: Iterable[ProfileAttribute], *, check_values: bool = True) -> None:
        self.attributes = list(attributes)
        for attribute in self.attributes:
            if not _ATTRIBUTE_NAME.fullmatch(attribute.name):
                raise ValueError(
                    f"profile attribute name '{attribute.name}' must start with a letter, then "
                    "letters, digits or '_', 30 characters at most"
                )
            reserved.check_name("name", attribute.name)
        self._by_name = {a.name.lower(): a for a in self.attributes}
        self._check_values = check_values

    def attribute(self, name: str) -> ProfileAttribute | None:
        return self._by_name.get(name.lower())

    def describe(self) -> list[dict[str, Any]]:
        """The schema as "Query Profile Schema" shows it."""
        return [
            {
                "name": a.name,
                "type": a.type,
                "length": a.length if a.type == "string" else 0,
                "encrypt": a.encrypt,
                "mandatory": a.mandatory,
            }
            | ({"default": a.default} if a.default is not None else {})
            for a in self.attributes
        ]

    def split(self, body: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(validated attributes, the other keys — extension names), defaults applied."""
        attributes: dict[str, Any] = {}
        others: dict[str, Any] = {}
        for key, value in body.items():
            attribute = self._by_name.get(key.lower())
            if attribute is None:
                others[key] = value
            elif value is not None:
                if attribute.name in attributes:
                    raise BadParameter(key, f"attribute '{attribute.name}' is given twice")
                attributes[attribute.name] = self._value(attribute, value)
        for attribute in self.attributes:
            if attribute.name not in attributes:
                if attribute.default is not None:
                    attributes[attribute.name] = self._value(attribute, attribute.default)
                elif attribute.mandatory:
                    raise BadParameter(attribute.name, "mandatory attribute is missing")
        return attributes, others

    def _value(self, attribute: ProfileAttribute, value: Any) -> Any:
        if isinstance(value, list):
            if not value:
                raise BadParameter(attribute.name, "an attribute array needs at least one value")
            return [self._scalar(attribute, v) for v in value]
        return self._scalar(attribute, value)

    def _scalar(self, attribute: ProfileAttribute, value: Any) -> str:
        name = attribute.name
        if not isinstance(value, str):
            raise BadParameter(name, f"expected a {attribute.type} value given as a JSON string")
        if attribute.type == "datetime":
            try:
                return format_ms(parse_ms(value))
            except ValueError as exc:
                raise not_a_time(name, value, exc) from None
        if len(value) > attribute.length:
            raise BadParameter(name, f"longer than {attribute.length} characters")
        if self._check_values:
            reserved.check_value(name, value)
        return value
