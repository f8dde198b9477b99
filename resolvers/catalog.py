"""The catalog: every operation of Context Graph, each declared once where its rule lives
(resolvers/operation.py says what a declaration holds). REST routes and GraphQL fields bind to
these entries; `/openapi.json`, `GET /metadata/roles`, the README's table of roles and the tests
that every route and field is bound all read this list.
"""

from __future__ import annotations

from contextgraph.resolvers import documents, interactions, system
from contextgraph.resolvers.extensions import schemas
from contextgraph.resolvers.journeys import composite, extension_records, follow, services, states, tasks
from contextgraph.resolvers.operation import Operation
from contextgraph.resolvers.profiles import bulk_import, identification, merge, profiles
from contextgraph.resolvers.profiles import extension_records as profile_extensions

OPERATIONS: tuple[Operation, ...] = (  # type: ignore[type-arg]
    system.server_status,
    system.set_server_mode,
    system.metadata_index,
    system.reload_metadata,
    system.profile_schema,
    system.business_attributes,
    system.roles,
    documents.add_trusted_documents,
    documents.read_trusted_documents,
    documents.remove_trusted_document,
    schemas.create_schemas,
    schemas.describe_schemas,
    schemas.describe_schema,
    schemas.delete_schema,
    identification.create_key,
    identification.describe_keys,
    identification.describe_key,
    identification.delete_key,
    profiles.create_profile,
    profiles.get_profile,
    profiles.update_profile,
    profiles.delete_profile,
    profiles.identify,
    merge.merge_profiles,
    bulk_import.import_profiles,
    profile_extensions.insert_profile_extensions,
    profile_extensions.REPLACE,
    profile_extensions.UPDATE,
    profile_extensions.DELETE,
    profile_extensions.read_profile_extensions,
    services.start_service,
    services.associate_service,
    services.complete_service,
    services.get_service,
    services.customer_services,
    services.anonymous_services,
    states.start_state,
    states.complete_state,
    states.transition,
    states.service_states,
    states.get_state,
    tasks.start_task,
    tasks.complete_task,
    tasks.service_tasks,
    tasks.get_task,
    composite.composite_start,
    follow.follow_journey,
    *extension_records.REPLACE.values(),
    *extension_records.UPDATE.values(),
    *extension_records.DELETE.values(),
    *extension_records.READ.values(),
    interactions.record_interaction,
    interactions.get_interaction,
    interactions.get_content,
    interactions.customer_interactions,
    interactions.service_interactions,
)

CATALOG: dict[str, Operation] = {op.name: op for op in OPERATIONS}  # type: ignore[type-arg]
assert len(CATALOG) == len(OPERATIONS), "two operations share a name"
