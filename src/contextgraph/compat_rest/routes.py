"""Every documented REST path, served at `/` and under `/genesys/1/cs` by the app factory.

The documents spell some paths `/state/`, `/task/` and others `/states/`, `/tasks/`: both work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.convertors import Convertor, register_url_convertor
from starlette.routing import BaseRoute, Route

from contextgraph.compat_rest import extensions, interactions, metadata, profiles, server, services, states, tasks


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


def _routes() -> list[tuple[str, str, Callable[..., Any]]]:
    table: list[tuple[str, str, Callable[..., Any]]] = [
        ("GET", "/server/status", server.server_status),
        ("POST", "/server/mode", server.server_mode),
        ("POST", "/services_composite/start", server.composite_start),
        ("POST", "/profiles", profiles.create_profile),
        ("GET", "/profiles", profiles.identify),
        ("POST", "/profiles/import", profiles.import_profiles),
        ("GET", "/profiles/{customer_id}", profiles.get_profile),
        ("PUT", "/profiles/{customer_id}", profiles.update_profile),
        ("DELETE", "/profiles/{customer_id}", profiles.delete_profile),
        ("PUT", "/profiles/{customer_id}/merge/{src_id}", profiles.merge_profiles),
        ("POST", "/metadata/identification-keys", profiles.create_key),
        ("GET", "/metadata/identification-keys", profiles.list_keys),
        ("GET", "/metadata/identification-keys/{name}", profiles.get_key),
        ("DELETE", "/metadata/identification-keys/{name}", profiles.delete_key),
        ("GET", "/metadata/profiles", profiles.profile_schema),
        ("POST", "/services/start", services.start_service),
        ("POST", "/customers/{customer_id}/services/{service_id:int}", services.associate_service),
        ("POST", f"{SERVICE}/end", services.complete_service),
        ("GET", SERVICE, services.get_service),
        ("POST", "/interactions", interactions.record),
        ("GET", "/interactions/{interaction_id}", interactions.get_one),
        ("GET", "/interactions/{interaction_id}/plain_text", interactions.content("text")),
        ("GET", "/interactions/{interaction_id}/structured_text", interactions.content("structured_text")),
        ("GET", "/interactions/{interaction_id}/binary_content", interactions.content("binary_content")),
        ("GET", "/customers/{customer_id}/interactions", interactions.of_customer),
        ("GET", f"{SERVICE}/interactions", interactions.of_service),
        ("GET", "/metadata", metadata.index),
        ("PUT", "/metadata/cache", metadata.reload_cache),
        ("GET", "/metadata/business-attributes", metadata.business_attributes),
        ("GET", "/metadata/business-attributes/{name}", metadata.business_attributes),
        ("GET", "/metadata/roles", metadata.roles),
        ("POST", "/metadata/{kinds:kinds}/extensions", metadata.create_schemas),
        ("GET", "/metadata/{kinds:kinds}/extensions", metadata.list_schemas),
        ("GET", "/metadata/{kinds:kinds}/extensions/{name}", metadata.get_schema),
        ("DELETE", "/metadata/{kinds:kinds}/extensions/{name}", metadata.delete_schema),
        ("POST", "/profiles/{customer_id}/extensions", extensions.insert_profile_extensions),
    ]
    owners = ["/profiles/{customer_id}", SERVICE]
    owners += [f"{SERVICE}/{word}/{{state_id:int}}" for word in ("states", "state")]
    owners += [f"{SERVICE}/{word}/{{task_id:int}}" for word in ("tasks", "task")]
    for owner in owners:
        if owner != "/profiles/{customer_id}":
            table.append(("PUT", f"{owner}/extensions/{{name}}", extensions.replace))
        table += [
            ("PUT", f"{owner}/extensions/{{name}}/by/unique", extensions.update_by_unique),
            ("PUT", f"{owner}/extensions/{{name}}/delete/by/unique", extensions.delete_by_unique),
        ]
    for suffix in STATUSES:
        table += [
            ("GET", f"/services/anonymous/{{contact_key}}{suffix}", services.anonymous_services),
            ("GET", f"/customers/{{customer_id}}/services{suffix}", services.customer_services),
        ]
    for plural, singular in (("states", "state"), ("tasks", "task")):
        for word in (plural, singular):
            base = f"{SERVICE}/{word}"
            one = f"{base}/{{{singular}_id:int}}"
            if plural == "states":
                table += [
                    ("POST", f"{base}/start", states.start_state),
                    ("POST", f"{base}/transition", states.transition),
                    ("POST", f"{one}/end", states.complete_state),
                    ("GET", one, states.get_state),
                ]
                table += [("GET", base + s, states.service_states) for s in STATUSES]
            else:
                table += [
                    ("POST", f"{base}/start", tasks.start_task),
                    ("POST", f"{one}/end", tasks.complete_task),
                    ("GET", one, tasks.get_task),
                ]
                table += [("GET", base + s, tasks.service_tasks) for s in STATUSES]
    return table


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
    for method, path, endpoint in _routes():
        routes.setdefault(path, {})[method] = _with_status(path, endpoint)
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
