"""The one version source of Context Graph: every profile, service, state and task row carries a
`version` that each write moves, in the write's own transaction, when it changes what a read of
that row answers: its own fields and extensions, and what its answers nest below it (a service
shows its states and tasks, a state its tasks). An ETag names it (`etag`), REST and GraphQL alike;
a write checks the request's `If-Match` against it where it locks the row (`touch`):

    async with ctx.write() as conn:
        await touch(ctx, conn, Journey(service_id, task_id=task_id))  # 412 if the task moved on

`touch` is a write's first statement: it locks the rows it moves top-down (service, state, task),
so two writes in one service never wait for each other in opposite orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.context import Context
from contextgraph.resolvers.errors import PreconditionFailed, not_found
from contextgraph.resolvers.store.tables import customer_t, service_t, state_t, task_t


class Versioned(dict[str, Any]):
    """A resource read as a JSON object (a profile), with the version it was read at."""

    __slots__ = ("version",)

    def __init__(self, items: dict[str, Any], version: int) -> None:
        super().__init__(items)
        self.version = version


def etag(ctx: Context, version: int) -> str:
    """The strong entity tag of a row at `version`: the version, the metadata version (deleting an
    extension schema deletes records without touching their owners) and the answer-shaping
    settings, `"7-3-1a2b3c4d"`."""
    return f'"{version}-{ctx.metadata.version}-{ctx.runtime.answers_digest}"'


def _accepted(ctx: Context) -> list[int] | None:
    """The versions the request's If-Match accepts (None: any, the header is absent or `*`)."""
    tags = ctx.conditions.if_match
    if tags is None or "*" in tags:
        return None
    suffix = f'-{ctx.metadata.version}-{ctx.runtime.answers_digest}"'
    versions = []
    for tag in tags:  # a weak tag never matches: If-Match compares strongly (RFC 9110 13.1.1)
        head = tag[1 : -len(suffix)] if tag.startswith('"') and tag.endswith(suffix) else ""
        if head.isascii() and head.isdigit() and len(head) < 19:
            versions.append(int(head))
    return versions


async def _move(conn: AsyncConnection, table: sa.Table, check: list[int] | None, *where: Any) -> bool:
    """Move the version of the row `where` names; with `check`, only from one of those versions.
    False when no row moved."""
    update = sa.update(table).where(*where).values(version=table.c.version + 1)
    if check is not None:
        update = update.where(table.c.version.in_(check) if check else sa.false())
    return bool((await conn.execute(update)).rowcount)


async def _refuse(conn: AsyncConnection, table: sa.Table, *where: Any) -> None:
    """A conditional write that moved nothing: 412 if the row is there (another version), else the
    operation's own lookup answers 404."""
    if await conn.scalar(sa.select(sa.literal(1)).select_from(table).where(*where)) is not None:
        raise PreconditionFailed("the resource changed since it was read: read it again (GET), then retry")


async def touch_customer(ctx: Context, conn: AsyncConnection, customer_id: str) -> None:
    """Move a profile's version (its attributes or extensions change), checking If-Match."""
    where = (customer_t.c.id == customer_id,)
    check = _accepted(ctx)
    if not await _move(conn, customer_t, check, *where) and check is not None:
        await _refuse(conn, customer_t, *where)


@dataclass(frozen=True)
class Journey:
    """What a write changes in one service: the service itself, or one of its states or tasks
    (`state_id` with `task_id`: a state the task joins). If-Match is checked against the one the
    request's URL names: `named`, by default the most specific."""

    service_id: int
    state_id: int | None = None
    task_id: int | None = None
    named: str | None = None  # "service", "state" or "task"


def _in_range(kind: str, value: int, bits: int) -> None:
    if not 0 <= value < 2 ** (bits - 1):  # a number no row can have, and no database may see
        raise not_found(kind, value)


async def touch(ctx: Context | None, conn: AsyncConnection, journey: Journey) -> None:
    """Move the versions of a service and of the state and task of `journey` (with the task's own
    state), top-down; with `ctx`, check its If-Match against the most specific one."""
    service_id, state_id, task_id = journey.service_id, journey.state_id, journey.task_id
    _in_range("service", service_id, 64)
    check = _accepted(ctx) if ctx is not None else None
    steps: list[tuple[sa.Table, tuple[Any, ...]]] = [(service_t, (service_t.c.id == service_id,))]
    named = {"service": service_t, "state": state_t, "task": task_t}.get(journey.named or "")
    in_service = (state_t.c.service_id == service_id,)
    if task_id is not None:
        _in_range("task", task_id, 32)
        of_task = sa.select(task_t.c.state_id).where(task_t.c.id == task_id, task_t.c.service_id == service_id)
        states = [state_t.c.id == of_task.scalar_subquery()]
        if state_id is not None:
            _in_range("state", state_id, 32)
            states.append(state_t.c.id == state_id)
        steps.append((state_t, (sa.or_(*states), *in_service)))
        steps.append((task_t, (task_t.c.id == task_id, task_t.c.service_id == service_id)))
    elif state_id is not None:
        _in_range("state", state_id, 32)
        steps.append((state_t, (state_t.c.id == state_id, *in_service)))
    named = named if named is not None else steps[-1][0]
    for table, where in steps:
        target = table is named and check is not None
        if not await _move(conn, table, check if target else None, *where) and target:
            await _refuse(conn, table, *where)
