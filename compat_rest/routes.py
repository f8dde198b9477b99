"""Every documented REST path, bound to its catalog operation; served at `/` and under
`/genesys/1/cs` by the app factory.

The documents spell some paths `/state/`, `/task/` and others `/states/`, `/tasks/`: both work.
A row names the operation (whose declaration holds its role and its input) and the handler that
translates the request and the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.routing import BaseRoute, Route

from contextgraph.compat_rest import extensions, interactions, metadata, profiles, server, services, states, tasks
from contextgraph.compat_rest.binding import Binding
from contextgraph.resolvers import interactions as interaction_ops
from contextgraph.resolvers import system
from contextgraph.resolvers.extensions import schemas
from contextgraph.resolvers.journeys import composite
from contextgraph.resolvers.journeys import extension_records as journey_extensions
from contextgraph.resolvers.journeys import services as service_ops
from contextgraph.resolvers.journeys import states as state_ops
from contextgraph.resolvers.journeys import tasks as task_ops
from contextgraph.resolvers.profiles import bulk_import, identification, merge
from contextgraph.resolvers.profiles import extension_records as profile_extensions
from contextgraph.resolvers.profiles import profiles as profile_ops

SERVICE = "/services/{service_id:int}"
STATUSES = ("", "/active", "/completed")
_CONTENTS = (("plain_text", "text"), ("structured_text", "structured_text"), ("binary_content", "binary_content"))


def _bindings() -> list[Binding]:
    table = [
        Binding("GET", "/server/status", system.server_status, server.server_status, anonymous=server.readiness),
        Binding("POST", "/server/mode", system.set_server_mode, server.server_mode),
        Binding("POST", "/services_composite/start", composite.composite_start, server.composite_start),
        Binding("POST", "/profiles", profile_ops.create_profile, profiles.create_profile),
        Binding("GET", "/profiles", profile_ops.identify, profiles.identify),
        Binding("POST", "/profiles/import", bulk_import.import_profiles, profiles.import_profiles),
        Binding("GET", "/profiles/{customer_id}", profile_ops.get_profile, profiles.get_profile),
        Binding("PUT", "/profiles/{customer_id}", profile_ops.update_profile, profiles.update_profile),
        Binding("DELETE", "/profiles/{customer_id}", profile_ops.delete_profile, profiles.delete_profile),
        Binding("PUT", "/profiles/{customer_id}/merge/{src_id}", merge.merge_profiles, profiles.merge_profiles),
        Binding("POST", "/metadata/identification-keys", identification.create_key, profiles.create_key),
        Binding("GET", "/metadata/identification-keys", identification.describe_keys, profiles.list_keys),
        Binding("GET", "/metadata/identification-keys/{name}", identification.describe_key, profiles.get_key),
        Binding("DELETE", "/metadata/identification-keys/{name}", identification.delete_key, profiles.delete_key),
        Binding("GET", "/metadata/profiles", system.profile_schema, profiles.profile_schema),
        Binding("POST", "/services/start", service_ops.start_service, services.start_service),
        Binding(
            "POST",
            "/customers/{customer_id}/services/{service_id:int}",
            service_ops.associate_service,
            services.associate_service,
        ),
        Binding("POST", f"{SERVICE}/end", service_ops.complete_service, services.complete_service),
        Binding("GET", SERVICE, service_ops.get_service, services.get_service),
        Binding("POST", "/interactions", interaction_ops.record_interaction, interactions.record),
        Binding("GET", "/interactions/{interaction_id}", interaction_ops.get_interaction, interactions.get_one),
        *(
            Binding(
                "GET",
                f"/interactions/{{interaction_id}}/{path}",
                interaction_ops.get_content,
                interactions.content,
                {"content": content},
            )
            for path, content in _CONTENTS
        ),
        Binding(
            "GET",
            "/customers/{customer_id}/interactions",
            interaction_ops.customer_interactions,
            interactions.of_customer,
        ),
        Binding("GET", f"{SERVICE}/interactions", interaction_ops.service_interactions, interactions.of_service),
        Binding("GET", "/metadata", system.metadata_index, metadata.index),
        Binding("PUT", "/metadata/cache", system.reload_metadata, metadata.reload_cache),
        Binding("GET", "/metadata/business-attributes", system.business_attributes, metadata.business_attributes),
        Binding(
            "GET", "/metadata/business-attributes/{name}", system.business_attributes, metadata.business_attributes
        ),
        Binding("GET", "/metadata/roles", system.roles, metadata.roles),
        Binding(
            "POST",
            "/profiles/{customer_id}/extensions",
            profile_extensions.insert_profile_extensions,
            extensions.insert_profile_extensions,
        ),
    ]
    for kind, word in metadata.WORDS.items():
        base, one, fixed = f"/metadata/{word}/extensions", f"/metadata/{word}/extensions/{{name}}", {"kind": kind}
        table += [
            Binding("POST", base, schemas.create_schemas, metadata.create_schemas, fixed),
            Binding("GET", base, schemas.describe_schemas, metadata.list_schemas, fixed),
            Binding("GET", one, schemas.describe_schema, metadata.get_schema, fixed),
            Binding("DELETE", one, schemas.delete_schema, metadata.delete_schema, fixed),
        ]
    table += [
        Binding(
            "PUT",
            "/profiles/{customer_id}/extensions/{name}/by/unique",
            profile_extensions.UPDATE,
            extensions.update_by_unique,
        ),
        Binding(
            "PUT",
            "/profiles/{customer_id}/extensions/{name}/delete/by/unique",
            profile_extensions.DELETE,
            extensions.delete_by_unique,
        ),
    ]
    owners = [("service", SERVICE)]
    owners += [("state", f"{SERVICE}/{word}/{{state_id:int}}") for word in ("states", "state")]
    owners += [("task", f"{SERVICE}/{word}/{{task_id:int}}") for word in ("tasks", "task")]
    for kind, owner in owners:
        table += [
            Binding("PUT", f"{owner}/extensions/{{name}}", journey_extensions.REPLACE[kind], extensions.replace),
            Binding(
                "PUT",
                f"{owner}/extensions/{{name}}/by/unique",
                journey_extensions.UPDATE[kind],
                extensions.update_by_unique,
            ),
            Binding(
                "PUT",
                f"{owner}/extensions/{{name}}/delete/by/unique",
                journey_extensions.DELETE[kind],
                extensions.delete_by_unique,
            ),
        ]
    for suffix in STATUSES:
        table += [
            Binding(
                "GET",
                f"/services/anonymous/{{contact_key}}{suffix}",
                service_ops.anonymous_services,
                services.anonymous_services,
            ),
            Binding(
                "GET",
                f"/customers/{{customer_id}}/services{suffix}",
                service_ops.customer_services,
                services.customer_services,
            ),
        ]
    for word in ("states", "state"):
        base, one = f"{SERVICE}/{word}", f"{SERVICE}/{word}/{{state_id:int}}"
        table += [
            Binding("POST", f"{base}/start", state_ops.start_state, states.start_state),
            Binding("POST", f"{base}/transition", state_ops.transition, states.transition),
            Binding("POST", f"{one}/end", state_ops.complete_state, states.complete_state),
            Binding("GET", one, state_ops.get_state, states.get_state),
            *(Binding("GET", base + s, state_ops.service_states, states.service_states) for s in STATUSES),
        ]
    for word in ("tasks", "task"):
        base, one = f"{SERVICE}/{word}", f"{SERVICE}/{word}/{{task_id:int}}"
        table += [
            Binding("POST", f"{base}/start", task_ops.start_task, tasks.start_task),
            Binding("POST", f"{one}/end", task_ops.complete_task, tasks.complete_task),
            Binding("GET", one, task_ops.get_task, tasks.get_task),
            *(Binding("GET", base + s, task_ops.service_tasks, tasks.service_tasks) for s in STATUSES),
        ]
    return table


BINDINGS = _bindings()


def route_roles() -> list[tuple[str, str, tuple[str, ...]]]:
    """Every documented operation with the roles it always needs, for the README and the tests."""
    return [(b.method, b.path, b.tasks()) for b in BINDINGS]


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
    for binding in BINDINGS:
        path = binding.path
        routes.setdefault(path, {})[binding.method] = _with_status(path, binding.endpoint)
        # Tolerate the trailing slash some documented examples use (`POST /profiles/`).
        if not path.endswith("}"):
            routes.setdefault(path + "/", {})[binding.method] = routes[path][binding.method]
    result: list[BaseRoute] = []
    for path, by_method in routes.items():
        if len(by_method) == 1:
            ((method, endpoint),) = by_method.items()
            result.append(Route(path, endpoint, methods=[method]))
        else:
            result.append(Route(path, _dispatch(by_method), methods=list(by_method)))
    return result


def _dispatch(by_method: dict[str, Callable[..., Any]]) -> Callable[..., Any]:
    async def dispatch(request: Any) -> Any:
        return await by_method[request.method](request)

    return dispatch
