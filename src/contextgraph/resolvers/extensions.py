"""Extension values named in bodies. Extension schemas do not exist yet, so every name is undefined.

Keys of a body that are not documented fields are extension names (spec/004 "Extension").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contextgraph.app.errors import BadParameter

OWNER_KINDS = ("profile", "service", "state", "task")


def check_extensions(kind: str, extensions: Mapping[str, Any]) -> None:
    """Refuse extension values whose schema is not defined (today: all of them)."""
    for name in extensions:
        raise BadParameter(name, f"not a documented field nor a defined {kind} extension")


def check_extension_names(kind: str, names: list[str]) -> None:
    """Refuse `extensions=A,B` in a query when A or B is not a defined extension (today: any)."""
    for name in names:
        raise BadParameter("extensions", f"'{name}' is not a defined {kind} extension")
