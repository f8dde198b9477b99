"""GraphQL for extension schemas and the dedicated extension operations (the REST Schema
Operations and the "Update … Extension" operations), bound to the same catalog operations: one
operation per owner kind, chosen by the owner's `kind`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.extensions import schemas
from contextgraph.resolvers.journeys import extension_records as journey_records
from contextgraph.resolvers.operation import Operation
from contextgraph.resolvers.profiles import extension_records as profile_records
from contextgraph.schema import relay
from contextgraph.schema.binding import binding_of, binds, kind_of
from contextgraph.schema.conditions import IfMatch, conditioned
from contextgraph.schema.extension_inputs import ExtensionRecordValueInput, ExtensionValueInput
from contextgraph.schema.loaders import loaders
from contextgraph.schema.mutation import written
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
    customer_id: strawberry.ID | None = None
    service_id: Long | None = None
    state_id: int | None = None
    task_id: int | None = None

    def input(self) -> dict[str, Any]:
        """The owner as the kind's operation takes it."""
        kind = self.kind.value
        needed = {
            "profile": ("customer_id",),
            "service": ("service_id",),
            "state": ("service_id", "state_id"),
            "task": ("service_id", "task_id"),
        }[kind]
        for name in needed:
            if getattr(self, name) is None:
                raise BadParameter(name, f"needed for a {kind} extension")
        if kind == "profile":
            return {"customer_id": relay.customer_id(self.customer_id)}
        return {"service_id": self.service_id, "owner_id": self.state_id if kind == "state" else self.task_id}


def _by_owner(args: Mapping[str, Any]) -> Any:
    return args["owner"]["kind"]


REPLACE: dict[str, Operation] = {"profile": profile_records.REPLACE, **journey_records.REPLACE}  # type: ignore[type-arg]
UPDATE: dict[str, Operation] = {"profile": profile_records.UPDATE, **journey_records.UPDATE}  # type: ignore[type-arg]
DELETE: dict[str, Operation] = {"profile": profile_records.DELETE, **journey_records.DELETE}  # type: ignore[type-arg]


async def _change(info: strawberry.Info, owner: OwnerInput, if_match: str | None, name: str, body: Any) -> bool:
    binding = binding_of(info._field.metadata)
    assert binding is not None
    operation = binding.operations[owner.kind.value]
    await operation(conditioned(loaders(info).ctx, if_match=if_match), {**owner.input(), "name": name, "body": body})
    return True


@strawberry.type
class ExtensionQuery:
    @strawberry.field(
        description=schemas.describe_schemas.summary, metadata=binds(schemas.describe_schemas, input=kind_of)
    )
    async def extension_schemas(self, info: strawberry.Info, kind: ExtensionOwner) -> JSON:
        return JSON(await schemas.describe_schemas(loaders(info).ctx, {"kind": kind.value}))


@strawberry.type
class ExtensionMutation:
    @strawberry.mutation(description=schemas.create_schemas.summary, metadata=binds(schemas.create_schemas))
    async def create_extension_schema(self, info: strawberry.Info, kind: ExtensionOwner, schema: JSON) -> JSON:
        ctx = loaders(info).ctx
        (name,) = await schemas.create_schemas(ctx, {"kind": kind.value, "body": schema})
        return JSON(await written(ctx, schemas.describe_schema, kind=kind.value, name=name))

    @strawberry.mutation(description=schemas.delete_schema.summary, metadata=binds(schemas.delete_schema))
    async def delete_extension_schema(self, info: strawberry.Info, kind: ExtensionOwner, name: str) -> bool:
        await schemas.delete_schema(loaders(info).ctx, {"kind": kind.value, "name": name})
        return True

    @strawberry.mutation(
        description="Replace an extension's value (an object, or an array when multi-valued).",
        metadata=binds(REPLACE, by=_by_owner),
    )
    async def replace_extension(
        self, info: strawberry.Info, owner: OwnerInput, value: ExtensionValueInput, if_match: IfMatch = None
    ) -> bool:
        return await _change(info, owner, if_match, *value.of(owner.kind.value))

    @strawberry.mutation(
        description="Update the record its unique attributes name; they themselves stay.",
        metadata=binds(UPDATE, by=_by_owner),
    )
    async def update_extension_record(
        self, info: strawberry.Info, owner: OwnerInput, record: ExtensionRecordValueInput, if_match: IfMatch = None
    ) -> bool:
        return await _change(info, owner, if_match, *record.of(owner.kind.value))

    @strawberry.mutation(
        description="Delete the record its unique attributes name.", metadata=binds(DELETE, by=_by_owner)
    )
    async def delete_extension_record(
        self, info: strawberry.Info, owner: OwnerInput, unique: ExtensionRecordValueInput, if_match: IfMatch = None
    ) -> bool:
        return await _change(info, owner, if_match, *unique.of(owner.kind.value))
