"""Pages of lists that can grow: `first` items from `offset`, never more than the server's cap.

`page(items, first=None, offset=0, cap=1000)`: without `first` a list answers its first `cap` items;
with it, `first` must lie in 1..cap. The GraphQL lists (services, states, tasks, interactions,
identified customers) take `first` and `offset`; `graphql_max_list` is the cap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from contextgraph.resolvers.errors import BadParameter

T = TypeVar("T")


def check_page(first: int | None, offset: int, cap: int) -> None:
    """400 for a page the server does not give."""
    if first is not None and not 1 <= first <= cap:
        raise BadParameter("first", f"must be between 1 and {cap}, not {first}")
    if offset < 0:
        raise BadParameter("offset", f"must not be negative, not {offset}")


def page(items: Sequence[T] | None, first: int | None, offset: int, cap: int) -> list[T]:
    check_page(first, offset, cap)
    count = cap if first is None else first
    return list(items[offset : offset + count]) if items else []


@dataclass(frozen=True)
class Page:
    """The rows of each parent to keep, counted from 1 in id order: `skip` < n <= `upto` (cut in SQL)."""

    first: int | None = None
    offset: int = 0
    cap: int = 1000

    @classmethod
    def of(cls, first: int | None, offset: int, cap: int) -> Page:
        check_page(first, offset, cap)
        return cls(first, offset, cap)

    @property
    def skip(self) -> int:
        return self.offset

    @property
    def upto(self) -> int:
        return self.offset + (self.cap if self.first is None else self.first)
