"""The description of a Bulk Profile Import (the JSON part `description`, or the command line's
flags in its words): every option checked before a row is read, so a bad one is a 400 that writes
nothing (issue 15: each ill-typed option was a 500).
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contextgraph.resolvers.bounds import IMPORT_BATCH, check_text
from contextgraph.resolvers.context import Context
from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.values import whole_number

_OPTIONS = {
    "format",
    "profiles",
    "id-key",
    "delimiter",
    "batch-size",
    "max-errors",
    "encoding",
    "start-from-index",
    "create-log",
}


@dataclass
class ImportOptions:
    delimiter: str = ","
    encoding: str = "utf-8"
    batch_size: int = 64
    max_errors: int | None = None
    start_from_index: int = 0
    id_key: str | None = None
    path: str | None = None  # a server-side file, instead of an uploaded part


def parse_options(description: Any, *, assumed_format: str | None = None) -> ImportOptions:
    """The JSON `description` part of the request, or the command line's flags in its words
    (options made already pass through). `assumed_format` is the format when none is given."""
    if isinstance(description, ImportOptions):
        return description
    if not isinstance(description, Mapping):
        raise BadParameter("description", "expected a JSON object")
    unknown = set(description) - _OPTIONS
    if unknown:
        raise BadParameter(sorted(unknown)[0], "not a parameter of Bulk Profile Import")
    if str(description.get("format", assumed_format or "")).lower() != "csv":
        raise BadParameter("format", 'only "CSV" is supported')
    options = ImportOptions()
    delimiter = _name("delimiter", description.get("delimiter", ","), 1)
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise BadParameter("delimiter", "expected one character (not a quote or a line break)")
    options.delimiter = delimiter
    options.encoding = _encoding(description.get("encoding", "utf-8"))
    options.batch_size = whole_number("batch-size", description.get("batch-size", 64), 1, IMPORT_BATCH)
    if description.get("max-errors") is not None:
        options.max_errors = whole_number("max-errors", description["max-errors"], 0)
    options.start_from_index = whole_number("start-from-index", description.get("start-from-index", 0), 0)
    if description.get("id-key") is not None:
        options.id_key = _name("id-key", description["id-key"], 64)
    if description.get("profiles") is not None:
        options.path = _name("profiles", description["profiles"], 1024)
    return options


def _name(option: str, value: Any, limit: int) -> str:
    """A non-empty string option (a file name, a key name, a delimiter) of at most `limit` characters."""
    if not isinstance(value, str) or not value or len(value) > limit:
        raise BadParameter(option, f"expected a non-empty string of at most {limit} characters")
    return check_text(option, value)


def _encoding(value: Any) -> str:
    """A text encoding Python can decode with (not "undefined", nor a bytes-to-bytes codec)."""
    name = _name("encoding", value, 64)
    try:
        known = codecs.lookup(name)
        ",".encode(name).decode(name)
    except (LookupError, UnicodeError, TypeError, ValueError):
        known = None
    if known is None or not getattr(known, "_is_text_encoding", True):
        raise BadParameter("encoding", f"'{name}' is not a text encoding")
    return name


def check_id_key(ctx: Context, options: ImportOptions) -> None:
    """The `id-key` names an identification key that exists (known before any row is read)."""
    if options.id_key is not None and not any(k.name.lower() == options.id_key.lower() for k in ctx.metadata.keys):
        raise BadParameter("id-key", f"no identification key '{options.id_key}'")
