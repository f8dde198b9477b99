"""Every documented REST path, served at `/` and under `/genesys/1/cs` by the app factory.

The documents spell some paths `/state/`, `/task/` and others `/states/`, `/tasks/`: both work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from contextgraph.compat_rest import extensions, interactions, metadata, profiles, server, services, states, tasks
from contextgraph.compat_rest.http import flag
from contextgraph.resolvers.access.keys import require_principal
from contextgraph.resolvers.access.roles import CUSTOMER as C
from contextgraph.resolvers.access.roles import INTERACTION as IA
from contextgraph.resolvers.access.roles import SCHEMA as M
from contextgraph.resolvers.access.roles import SERVICE as S
from contextgraph.resolvers.access.roles import SYSTEM as Y
from contextgraph.resolvers.access.roles import extension_schema_task, extension_task


class _Kinds(Convertor[str]):
    """The owner kinds of extension schemas in metadata paths."""

    regex = "profiles|services|states|tasks"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("kinds", _Kinds())

SERVICE = "/services/{service_id:int}"
STATUSES = ("", "/active", "/completed")

Endpoint = Callable[..., Any]
# A route's role: fixed task names, or a function of the request (the owner kind in the path).
Tasks = tuple[str, ...] | Callable[[Request], tuple[str, ...]]


def _kind_tasks(action: str) -> Callable[[Request], tuple[str, ...]]:
    """The extension task of the owner kind a path names (`/services/1/states/2/extensions/x`)."""

    def tasks(request: Request) -> tuple[str, ...]:
        return (extension_task(action, _owner_kind(request)),)

    return tasks


def _schema_tasks(request: Request) -> tuple[str, ...]:
    return (extension_schema_task(request.path_params["kinds"][:-1]),)


_COLLECTIONS = {"profiles": "profile", "customers": "profile", "services": "service", "states": "state",
                "state": "state", "tasks": "task", "task": "task"}  # fmt: skip


def _owner_kind(request: Request) -> str:
    """Whose extensions a path names: its last collection before any `/extensions/{name}`
    (`/services/1/states/active` → state, `/customers/C/services` → service).
    """
    path = request.scope["path"].split("/extensions", 1)[0]
    for segment in reversed(path.strip("/").split("/")):
        if segment in _COLLECTIONS:
            return _COLLECTIONS[segment]
    return "profile"


def _routes() -> list[tuple[str, str, Endpoint, Tasks]]:
    table: list[tuple[str, str, Endpoint, Tasks]] = [
        ("GET", "/server/status", server.server_status, (Y + "readServerInfo",)),
        ("POST", "/server/mode", server.server_mode, (Y + "changeServerMode",)),
        ("POST", "/services_composite/start", server.composite_start, (S + "startService", S + "startState")),
        ("POST", "/profiles", profiles.create_profile, (C + "createProfile",)),
        ("GET", "/profiles", profiles.identify, (C + "identifyCustomer",)),
        ("POST", "/profiles/import", profiles.import_profiles, (C + "executeBulkImport", C + "createProfile")),
        ("GET", "/profiles/{customer_id}", profiles.get_profile, (C + "readProfile",)),
        ("PUT", "/profiles/{customer_id}", profiles.update_profile, (C + "updateProfile",)),
        ("DELETE", "/profiles/{customer_id}", profiles.delete_profile, (C + "deleteProfile",)),
        ("PUT", "/profiles/{customer_id}/merge/{src_id}", profiles.merge_profiles, (C + "mergeProfile",)),
        ("POST", "/metadata/identification-keys", profiles.create_key, (M + "handleMetadata",)),
        ("GET", "/metadata/identification-keys", profiles.list_keys, (M + "readIdentificationKey",)),
        ("GET", "/metadata/identification-keys/{name}", profiles.get_key, (M + "readIdentificationKey",)),
        ("DELETE", "/metadata/identification-keys/{name}", profiles.delete_key, (M + "handleMetadata",)),
        ("GET", "/metadata/profiles", profiles.profile_schema, (M + "readProfileSchema",)),
        ("POST", "/services/start", services.start_service, (S + "startService",)),
        ("POST", "/customers/{customer_id}/services/{service_id:int}", services.associate_service,
         (S + "associateService",)),
        ("POST", f"{SERVICE}/end", services.complete_service, (S + "completeService",)),
        ("GET", SERVICE, services.get_service, (S + "readService",)),
        ("POST", "/interactions", interactions.record, (IA + "recordInteraction",)),
        ("GET", "/interactions/{interaction_id}", interactions.get_one, (IA + "readInteraction",)),
        ("GET", "/interactions/{interaction_id}/plain_text", interactions.content("text"), (IA + "readInteraction",)),
        ("GET", "/interactions/{interaction_id}/structured_text", interactions.content("structured_text"),
         (IA + "readInteraction",)),
        ("GET", "/interactions/{interaction_id}/binary_content", interactions.content("binary_content"),
         (IA + "readInteraction",)),
        ("GET", "/customers/{customer_id}/interactions", interactions.of_customer, (IA + "readInteraction",)),
        ("GET", f"{SERVICE}/interactions", interactions.of_service, (IA + "readInteraction",)),
        ("GET", "/metadata", metadata.index, (M + "readProfileSchema",)),
        ("PUT", "/metadata/cache", metadata.reload_cache, (M + "handleMetadata",)),
        ("GET", "/metadata/business-attributes", metadata.business_attributes, (M + "readBusinessAttribute",)),
        ("GET", "/metadata/business-attributes/{name}", metadata.business_attributes, (M + "readBusinessAttribute",)),
        ("GET", "/metadata/roles", metadata.roles, (M + "readGenAdminRole",)),
        ("POST", "/metadata/{kinds:kinds}/extensions", metadata.create_schemas, (M + "handleMetadata",)),
        ("GET", "/metadata/{kinds:kinds}/extensions", metadata.list_schemas, _schema_tasks),
        ("GET", "/metadata/{kinds:kinds}/extensions/{name}", metadata.get_schema, _schema_tasks),
        ("DELETE", "/metadata/{kinds:kinds}/extensions/{name}", metadata.delete_schema, (M + "handleMetadata",)),
        ("POST", "/profiles/{customer_id}/extensions", extensions.insert_profile_extensions,
         (C + "createProfileExtension",)),
    ]
    owners = ["/profiles/{customer_id}", SERVICE]
    owners += [f"{SERVICE}/{word}/{{state_id:int}}" for word in ("states", "state")]
    owners += [f"{SERVICE}/{word}/{{task_id:int}}" for word in ("tasks", "task")]
    for owner in owners:
        if owner != "/profiles/{customer_id}":
            table.append(("PUT", f"{owner}/extensions/{{name}}", extensions.replace, _kind_tasks("update")))
        table += [
            ("PUT", f"{owner}/extensions/{{name}}/by/unique", extensions.update_by_unique, _kind_tasks("update")),
            ("PUT", f"{owner}/extensions/{{name}}/delete/by/unique", extensions.delete_by_unique,
             _kind_tasks("delete")),
        ]
    for suffix in STATUSES:
        table += [
            ("GET", f"/services/anonymous/{{contact_key}}{suffix}", services.anonymous_services, (S + "readService",)),
            ("GET", f"/customers/{{customer_id}}/services{suffix}", services.customer_services, (S + "readService",)),
        ]
    for plural, singular in (("states", "state"), ("tasks", "task")):
        for word in (plural, singular):
            base = f"{SERVICE}/{word}"
            one = f"{base}/{{{singular}_id:int}}"
            if plural == "states":
                table += [
                    ("POST", f"{base}/start", states.start_state, (S + "startState",)),
                    ("POST", f"{base}/transition", states.transition, (S + "transitionState",)),
                    ("POST", f"{one}/end", states.complete_state, (S + "completeState",)),
                    ("GET", one, states.get_state, (S + "readState",)),
                ]
                table += [("GET", base + s, states.service_states, (S + "readState",)) for s in STATUSES]
            else:
                table += [
                    ("POST", f"{base}/start", tasks.start_task, (S + "startTask",)),
                    ("POST", f"{one}/end", tasks.complete_task, (S + "completeTask",)),
                    ("GET", one, tasks.get_task, (S + "readTask",)),
                ]
                table += [("GET", base + s, tasks.service_tasks, (S + "readTask",)) for s in STATUSES]
    return table


def route_roles() -> list[tuple[str, str, Tasks]]:
    """Every documented operation with its role, for the README table and the role tests."""
    return [(method, path, tasks) for method, path, _endpoint, tasks in _routes()]


def _read_tasks(request: Request) -> tuple[str, ...]:
    """What a GET's query asks to include beyond the resource: states, tasks, extension records."""
    query = request.query_params
    wanted: list[str] = []
    states = any(flag(request, f) for f in ("active_states", "completed_states"))  # the handlers' own parse
    tasks_ = any(flag(request, f) for f in ("active_tasks", "completed_tasks"))
    if states:
        wanted.append(S + "readState")
    if tasks_:
        wanted.append(S + "readTask")
    if query.get("extensions"):
        kind = _owner_kind(request)
        wanted.append(extension_task("read", kind))
        if kind == "service":
            wanted += [extension_task("read", k) for k, on in (("state", states), ("task", tasks_)) if on]
    return tuple(wanted)


def _guarded(method: str, tasks: Tasks, endpoint: Endpoint) -> Endpoint:
    """The endpoint behind its role check: 401 without a key, 403 without the role."""

    async def guarded(request: Request) -> Any:
        principal = request.scope["state"].get("principal")
        if principal is None and endpoint is server.server_status:
            return await server.readiness(request)
        needed = tasks(request) if callable(tasks) else tasks
        require_principal(principal).require(*needed, *(_read_tasks(request) if method == "GET" else ()))
        return await endpoint(request)

    return guarded


def _with_status(path: str, endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """`/x/active` and `/x/completed` hand the status to the endpoint as a path parameter."""
    for status in ("active", "completed"):
        if path.endswith(f"/{status}"):

            async def with_status(request: Any, _status: str = status) -> Any:
                request.path_params["status"] = _status
                return await endpoint(request)

            return with_status
    return endpoint


def rest_routes() -> list[BaseRoute]:
    routes: dict[str, dict[str, Callable[..., Any]]] = {}
    for method, path, endpoint, needed in _routes():
        routes.setdefault(path, {})[method] = _guarded(method, needed, _with_status(path, endpoint))
        # Tolerate the trailing slash some documented examples use (`POST /profiles/`).
        if not path.endswith("}"):
            routes.setdefault(path + "/", {})[method] = routes[path][method]
    result: list[BaseRoute] = []
    for path, by_method in routes.items():
        if len(by_method) == 1:
            (method, endpoint), = by_method.items()
            result.append(Route(path, endpoint, methods=[method]))
        else:
            result.append(Route(path, _dispatch(by_method), methods=list(by_method)))
    return result


def _dispatch(by_method: dict[str, Callable[..., Any]]) -> Callable[..., Any]:
    async def dispatch(request: Any) -> Any:
        return await by_method[request.method](request)

    return dispatch
