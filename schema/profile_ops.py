"""GraphQL for the profile operations beyond create/query: identify, update, delete, merge, bulk
import; identification keys, the profile schema, business attributes and roles.
"""

from __future__ import annotations

import io
from typing import Any

import strawberry
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON

from contextgraph.resolvers import system
from contextgraph.resolvers.paging import page
from contextgraph.resolvers.profiles import bulk_import, identification, import_options, merge, profiles
from contextgraph.schema import relay
from contextgraph.schema.binding import binds
from contextgraph.schema.conditions import IfMatch, conditioned
from contextgraph.schema.extension_inputs import ProfileExtensionsInput, profile_body
from contextgraph.schema.loaders import loaders
from contextgraph.schema.mutation import written
from contextgraph.schema.types import FIRST, OFFSET, Customer


@strawberry.type
class ProfileQuery:
    @strawberry.field(
        description='Customers identified by attributes: {"LastName": "Doe", "Phone.PhoneNumber": "…"}.',
        metadata=binds(profiles.identify),
    )
    async def identify(
        self, info: strawberry.Info, attributes: JSON, key: str | None = None, first: FIRST = None, offset: OFFSET = 0
    ) -> list[Customer]:
        given = {str(k): str(v) for k, v in dict(attributes).items()}  # type: ignore[call-overload]
        found = loaders(info)
        customers = await profiles.identify(found.ctx, {"attributes": given, "key": key, "include_profile": True})
        customers = page(customers, first, offset, found.settings.graphql_max_list)
        found.charge(len(customers))
        return [Customer.of(profile) for profile in customers]

    @strawberry.field(description="The identification keys.", metadata=binds(identification.describe_keys))
    async def identification_keys(self, info: strawberry.Info) -> JSON:
        return JSON(await identification.describe_keys(loaders(info).ctx, {}))

    @strawberry.field(description="The profile attribute schema.", metadata=binds(system.profile_schema))
    async def profile_schema(self, info: strawberry.Info) -> JSON:
        return JSON(await system.profile_schema(loaders(info).ctx, {}))

    @strawberry.field(
        description="Business attributes: all, one by name, or the one behind Service.media_type …",
        metadata=binds(system.business_attributes),
    )
    async def business_attributes(
        self, info: strawberry.Info, name: str | None = None, cv_attribute: str | None = None
    ) -> JSON:
        return JSON(await system.business_attributes(loaders(info).ctx, {"name": name, "cv_attribute": cv_attribute}))

    @strawberry.field(description=system.roles.summary, metadata=binds(system.roles))
    async def roles(self, info: strawberry.Info) -> JSON:
        return JSON(await system.roles(loaders(info).ctx, {}))


@strawberry.type
class ProfileMutation:
    @strawberry.mutation(description=profiles.update_profile.summary, metadata=binds(profiles.update_profile))
    async def update_profile(
        self,
        info: strawberry.Info,
        customer_id: strawberry.ID,
        attributes: JSON,
        extensions: ProfileExtensionsInput | None = None,
        if_match: IfMatch = None,
    ) -> Customer:
        ctx = loaders(info).ctx
        customer_id = relay.customer_id(customer_id)
        body = profile_body(ctx.metadata, attributes, extensions)
        await profiles.update_profile(conditioned(ctx, if_match=if_match), {"customer_id": customer_id, "body": body})
        return Customer.of(await written(ctx, profiles.get_profile, customer_id=customer_id))

    @strawberry.mutation(description=profiles.delete_profile.summary, metadata=binds(profiles.delete_profile))
    async def delete_profile(self, info: strawberry.Info, customer_id: strawberry.ID) -> bool:
        await profiles.delete_profile(loaders(info).ctx, {"customer_id": relay.customer_id(customer_id)})
        return True

    @strawberry.mutation(description=merge.merge_profiles.summary, metadata=binds(merge.merge_profiles))
    async def merge_profiles(
        self,
        info: strawberry.Info,
        customer_id: strawberry.ID,
        source_id: strawberry.ID,
        keep_uniq_from_src: bool = False,
        keep_active_service_only: bool = False,
        if_match: IfMatch = None,
    ) -> Customer:
        ctx = loaders(info).ctx
        customer_id, source_id = relay.customer_id(customer_id), relay.customer_id(source_id, "sourceId")
        options = {"keep_uniq_from_src": keep_uniq_from_src, "keep_active_service_only": keep_active_service_only}
        write = conditioned(ctx, if_match=if_match)
        await merge.merge_profiles(write, {"customer_id": customer_id, "source_id": source_id, "options": options})
        return Customer.of(await written(ctx, profiles.get_profile, customer_id=customer_id))

    @strawberry.mutation(description=identification.create_key.summary, metadata=binds(identification.create_key))
    async def create_identification_key(self, info: strawberry.Info, key: JSON) -> JSON:
        ctx = loaders(info).ctx
        name = await identification.create_key(ctx, {"body": key})
        return JSON(await written(ctx, identification.describe_key, name=name))

    @strawberry.mutation(description=identification.delete_key.summary, metadata=binds(identification.delete_key))
    async def delete_identification_key(self, info: strawberry.Info, name: str) -> bool:
        await identification.delete_key(loaders(info).ctx, {"name": name})
        return True

    @strawberry.mutation(
        description="Bulk-import profiles from an uploaded CSV (multipart request; maintenance mode).",
        metadata=binds(bulk_import.import_profiles),
    )
    async def import_profiles(self, info: strawberry.Info, csv: Upload, description: JSON) -> JSON:
        options = import_options.parse_options(description, assumed_format="csv")
        upload: Any = csv
        text = io.TextIOWrapper(upload.file, encoding=options.encoding, newline="")
        report = await bulk_import.import_profiles(loaders(info).ctx, {"description": options, "lines": text})
        return JSON(report.describe())
