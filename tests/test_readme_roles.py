"""The README's table of roles is the catalog's: every REST operation and GraphQL field, by the task
it needs. `python -m tests.test_readme_roles` prints the table to paste after a change."""

from __future__ import annotations

import re
from pathlib import Path

from contextgraph.compat_rest.routes import BINDINGS
from contextgraph.resolvers.access.roles import TASKS, extension_task
from contextgraph.schema.binding import binding_of
from tests.test_catalog import _KINDS, _fields, _schema

README = Path(__file__).parents[1] / "README.md"


def _alias(path: str) -> bool:
    """The singular `/state/`, `/task/` and the `/active`, `/completed` forms share their path's role."""
    return bool(re.search(r"/(state|task)(/|$)", path)) or path.endswith(("/active", "/completed"))


def _more(doc: str) -> tuple[str, str] | None:
    """(the role, when) of an operation's `more_tasks_doc`, where it names one role."""
    task, _, when = doc.partition(" ")
    return (task, when) if task in TASKS else None


def table() -> str:
    rest: dict[str, list[str]] = {task: [] for task in TASKS}
    for binding in BINDINGS:
        if not _alias(binding.path):
            shown = f"`{binding.method} {binding.path.replace(':int', '')}`"
            for task in binding.tasks():
                rest[task].append(shown)
            if (more := _more(binding.operation.more_tasks_doc)) is not None:
                rest[more[0]].append(f"{shown} {more[1]}")
    graphql: dict[str, list[str]] = {task: [] for task in TASKS}
    for type_name, name, field in _fields(_schema()):
        binding = binding_of(field.metadata)
        if binding is None or (type_name.endswith("Extensions") and type_name not in ("Query", "Mutation")):
            continue  # the fields of an extensions container share the container's role
        for key, op in binding.operations.items():
            shown = f"{type_name}.{name}" + (f"({key})" if binding.by is not None else "")
            needs = (
                [op.tasks]
                if binding.input is None
                else [op.needs(op.input.model_construct(kind=kind)) for kind in _KINDS]
            )
            for tasks, kind in zip(needs, _KINDS if binding.input is not None else (None,), strict=False):
                for task in tasks:
                    graphql[task].append(f"`{shown}({kind})`" if kind else f"`{shown}`")
            if (more := _more(op.more_tasks_doc)) is not None:
                graphql[more[0]].append(f"`{shown}` {more[1]}")
    for kind in _KINDS:  # checked where extension values are checked (extensions/values.check_extensions)
        rest[extension_task("create", kind)].append("extension values in create/start bodies")
        rest[extension_task("update", kind)].append("extension values in update/end bodies")
    lines = ["| role (task) | REST | GraphQL |", "|---|---|---|"]
    for task in TASKS:
        lines.append(
            f"| `{task}` | {', '.join(dict.fromkeys(rest[task]))} | {', '.join(dict.fromkeys(graphql[task]))} |"
        )
    return "\n".join(lines)


def test_the_readme_table_of_roles_is_current() -> None:
    assert table() in README.read_text(), "README's roles table is stale: python -m tests.test_readme_roles"


def test_every_task_is_some_operation_s_role() -> None:
    rows = table().splitlines()[2:]
    assert len(rows) == len(TASKS)
    assert all(not row.endswith("|  |  |") for row in rows), [r for r in rows if r.endswith("|  |  |")]


if __name__ == "__main__":
    print(table())
