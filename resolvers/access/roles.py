"""The role (task) names of Context Services, one per operation, and the one check of them.

The documents name some (UCS.Customer.createProfile, UCS.Service.startService,
UCS.SchemaMgt.handleMetadata, UCS.SystemMgt.changeServerMode, UCS.Customer.executeBulkImport, …);
the others follow the same pattern so that every operation has exactly one. An API key holds a set
of them; `Principal.require(task)` is where every REST operation and GraphQL field is checked.
`GET /metadata/roles` lists the keys as roles (resolvers/keys.describe_roles).
"""

from __future__ import annotations

from dataclasses import dataclass

from contextgraph.resolvers.errors import Forbidden

# Prefixes of the task names, for the tables that map operations to them.
CUSTOMER, SERVICE, SCHEMA, SYSTEM, INTERACTION = (
    "UCS.Customer.",
    "UCS.Service.",
    "UCS.SchemaMgt.",
    "UCS.SystemMgt.",
    "UCS.Interaction.",
)

TASKS: tuple[str, ...] = (
    "UCS.Customer.createProfile",
    "UCS.Customer.readProfile",
    "UCS.Customer.updateProfile",
    "UCS.Customer.deleteProfile",
    "UCS.Customer.mergeProfile",
    "UCS.Customer.identifyCustomer",
    "UCS.Customer.createProfileExtension",
    "UCS.Customer.readProfileExtension",
    "UCS.Customer.updateProfileExtension",
    "UCS.Customer.deleteProfileExtension",
    "UCS.Customer.executeBulkImport",
    "UCS.Service.startService",
    "UCS.Service.associateService",
    "UCS.Service.completeService",
    "UCS.Service.readService",
    "UCS.Service.startState",
    "UCS.Service.completeState",
    "UCS.Service.transitionState",
    "UCS.Service.readState",
    "UCS.Service.startTask",
    "UCS.Service.completeTask",
    "UCS.Service.readTask",
    "UCS.Service.createServiceExtension",
    "UCS.Service.readServiceExtension",
    "UCS.Service.updateServiceExtension",
    "UCS.Service.deleteServiceExtension",
    "UCS.Service.createStateExtension",
    "UCS.Service.readStateExtension",
    "UCS.Service.updateStateExtension",
    "UCS.Service.deleteStateExtension",
    "UCS.Service.createTaskExtension",
    "UCS.Service.readTaskExtension",
    "UCS.Service.updateTaskExtension",
    "UCS.Service.deleteTaskExtension",
    "UCS.Interaction.recordInteraction",
    "UCS.Interaction.readInteraction",
    "UCS.SchemaMgt.handleMetadata",
    "UCS.SchemaMgt.readProfileSchema",
    "UCS.SchemaMgt.readProfileExtensionSchema",
    "UCS.SchemaMgt.readServiceExtensionSchema",
    "UCS.SchemaMgt.readStateExtensionSchema",
    "UCS.SchemaMgt.readTaskExtensionSchema",
    "UCS.SchemaMgt.readIdentificationKey",
    "UCS.SchemaMgt.readBusinessAttribute",
    "UCS.SchemaMgt.readGenAdminRole",
    "UCS.SystemMgt.readServerInfo",
    "UCS.SystemMgt.changeServerMode",
)

_KIND_WORD = {
    "profile": ("Customer", "Profile"),
    "service": ("Service", "Service"),
    "state": ("Service", "State"),
    "task": ("Service", "Task"),
}


def extension_task(action: str, kind: str) -> str:
    """`extension_task("update", "state")` → UCS.Service.updateStateExtension."""
    group, word = _KIND_WORD[kind]
    return f"UCS.{group}.{action}{word}Extension"


def extension_schema_task(kind: str) -> str:
    """The task that reads the extension schemas of one owner kind."""
    return f"UCS.SchemaMgt.read{_KIND_WORD[kind][1]}ExtensionSchema"


@dataclass(frozen=True)
class Principal:
    """Who is asking: an API key's id, name and tasks."""

    key_id: str
    name: str
    tasks: frozenset[str]

    @classmethod
    def operator(cls) -> Principal:
        """The operator at the command line (`contextgraph import-profiles`): every task."""
        return cls("operator", "operator", frozenset(TASKS))

    @property
    def is_operator(self) -> bool:
        return self.key_id == "operator"  # API key ids are hex or "bootstrap": never this

    def require(self, *tasks: str) -> None:
        """Refuse (403) unless the key holds every one of `tasks`."""
        missing = [task for task in tasks if task not in self.tasks]
        if missing:
            raise Forbidden(f"the API key '{self.name}' lacks the role {', '.join(missing)}")
