"""Business attributes ("Query Business Attribute Schema"): the enumerations behind the "long or
string" fields, from the config file. With `map_name`, GET answers show a value's name where the
stored value is one of its DB ids (`media_type: 1001` → `"voice"`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from contextgraph.resolvers.errors import not_found
from contextgraph.resolvers.settings import BusinessAttribute

_NESTED = {"active_states": "State", "completed_states": "State", "active_tasks": "Task", "completed_tasks": "Task"}


class BusinessAttributes:
    """The configured business attributes and the id → name maps of those with `map_name`."""

    def __init__(self, attributes: Iterable[BusinessAttribute]) -> None:
        self.attributes = list(attributes)
        # "Service.media_type" → {1001: "voice", …} for the attributes whose names are shown
        self.names: dict[str, dict[int, str]] = {}
        for attribute in self.attributes:
            if attribute.map_name:
                values = {v.dbid: v.name for v in attribute.values}
                for field in attribute.cv_attributes:
                    self.names[field.lower()] = values

    def describe(self, name: str | None = None, cv_attribute: str | None = None) -> Any:
        if cv_attribute is not None:
            found = [a for a in self.attributes if cv_attribute.lower() in (c.lower() for c in a.cv_attributes)]
            if not found:
                raise not_found("business attribute for", cv_attribute)
            return found[0].describe()
        if name is not None:
            match = next((a for a in self.attributes if a.name.lower() == name.lower()), None)
            if match is None:
                raise not_found("business attribute", name)
            return match.describe()
        return [a.describe() for a in self.attributes]

    def display(self, resource: str, body: dict[str, Any]) -> dict[str, Any]:
        """A GET answer's resource (`resource`: Service, State or Task) with mapped values as names,
        its events and nested states and tasks included.
        """
        if not self.names:
            return body
        for key, value in list(body.items()):
            if isinstance(value, dict) and key in ("started", "completed"):
                body[key] = self.display(resource, dict(value))
            elif isinstance(value, list) and key in _NESTED:
                body[key] = [self.display(_NESTED[key], item) for item in value]
            elif isinstance(value, int) and not isinstance(value, bool):
                names = self.names.get(f"{resource}.{key}".lower())
                if names is not None and value in names:
                    body[key] = names[value]
        return body
