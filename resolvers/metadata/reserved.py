"""The reserved words of spec/004 "Unauthorized Strings": never names, and by default never values."""

from __future__ import annotations

import unicodedata

from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.values import unseen

_CONTEXT_SERVICES = "extension none profile service state task"
_DATABASE = (
    "alter by comment constraint create cursor database delete from having identity index inner "
    "insert is join left null order outer prepare primary procedure return right select set size "
    "table truncate union update when where"
)
_TYPES = (
    "bigint binary bit blob boolean char clob currency date datetime decimal double float int "
    "integer long longvarbinary money nchar number numeric real smalldatetime smallint smallmoney "
    "string time timestamp tinyint varbinary varchar varchar2"
)
RESERVED_WORDS = frozenset(f"{_CONTEXT_SERVICES} {_DATABASE} {_TYPES}".split())
# No attribute value may be longer than 4 000 characters (the longest `length`), so a value padded
# with invisible characters past this is refused by its length anyway; the check stays cheap.
_LONGEST = 4096


def _refuse(parameter: str, word: str) -> BadParameter:
    return BadParameter(parameter, f"'{word}' keyword is not authorized.")


def folded(text: str) -> str:
    """The word a reader sees: NFKC (full-width SELECT is SELECT), case-folded (a long s folds to
    s), without invisible characters, trimmed."""
    visible = "".join(char for char in unicodedata.normalize("NFKC", text) if not unseen(char))
    return visible.casefold().strip()


def check_name(parameter: str, name: str) -> None:
    """A name (extension, attribute, key) may never be a reserved word, however it is disguised,
    nor hold an invisible character (two names that look alike would be two identifiers)."""
    if any(unseen(char) for char in name):
        raise BadParameter(parameter, "a name may not hold invisible or control characters")
    if folded(name) in RESERVED_WORDS:
        raise _refuse(parameter, name)


def check_value(parameter: str, value: object) -> None:
    """A whole string value may not be a reserved word, however it is disguised (case, full-width
    or compatibility letters, invisible characters); parts of it may."""
    if isinstance(value, str) and len(value) <= _LONGEST and folded(value) in RESERVED_WORDS:
        raise _refuse(parameter, value)
