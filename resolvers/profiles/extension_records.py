"""The extension operations of customer profiles: lock the customer, change its records
(extensions/records.py), then rewrite its identity rows (its extensions may identify it); and the
read of a profile's extensions.
"""

from __future__ import annotations

from typing import Any

from contextgraph.resolvers.context import Context
from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.extensions import records
from contextgraph.resolvers.extensions.values import check_extensions, extension_values, schemas_named, write_extensions
from contextgraph.resolvers.journeys.records import require_customer
from contextgraph.resolvers.operation import Input, JsonObject, Operation, operation
from contextgraph.resolvers.profiles.identification import reindex
from contextgraph.resolvers.values import Id
from contextgraph.resolvers.versions import touch_customer


class ProfileExtension(Input):
    customer_id: Id
    name: str
    body: Any = None


class ProfileExtensions(Input):
    customer_id: Id
    body: JsonObject


class ReadProfileExtensions(Input):
    customer_ids: tuple[Id, ...]
    extensions: tuple[str, ...] = ()  # none: every one


def _operation(name: str, action: str, change: Any, summary: str) -> Operation[ProfileExtension, None]:
    async def run(ctx: Context, input: ProfileExtension) -> None:
        apply = change(ctx, records.schema_of(ctx, "profile", input.name), input.body)
        async with ctx.write() as conn:
            await touch_customer(ctx, conn, input.customer_id)
            await require_customer(conn, input.customer_id, lock=True)
            await apply(conn, input.customer_id)
            await reindex(ctx, conn, [input.customer_id])

    return Operation(name, summary, (f"UCS.Customer.{action}ProfileExtension",), ProfileExtension, run)


REPLACE = _operation("replaceProfileExtension", "update", records.replacing, "Replace a profile extension's value.")
UPDATE = _operation(
    "updateProfileExtensionRecord",
    "update",
    records.updating,
    "Update the profile extension record its unique attributes name; they themselves stay.",
)
DELETE = _operation(
    "deleteProfileExtensionRecord",
    "delete",
    records.deleting,
    "Delete the profile extension record its unique attributes name.",
)


@operation("insertProfileExtensions", tasks=("UCS.Customer.createProfileExtension",), input=ProfileExtensions)
async def insert_profile_extensions(ctx: Context, input: ProfileExtensions) -> None:
    """Give a profile several extensions at once (POST /profiles/{id}/extensions), each replacing
    its records."""
    customer_id, body = input.customer_id, input.body
    if body.get("customer_id", customer_id) != customer_id:
        raise BadParameter("customer_id", "does not match the customer id of the path")
    checked = check_extensions(ctx, "profile", {k: v for k, v in body.items() if k != "customer_id"})
    async with ctx.write() as conn:
        await touch_customer(ctx, conn, customer_id)
        await require_customer(conn, customer_id, lock=True)
        await write_extensions(conn, customer_id, checked)
        await reindex(ctx, conn, [customer_id])


@operation("readProfileExtensions", tasks=("UCS.Customer.readProfileExtension",), input=ReadProfileExtensions)
async def read_profile_extensions(ctx: Context, input: ReadProfileExtensions) -> dict[str, dict[str, Any]]:
    """The extension values of profiles, by customer id: {customer id: {extension: value}}."""
    names = input.extensions or tuple(s.name for s in ctx.metadata.of_kind("profile"))
    schemas = schemas_named(ctx.metadata, "profile", names)
    return await extension_values(await ctx.rows(), schemas, list(input.customer_ids))
