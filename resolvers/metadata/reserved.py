"""The reserved words of spec/004 "Unauthorized Strings": never names, and by default never values."""

from __future__ import annotations

from contextgraph.resolvers.errors import BadParameter

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


def _refuse(parameter: str, word: str) -> BadParameter:
    return BadParameter(parameter, f"'{word}' keyword is not authorized.")


def check_name(parameter: str, name: str) -> None:
    """A name (extension, attribute, key) may never be a reserved word, whatever its case."""
    if name.lower() in RESERVED_WORDS:
        raise _refuse(parameter, name)


def check_value(parameter: str, value: object) -> None:
    """A whole string value may not be a reserved word (case-insensitive); parts of it may."""
    if isinstance(value, str) and value.strip().lower() in RESERVED_WORDS:
        raise _refuse(parameter, value)
