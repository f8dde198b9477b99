"""Server and metadata operations: the server's status and mode, the metadata index and cache, the
profile schema, business attributes and roles (spec/004 "Server Operations", "Schema Operations").
"""

from __future__ import annotations

from typing import Any

from contextgraph.resolvers.access.keys import describe_roles
from contextgraph.resolvers.context import Context
from contextgraph.resolvers.operation import Input, NoInput, operation


class ServerMode(Input):
    mode: Any  # checked by the server runtime: production or maintenance, any case


class BusinessAttributeQuery(Input):
    name: str | None = None
    cv_attribute: str | None = None


# The metadata resources `GET /metadata` lists, by their documented titles.
METADATA_RESOURCES = {
    "Profiles Schema": "/metadata/profiles",
    "Profiles Extensions": "/metadata/profiles/extensions",
    "Services Extensions": "/metadata/services/extensions",
    "States Extensions": "/metadata/states/extensions",
    "Tasks Extensions": "/metadata/tasks/extensions",
    "identification-keys schemas": "/metadata/identification-keys",
    "business-attributes mapping": "/metadata/business-attributes",
    "roles": "/metadata/roles",
}


@operation("serverStatus", tasks=("UCS.SystemMgt.readServerInfo",), input=NoInput)
async def server_status(ctx: Context, input: NoInput) -> dict[str, Any]:
    """The server status: version, mode, memory, today's counters."""
    return await ctx.server.status()


@operation("setServerMode", tasks=("UCS.SystemMgt.changeServerMode",), input=ServerMode)
async def set_server_mode(ctx: Context, input: ServerMode) -> str:
    """Switch the server mode: production or maintenance; answers the new mode."""
    return await ctx.server.set_mode(input.mode)


@operation("readMetadataIndex", tasks=("UCS.SchemaMgt.readProfileSchema",), input=NoInput)
async def metadata_index(ctx: Context, input: NoInput) -> dict[str, str]:
    """The available metadata resources and their paths."""
    return dict(METADATA_RESOURCES)


@operation("reloadMetadata", tasks=("UCS.SchemaMgt.handleMetadata",), input=NoInput)
async def reload_metadata(ctx: Context, input: NoInput) -> None:
    """Reload the extension schemas and identification keys from the database now."""
    await ctx.reload_metadata()


@operation("readProfileSchema", tasks=("UCS.SchemaMgt.readProfileSchema",), input=NoInput)
async def profile_schema(ctx: Context, input: NoInput) -> list[dict[str, Any]]:
    """The profile attribute schema."""
    return ctx.profile_schema.describe()


@operation("readBusinessAttributes", tasks=("UCS.SchemaMgt.readBusinessAttribute",), input=BusinessAttributeQuery)
async def business_attributes(ctx: Context, input: BusinessAttributeQuery) -> Any:
    """Business attributes: all, one by name, or the one behind a field (`Service.media_type`)."""
    return ctx.business.describe(input.name, input.cv_attribute)


@operation("readRoles", tasks=("UCS.SchemaMgt.readGenAdminRole",), input=NoInput)
async def roles(ctx: Context, input: NoInput) -> list[dict[str, Any]]:
    """The roles (API keys) and the tasks each may perform."""
    return await describe_roles(ctx.db)
