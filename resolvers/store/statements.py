"""Read statements prepared once per dialect: constant SQL text, positional parameters, the column
processors SQLAlchemy would apply. A list of ids is one parameter — an array on PostgreSQL
(`= ANY($1)`), a JSON array on SQLite (`IN (SELECT value FROM json_each(?))`) — so the SQL text of a
statement never depends on how many parents a level has, and nothing is compiled per request.

    STATES = Statement(lambda d: select_records(StateRecord).where(any_of(d, state_t.c.service_id, "ids")))
    rows = await session.fetch(STATES, ids=[1, 2, 3])
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

Query = sa.Select[Any] | sa.CompoundSelect[Any]  # what a read statement is: a SELECT, or a UNION of them


def any_of(dialect: str, column: sa.ColumnElement[Any], name: str) -> sa.ColumnElement[bool]:
    """`column` is one of the values of the list parameter `name`."""
    if dialect == "postgresql":
        array = sa.bindparam(name, type_=postgresql.ARRAY(column.type))
        return column == sa.any_(array)
    values: sa.Select[Any] = sa.select(sa.column("value")).select_from(
        sa.func.json_each(sa.bindparam(name, type_=sa.String))
    )
    return column.in_(values.scalar_subquery())


def json_lists(params: dict[str, Any]) -> dict[str, Any]:
    """SQLite's parameters: a list is one JSON array, which json_each reads."""
    return {k: orjson.dumps(list(v)).decode() if isinstance(v, list | tuple) else v for k, v in params.items()}


@dataclass(frozen=True)
class Prepared:  # frozen, with a cached property: a plain dataclass keeps its __dict__
    """A statement compiled for one dialect: SQL text, positional binds, column processors."""

    compiled: Any
    sql: str
    names: tuple[str, ...]
    binds: dict[str, Callable[[Any], Any]]
    columns: tuple[Callable[[Any], Any] | None, ...]
    sqlite: bool

    @classmethod
    def of(cls, statement: Query, dialect: sa.Dialect) -> Prepared:
        compiled = statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup or ())
        binds: dict[str, Callable[[Any], Any]] = {}
        for name in names:
            processor = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                binds[name] = processor
        columns = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in statement.selected_columns
        )
        return cls(compiled, compiled.string, names, binds, columns, dialect.name == "sqlite")

    def parameters(self, params: dict[str, Any]) -> list[Any]:
        if self.sqlite:
            params = json_lists(params)
        values = self.compiled.construct_params(params)
        return [self.binds[n](values[n]) if n in self.binds else values[n] for n in self.names]

    def rows(self, raw: Sequence[Sequence[Any]]) -> Sequence[Sequence[Any]]:
        """The rows with each column's processor applied (rows are sequences: tuples or records)."""
        if self.convert is None:
            return raw
        return list(map(self.convert, raw))

    @functools.cached_property
    def convert(self) -> Callable[[Sequence[Any]], tuple[Any, ...]] | None:
        """One row's conversion, written out for this statement's columns: `(r[0], P1(r[1]), …)`."""
        if not any(self.columns):
            return None
        namespace: dict[str, Any] = {f"P{i}": p for i, p in enumerate(self.columns) if p is not None}
        items = ", ".join(f"P{i}(r[{i}])" if p is not None else f"r[{i}]" for i, p in enumerate(self.columns))
        return eval(f"lambda r: ({items},)", namespace)  # column positions and our own processors


class Statement:
    """A SELECT built once per dialect (`build(dialect name)`), prepared on first use."""

    def __init__(self, build: Callable[[str], Query]) -> None:
        self._build = build
        self._selects: dict[str, Query] = {}
        self._prepared: dict[str, Prepared] = {}

    def select(self, dialect: str) -> Query:
        if dialect not in self._selects:
            self._selects[dialect] = self._build(dialect)
        return self._selects[dialect]

    def prepared(self, dialect: sa.Dialect) -> Prepared:
        found = self._prepared.get(dialect.name)
        if found is None:
            found = self._prepared[dialect.name] = Prepared.of(self.select(dialect.name), dialect)
        return found
