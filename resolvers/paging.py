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


@dataclass(frozen=True)
class Keyset:
    """Each parent's rows after and/or before a row, in the list's order (ids; interactions: start time,
    then id): the `first` of them, or the `last`
    (`cap` without either). The statement reads one row more than the page, in the page's direction,
    to tell whether more follow (`first`) or precede (`last`) — cut in SQL, no offset scan, so a page
    stays put while rows are inserted before or after it."""

    first: int | None = None
    last: int | None = None
    after: int | str | None = None  # a key: an id, or what a list's rows are ordered by names (interactions)
    before: int | str | None = None
    cap: int = 1000

    @classmethod
    def of(
        cls, first: int | None, last: int | None, after: int | str | None, before: int | str | None, cap: int
    ) -> Keyset:
        check_keyset(first, last, cap)
        return cls(first, last, after, before, cap)

    @property
    def backward(self) -> bool:
        return self.last is not None

    @property
    def size(self) -> int:
        return self.last if self.last is not None else self.first if self.first is not None else self.cap

    def cut(self, rows: Sequence[T]) -> tuple[list[T], bool, bool]:
        """(the page, whether rows precede it, whether rows follow it) from the rows read in list order;
        as Relay's reference does, only the side the page was read from is known (the other: false)."""
        more = len(rows) > self.size
        if self.backward:
            return list(rows[len(rows) - self.size :] if more else rows), more, False
        return list(rows[: self.size]), False, more


def check_keyset(first: int | None, last: int | None, cap: int) -> None:
    """400 for a connection page the server does not give."""
    if first is not None and last is not None:
        raise BadParameter("last", "give first or last, not both")
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 1 <= value <= cap:
            raise BadParameter(name, f"must be between 1 and {cap}, not {value}")
