"""Records as the documented JSON resources (spec/004 "Service", "State", "Task")."""

from __future__ import annotations

from typing import Any

from contextgraph.resolvers.journeys.query import Include
from contextgraph.resolvers.journeys.records import JourneyRecord, ServiceRecord, StateRecord, TaskRecord
from contextgraph.resolvers.journeys.services import ServiceTree
from contextgraph.resolvers.journeys.states import StateTree
from contextgraph.resolvers.journeys.tasks import TaskView


def _journey(record: JourneyRecord, body: dict[str, Any]) -> dict[str, Any]:
    if record.est_duration is not None:
        body["est_duration"] = record.est_duration
    body["started"] = record.started
    completed = record.completed  # decoded once: a tree's 850 events are most of its JSON work
    if completed is not None:
        body["completed"] = completed
        body["duration"] = record.duration
        if record.disposition is not None:
            body["disposition"] = record.disposition
        if record.disposition_desc is not None:
            body["disposition_desc"] = record.disposition_desc
    return body


def _with(body: dict[str, Any], extensions: dict[str, Any] | None) -> dict[str, Any]:
    """The body with its extensions (a fresh body: added in place, not copied)."""
    if extensions:
        body.update(extensions)
    return body


def _split(
    body: dict[str, Any], name: str, items: list[Any] | None, active: bool, completed: bool, render: Any
) -> None:
    if items is None:
        return
    if active:
        body[f"active_{name}"] = [render(i) for i in items if i.active]
    if completed:
        body[f"completed_{name}"] = [render(i) for i in items if not i.active]


def task(view: TaskView | TaskRecord) -> dict[str, Any]:
    if isinstance(view, TaskRecord):
        view = TaskView(view)
    record = view.task
    body: dict[str, Any] = {"service_id": record.service_id, "task_id": record.id, "task_type": record.type_value}
    if record.state_id is not None:
        body["state_id"] = record.state_id
    if view.customer_id is not None:
        body["customer_id"] = view.customer_id
    _journey(record, body)
    return _with(body, view.extensions)


def state(tree: StateTree, active_tasks: bool = False, completed_tasks: bool = False) -> dict[str, Any]:
    record: StateRecord = tree.state
    body: dict[str, Any] = {"service_id": record.service_id, "state_id": record.id, "state_type": record.type_value}
    if tree.customer_id is not None:
        body["customer_id"] = tree.customer_id
    _journey(record, body)
    _split(body, "tasks", tree.tasks, active_tasks, completed_tasks, task)
    return _with(body, tree.extensions)


def service(tree: ServiceTree, include: Include) -> dict[str, Any]:
    record: ServiceRecord = tree.service
    body: dict[str, Any] = {"service_id": record.id, "service_type": record.type_value}
    if record.customer_id is not None:
        body["customer_id"] = record.customer_id
    if record.contact_key is not None:
        body["contact_key"] = record.contact_key
    _journey(record, body)
    _split(body, "states", tree.states, include.active_states, include.completed_states, lambda s: state(StateTree(s)))
    _split(body, "tasks", tree.tasks, include.active_tasks, include.completed_tasks, task)
    return _with(body, tree.extensions)
