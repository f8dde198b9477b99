"""The admin operations of trusted documents (README "Persisted queries and trusted documents"):
register, list and remove, each needing the metadata administrator's role.
"""

from __future__ import annotations

from typing import Any

from contextgraph.resolvers.access import documents as trusted
from contextgraph.resolvers.context import Context
from contextgraph.resolvers.operation import Input, NoInput, operation

ADMIN = ("UCS.SchemaMgt.handleMetadata",)


class AddDocuments(Input):
    documents: list[Any]  # checked by trusted.add_documents: strings, bounded, GraphQL documents


class RemoveDocument(Input):
    hash: Any  # checked by trusted.remove_document: a sha256 hex


@operation("addTrustedDocuments", tasks=ADMIN, input=AddDocuments)
async def add_trusted_documents(ctx: Context, input: AddDocuments) -> list[dict[str, Any]]:
    """Register GraphQL documents as trusted (every worker runs them within `refresh_interval`)."""
    async with ctx.metadata_write(), ctx.db.write() as conn:
        added = await trusted.add_documents(conn, input.documents, ctx.runtime.describe_document)
    await ctx.runtime.reload_documents()
    return added


@operation("readTrustedDocuments", tasks=ADMIN, input=NoInput)
async def read_trusted_documents(ctx: Context, input: NoInput) -> list[dict[str, Any]]:
    """The trusted documents: hash, operation name, text, when registered."""
    async with ctx.db.read() as conn:
        return await trusted.list_documents(conn)


@operation("removeTrustedDocument", tasks=ADMIN, input=RemoveDocument)
async def remove_trusted_document(ctx: Context, input: RemoveDocument) -> dict[str, Any]:
    """Unregister a trusted document by its hash; it stops running in trusted-documents mode."""
    async with ctx.metadata_write(), ctx.db.write() as conn:
        removed = await trusted.remove_document(conn, input.hash)
    await ctx.runtime.reload_documents()
    return removed
