"""Customer profiles: create, query, update, delete, identify; the existence check services need.
(Merging lives in profile_merge.)
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.context import Context
from contextgraph.resolvers.errors import BadParameter, not_found
from contextgraph.resolvers.extensions.values import (
    check_extensions,
    delete_owned_records,
    extension_values,
    schemas_named,
    write_extensions,
)
from contextgraph.resolvers.ids import new_customer_id
from contextgraph.resolvers.journeys.records import delete_services, require_customer
from contextgraph.resolvers.metadata.extension_schema import ExtensionSchema
from contextgraph.resolvers.operation import Input, JsonObject, operation
from contextgraph.resolvers.profiles.identification import identify_ids, profile_field, reindex
from contextgraph.resolvers.store.reader import Rows
from contextgraph.resolvers.store.statements import Statement, any_of
from contextgraph.resolvers.store.tables import customer_t, identity_index_t, interaction_t, read_json, service_t
from contextgraph.resolvers.timefmt import now_ms
from contextgraph.resolvers.values import Id
from contextgraph.resolvers.versions import Versioned, touch_customer


class CreateProfile(Input):
    body: JsonObject


class UpdateProfile(Input):
    customer_id: Id
    body: JsonObject


class DeleteProfile(Input):
    customer_id: Id


class ReadProfile(Input):
    customer_id: Id
    extensions: tuple[str, ...] = ()


class Identify(Input):
    """ "Identify Customer": attribute values by name (`LastName`, `Phone.PhoneNumber`)."""

    attributes: dict[str, str]
    key: str | None = None
    include_profile: bool = False
    extensions: tuple[str, ...] = ()
    extensions_only_if_unique: bool = False


def _extension_roles(input: ReadProfile | Identify) -> list[str]:
    return ["UCS.Customer.readProfileExtension"] if input.extensions else []


@operation("createProfile", tasks=("UCS.Customer.createProfile",), input=CreateProfile)
async def create_profile(ctx: Context, input: CreateProfile) -> str:
    """Create a customer profile from its attributes; answers the 16-character id the server made."""
    body = input.body
    if "customer_id" in body:
        raise BadParameter("customer_id", "customer ids are made by the server; leave it out")
    attributes, extensions = ctx.profile_schema.split(body)
    checked = check_extensions(ctx, "profile", extensions)
    customer_id = new_customer_id()
    async with ctx.write() as conn:
        await conn.execute(sa.insert(customer_t).values(id=customer_id, attributes=attributes, created_ms=now_ms()))
        await write_extensions(conn, customer_id, checked)
        await reindex(ctx, conn, [customer_id], new=True)
    return customer_id


@operation("updateProfile", tasks=("UCS.Customer.updateProfile",), input=UpdateProfile)
async def update_profile(ctx: Context, input: UpdateProfile) -> None:
    """Replace a profile's attributes; extensions given replace theirs, the others stay."""
    customer_id, body = input.customer_id, input.body
    if body.get("customer_id", customer_id) != customer_id:
        raise BadParameter("customer_id", "does not match the customer id of the path")
    attributes, extensions = ctx.profile_schema.split({k: v for k, v in body.items() if k != "customer_id"})
    checked = check_extensions(ctx, "profile", extensions, action="update")
    async with ctx.write() as conn:
        await touch_customer(ctx, conn, customer_id)
        await require_customer(conn, customer_id, lock=True)
        await conn.execute(sa.update(customer_t).where(customer_t.c.id == customer_id).values(attributes=attributes))
        await write_extensions(conn, customer_id, checked)
        await reindex(ctx, conn, [customer_id])


async def remove_customer(conn: AsyncConnection, customer_id: str) -> None:
    """Delete a profile row with its extension records, identity rows and interactions (not its
    services: delete or move those first).
    """
    await delete_owned_records(conn, "profile", [customer_id])
    await conn.execute(sa.delete(interaction_t).where(interaction_t.c.customer_id == customer_id))
    await conn.execute(sa.delete(identity_index_t).where(identity_index_t.c.customer_id == customer_id))
    await conn.execute(sa.delete(customer_t).where(customer_t.c.id == customer_id))


@operation("deleteProfile", tasks=("UCS.Customer.deleteProfile",), input=DeleteProfile)
async def delete_profile(ctx: Context, input: DeleteProfile) -> None:
    """Delete a profile with its extensions and its services (with their states, tasks and
    extension records)."""
    customer_id = input.customer_id
    async with ctx.write() as conn:
        await require_customer(conn, customer_id, lock=True)
        service_ids = (
            (await conn.execute(sa.select(service_t.c.id).where(service_t.c.customer_id == customer_id)))
            .scalars()
            .all()
        )
        await delete_services(conn, list(service_ids))
        await remove_customer(conn, customer_id)


_PROFILES = Statement(
    lambda d: sa.select(customer_t.c.id, read_json(customer_t.c.attributes), customer_t.c.version).where(
        any_of(d, customer_t.c.id, "ids")
    )
)


async def get_profiles(rows: Rows, customer_ids: list[str]) -> dict[str, Versioned]:
    """Profiles by id ({"customer_id": …, attributes…}, with their version); ids that do not exist
    are left out."""
    found = await rows.fetch(_PROFILES, ids=list(dict.fromkeys(customer_ids)))
    return {cid: Versioned({"customer_id": cid, **attributes}, version) for cid, attributes, version in found}


async def profiles_with_extensions(
    rows: Rows, customer_ids: list[str], schemas: Sequence[ExtensionSchema], with_attributes: bool = True
) -> list[Versioned]:
    """Profiles in the order of `customer_ids` (missing ones left out), with the extensions asked for."""
    profiles = await get_profiles(rows, customer_ids)
    values = await extension_values(rows, schemas, customer_ids)
    found = [(i, profiles[i]) for i in customer_ids if i in profiles]
    return [Versioned((p if with_attributes else {"customer_id": i}) | values.get(i, {}), p.version) for i, p in found]


@operation("identifyCustomer", tasks=("UCS.Customer.identifyCustomer",), input=Identify, more_tasks=_extension_roles)
async def identify(ctx: Context, input: Identify) -> list[Versioned]:
    """The customers some attributes identify ("Identify Customer"), as profiles or bare ids."""
    given = input.attributes
    if not given:
        raise BadParameter("attributes", "give the attributes to identify the customer by")
    for name in given:
        profile_field(ctx, name)  # 400 for a name that is no profile or profile-extension attribute
    schemas = schemas_named(ctx.metadata, "profile", input.extensions)
    rows = await ctx.rows()
    customer_ids = await identify_ids(ctx, rows, given, input.key)
    if input.extensions_only_if_unique and len(customer_ids) != 1:
        schemas = []
    return await profiles_with_extensions(rows, customer_ids, schemas, input.include_profile)


@operation("readProfile", tasks=("UCS.Customer.readProfile",), input=ReadProfile, more_tasks=_extension_roles)
async def get_profile(ctx: Context, input: ReadProfile) -> Versioned:
    """A customer's profile: its id, its attributes and the extensions asked for."""
    customer_id = input.customer_id
    schemas = schemas_named(ctx.metadata, "profile", input.extensions)
    rows = await ctx.rows(alone=not schemas)
    found = await profiles_with_extensions(rows, [customer_id], schemas)
    if not found:
        raise not_found("customer", customer_id)
    return found[0]
