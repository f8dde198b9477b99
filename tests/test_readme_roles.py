"""The README's table of roles is the code's: every REST operation and GraphQL field, by the task it
needs. `python -m tests.test_readme_roles` prints the table to paste after a change."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.requests import Request

from contextgraph.compat_rest.routes import route_roles
from contextgraph.resolvers.access.roles import TASKS, extension_task
from contextgraph.schema.guard import FIELD_TASKS

README = Path(__file__).parents[1] / "README.md"
KINDS = ("profile", "service", "state", "task")


def _alias(path: str) -> bool:
    """The singular `/state/`, `/task/` and the `/active`, `/completed` forms share their path's role."""
    return bool(re.search(r"/(state|task)(/|$)", path)) or path.endswith(("/active", "/completed"))


def table() -> str:
    rest: dict[str, list[str]] = {task: [] for task in TASKS}
    for method, path, tasks in route_roles():
        if _alias(path):
            continue
        shown = path.replace(":int", "")
        if callable(tasks):
            names = re.findall(r"\{(\w+)", path)
            for kind in KINDS if "{kinds" in path else ("",):
                concrete = shown.replace("{kinds:kinds}", kind + "s")
                scope = {"type": "http", "path": concrete, "path_params": dict.fromkeys(names, kind + "s"), "query_string": b"", "headers": []}
                for task in tasks(Request(scope)):
                    rest[task].append(f"{method} {concrete}")
            continue
        for task in tasks:
            rest[task].append(f"{method} {shown}")
    graphql: dict[str, list[str]] = {task: [] for task in TASKS}
    for (type_name, field), rule in FIELD_TASKS.items():
        if callable(rule):
            for kind in KINDS:
                for task in rule({"kind": kind, "owner": {"kind": kind}}):
                    graphql[task].append(f"{type_name}.{field}({kind})")
        else:
            for task in rule:
                graphql[task].append(f"{type_name}.{field}")
    for kind in KINDS:  # checked where extension values are checked (resolvers/extensions.check_extensions)
        rest[extension_task("create", kind)].append("extension values in create/start bodies")
        rest[extension_task("update", kind)].append("extension values in update/end bodies")
    lines = ["| role (task) | REST | GraphQL |", "|---|---|---|"]
    for task in TASKS:
        shown = [r if r.startswith("extension values") else f"`{r}`" for r in rest[task]]
        lines.append(f"| `{task}` | {', '.join(shown)} | {', '.join(f'`{g}`' for g in graphql[task])} |")
    return "\n".join(lines)


def test_the_readme_table_of_roles_is_current() -> None:
    assert table() in README.read_text(), "README's roles table is stale: python -m tests.test_readme_roles"


def test_every_task_is_some_operation_s_role() -> None:
    rows = table().splitlines()[2:]
    assert len(rows) == len(TASKS)
    assert all(not row.endswith("|  |  |") for row in rows), [r for r in rows if r.endswith("|  |  |")]


if __name__ == "__main__":
    print(table())
