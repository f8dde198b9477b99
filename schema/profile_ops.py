"""GraphQL for the profile operations beyond create/query: identify, update, delete, merge, bulk
import; identification keys, the profile schema, business attributes and roles.
"""

from __future__ import annotations

import io
from typing import Any

import strawberry
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON

from contextgraph.resolvers.access.keys import describe_roles
from contextgraph.resolvers.paging import page
from contextgraph.resolvers.profiles import bulk_import as profile_import
from contextgraph.resolvers.profiles import identification, profiles
from contextgraph.resolvers.profiles import merge as profile_merge
from contextgraph.schema.loaders import loaders
from contextgraph.schema.types import FIRST, OFFSET, Customer


@strawberry.type
class ProfileQuery:
    @strawberry.field(description='Customers identified by attributes: {"LastName": "Doe", "Phone.PhoneNumber": "…"}.')
    async def identify(self, info: strawberry.Info, attributes: JSON, key: str | None = None, first: FIRST = None,
                       offset: OFFSET = 0) -> list[Customer]:  # fmt: skip
        given = {str(k): str(v) for k, v in dict(attributes).items()}  # type: ignore[call-overload]
        ctx = loaders(info).ctx
        found = page(await profiles.identify(ctx, given, key=key, include_profile=True), first, offset,
                     loaders(info).settings.graphql_max_list)  # fmt: skip
        loaders(info).charge(len(found))
        return [Customer.of(profile) for profile in found]

    @strawberry.field(description="The identification keys.")
    def identification_keys(self, info: strawberry.Info) -> JSON:
        return JSON(identification.describe_keys(loaders(info).ctx))

    @strawberry.field(description="The profile attribute schema.")
    def profile_schema(self, info: strawberry.Info) -> JSON:
        return JSON(loaders(info).ctx.profile_schema.describe())

    @strawberry.field(description="Business attributes: all, one by name, or the one behind Service.media_type …")
    def business_attributes(
        self, info: strawberry.Info, name: str | None = None, cv_attribute: str | None = None
    ) -> JSON:
        return JSON(loaders(info).ctx.business.describe(name, cv_attribute))

    @strawberry.field(description="The roles and the tasks (operations) each may perform.")
    async def roles(self, info: strawberry.Info) -> JSON:
        return JSON(await describe_roles(loaders(info).ctx.db))


@strawberry.type
class ProfileMutation:
    @strawberry.mutation(description="Replace a profile's attributes; extensions given replace theirs.")
    async def update_profile(self, info: strawberry.Info, customer_id: str, attributes: JSON) -> Customer:
        ctx = loaders(info).ctx
        await profiles.update_profile(ctx, customer_id, attributes)
        return Customer.of(await profiles.get_profile(ctx, customer_id))

    @strawberry.mutation(description="Delete a profile with its extensions and its services.")
    async def delete_profile(self, info: strawberry.Info, customer_id: str) -> bool:
        await profiles.delete_profile(loaders(info).ctx, customer_id)
        return True

    @strawberry.mutation(description="Merge the source profile into the customer's, then delete the source.")
    async def merge_profiles(
        self, info: strawberry.Info, customer_id: str, source_id: str, keep_uniq_from_src: bool = False,
        keep_active_service_only: bool = False,
    ) -> Customer:  # fmt: skip
        ctx = loaders(info).ctx
        body = {"keep_uniq_from_src": keep_uniq_from_src, "keep_active_service_only": keep_active_service_only}
        await profile_merge.merge_profiles(ctx, customer_id, source_id, body)
        return Customer.of(await profiles.get_profile(ctx, customer_id))

    @strawberry.mutation(description="Create an identification key (maintenance mode).")
    async def create_identification_key(self, info: strawberry.Info, key: JSON) -> JSON:
        ctx = loaders(info).ctx
        return JSON(identification.describe_key(ctx, await identification.create_key(ctx, key)))

    @strawberry.mutation(description="Delete an identification key (maintenance mode).")
    async def delete_identification_key(self, info: strawberry.Info, name: str) -> bool:
        await identification.delete_key(loaders(info).ctx, name)
        return True

    @strawberry.mutation(description="Bulk-import profiles from an uploaded CSV (multipart request; maintenance mode).")
    async def import_profiles(self, info: strawberry.Info, csv: Upload, description: JSON) -> JSON:
        options = profile_import.parse_options({"format": "csv"} | dict(description))  # type: ignore[call-overload]
        upload: Any = csv
        text = io.TextIOWrapper(upload.file, encoding=options.encoding, newline="")
        report = await profile_import.import_profiles(loaders(info).ctx, text, options)
        return JSON(report.describe())
