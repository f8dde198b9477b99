"""The role (task) names of Context Services, one per operation; `GET /metadata/roles` lists them.

The documents name some (UCS.Customer.createProfile, UCS.Service.startService,
UCS.SchemaMgt.handleMetadata, UCS.SystemMgt.changeServerMode, UCS.Customer.executeBulkImport, …);
the others follow the same pattern so that every operation has exactly one.
"""

from __future__ import annotations

from typing import Any

TASKS: tuple[str, ...] = (
    "UCS.Customer.createProfile", "UCS.Customer.readProfile", "UCS.Customer.updateProfile",
    "UCS.Customer.deleteProfile", "UCS.Customer.mergeProfile", "UCS.Customer.identifyCustomer",
    "UCS.Customer.createProfileExtension", "UCS.Customer.readProfileExtension",
    "UCS.Customer.updateProfileExtension", "UCS.Customer.deleteProfileExtension",
    "UCS.Customer.executeBulkImport",
    "UCS.Service.startService", "UCS.Service.associateService", "UCS.Service.completeService",
    "UCS.Service.readService", "UCS.Service.startState", "UCS.Service.completeState",
    "UCS.Service.transitionState", "UCS.Service.readState", "UCS.Service.startTask",
    "UCS.Service.completeTask", "UCS.Service.readTask",
    "UCS.Service.createServiceExtension", "UCS.Service.readServiceExtension",
    "UCS.Service.updateServiceExtension", "UCS.Service.deleteServiceExtension",
    "UCS.Service.createStateExtension", "UCS.Service.readStateExtension",
    "UCS.Service.updateStateExtension", "UCS.Service.deleteStateExtension",
    "UCS.Service.createTaskExtension", "UCS.Service.readTaskExtension",
    "UCS.Service.updateTaskExtension", "UCS.Service.deleteTaskExtension",
    "UCS.SchemaMgt.handleMetadata", "UCS.SchemaMgt.readProfileSchema",
    "UCS.SchemaMgt.readProfileExtensionSchema", "UCS.SchemaMgt.readServiceExtensionSchema",
    "UCS.SchemaMgt.readStateExtensionSchema", "UCS.SchemaMgt.readTaskExtensionSchema",
    "UCS.SchemaMgt.readIdentificationKey", "UCS.SchemaMgt.readBusinessAttribute",
    "UCS.SchemaMgt.readGenAdminRole",
    "UCS.SystemMgt.readServerInfo", "UCS.SystemMgt.changeServerMode",
)  # fmt: skip


def describe_roles() -> list[dict[str, Any]]:
    """The roles as "Query Metadata Roles" shows them. Until API keys carry roles (a later issue),
    the one built-in role can do every task.
    """
    tasks = [{"name": name, "capableOf": True} for name in TASKS]
    return [{"role_DBID": 1, "role_name": "contextgraph_all", "role_enabled": True, "tasks": tasks}]
