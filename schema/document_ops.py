"""GraphQL for trusted documents (README "Persisted queries and trusted documents"): register,
list and remove them, bound to the catalog's admin operations.
"""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from contextgraph.resolvers import documents
from contextgraph.schema.binding import binds
from contextgraph.schema.loaders import loaders


@strawberry.type(description="A GraphQL document registered ahead of time, known by the sha256 of its text.")
class TrustedDocument:
    hash: str = strawberry.field(description="sha256 (hex) of the document's UTF-8 text, as Apollo clients send it")
    name: str | None = strawberry.field(description="its first operation's name")
    document: str
    created: str

    @classmethod
    def of(cls, described: dict[str, Any]) -> TrustedDocument:
        return cls(
            hash=described["hash"], name=described["name"], document=described["document"], created=described["created"]
        )


@strawberry.type
class DocumentQuery:
    @strawberry.field(
        description=documents.read_trusted_documents.summary, metadata=binds(documents.read_trusted_documents)
    )
    async def trusted_documents(self, info: strawberry.Info) -> list[TrustedDocument]:
        found = await documents.read_trusted_documents(loaders(info).ctx, {})
        return [TrustedDocument.of(item) for item in found]


@strawberry.type
class DocumentMutation:
    @strawberry.mutation(
        description=documents.add_trusted_documents.summary, metadata=binds(documents.add_trusted_documents)
    )
    async def add_trusted_documents(
        self, info: strawberry.Info, texts: Annotated[list[str], strawberry.argument(name="documents")]
    ) -> list[TrustedDocument]:
        added = await documents.add_trusted_documents(loaders(info).ctx, {"documents": texts})
        return [TrustedDocument.of(item) for item in added]

    @strawberry.mutation(
        description=documents.remove_trusted_document.summary, metadata=binds(documents.remove_trusted_document)
    )
    async def remove_trusted_document(self, info: strawberry.Info, hash: str) -> TrustedDocument:
        removed = await documents.remove_trusted_document(loaders(info).ctx, {"hash": hash})
        return TrustedDocument.of(removed)
