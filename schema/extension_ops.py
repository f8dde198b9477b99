"""GraphQL for extension schemas and the dedicated extension operations (the REST Schema
Operations and the "Update … Extension" operations), through the same resolvers.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.extensions import schemas as metadata
from contextgraph.resolvers.journeys import extension_records as journey_records
from contextgraph.resolvers.profiles import extension_records as profile_records
from contextgraph.schema.loaders import loaders
from contextgraph.schema.scalars import Long


@strawberry.enum(description="What an extension belongs to.")
class ExtensionOwner(Enum):
    PROFILE = "profile"
    SERVICE = "service"
    STATE = "state"
    TASK = "task"


@strawberry.input(description="The customer, service, state or task whose extension is meant.")
class OwnerInput:
    kind: ExtensionOwner
    customer_id: str | None = None
    service_id: Long | None = None
    state_id: int | None = None
    task_id: int | None = None

    def key(self) -> tuple[str, tuple[Any, int | None]]:
        kind = self.kind.value
        needed = {"profile": ("customer_id",), "service": ("service_id",),
                  "state": ("service_id", "state_id"), "task": ("service_id", "task_id")}[kind]  # fmt: skip
        values = [getattr(self, name) for name in needed]
        for name, value in zip(needed, values, strict=True):
            if value is None:
                raise BadParameter(name, f"needed for a {kind} extension")
        return kind, (values[0], values[1] if len(values) > 1 else None)


@strawberry.type
class ExtensionQuery:
    @strawberry.field(description="The extension schemas of one kind, normalised (as GET /metadata/… shows them).")
    def extension_schemas(self, info: strawberry.Info, kind: ExtensionOwner) -> JSON:
        return JSON(metadata.describe_schemas(loaders(info).ctx, kind.value))


@strawberry.type
class ExtensionMutation:
    @strawberry.mutation(description="Create an extension schema; its typed fields appear in the graph at once.")
    async def create_extension_schema(self, info: strawberry.Info, kind: ExtensionOwner, schema: JSON) -> JSON:
        ctx = loaders(info).ctx
        (name,) = await metadata.create_schemas(ctx, kind.value, schema)
        return JSON(metadata.describe_schema(ctx, kind.value, name))

    @strawberry.mutation(description="Delete an extension schema and every record of it.")
    async def delete_extension_schema(self, info: strawberry.Info, kind: ExtensionOwner, name: str) -> bool:
        await metadata.delete_schema(loaders(info).ctx, kind.value, name)
        return True

    @strawberry.mutation(description="Replace an extension's value (an object, or an array when multi-valued).")
    async def replace_extension(self, info: strawberry.Info, owner: OwnerInput, name: str, value: JSON) -> bool:
        kind, key = owner.key()
        if kind == "profile":
            await profile_records.replace_extension(loaders(info).ctx, key[0], name, value)
        else:
            await journey_records.replace_extension(loaders(info).ctx, kind, key, name, value)
        return True

    @strawberry.mutation(description="Update the record its unique attributes name; they themselves stay.")
    async def update_extension_record(self, info: strawberry.Info, owner: OwnerInput, name: str, record: JSON) -> bool:
        kind, key = owner.key()
        if kind == "profile":
            await profile_records.update_record(loaders(info).ctx, key[0], name, record)
        else:
            await journey_records.update_record(loaders(info).ctx, kind, key, name, record)
        return True

    @strawberry.mutation(description="Delete the record its unique attributes name.")
    async def delete_extension_record(self, info: strawberry.Info, owner: OwnerInput, name: str, unique: JSON) -> bool:
        kind, key = owner.key()
        if kind == "profile":
            await profile_records.delete_record(loaders(info).ctx, key[0], name, unique)
        else:
            await journey_records.delete_record(loaders(info).ctx, kind, key, name, unique)
        return True
