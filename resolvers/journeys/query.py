"""What the journey queries take: which services ("Query Services" filters), which nested states
and tasks to include, which extensions; and the roles such an inclusion needs beyond the read's own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from contextgraph.resolvers.access.roles import extension_task
from contextgraph.resolvers.journeys.records import Status
from contextgraph.resolvers.operation import Input, checked
from contextgraph.resolvers.values import flag, time_param

Flag = Annotated[bool, checked(flag)]
# Extension names to include (`extensions=A,B`); REST splits the comma-separated list.
Names = tuple[str, ...]


class Include(Input):
    """Which nested collections to return with each service (all off by default, as documented)."""

    active_states: Flag = False
    completed_states: Flag = False
    active_tasks: Flag = False
    completed_tasks: Flag = False

    @property
    def states(self) -> Status | None:
        return Status.of(self.active_states, self.completed_states)

    @property
    def tasks(self) -> Status | None:
        return Status.of(self.active_tasks, self.completed_tasks)


class ServiceFilter(Input):
    """The documented filters of "Query Services"; times are epoch milliseconds once checked."""

    status: Status = Status.ALL
    service_types: tuple[str, ...] | None = None
    started_from: Annotated[int | None, checked(time_param)] = None
    started_to: Annotated[int | None, checked(time_param)] = None
    completed_from: Annotated[int | None, checked(time_param)] = None
    completed_to: Annotated[int | None, checked(time_param)] = None


def included_tasks(
    kind: str, *, states: bool = False, tasks: bool = False, extensions: Iterable[str] = ()
) -> list[str]:
    """The roles a read of `kind` needs for what it includes: nested states, tasks, extensions
    (of the kind read, and of the nested states and tasks a service read includes)."""
    wanted = []
    if states:
        wanted.append("UCS.Service.readState")
    if tasks:
        wanted.append("UCS.Service.readTask")
    if tuple(extensions):
        wanted.append(extension_task("read", kind))
        if kind == "service":
            wanted += [extension_task("read", k) for k, on in (("state", states), ("task", tasks)) if on]
    return wanted
