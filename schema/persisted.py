"""Which document a request runs: its text, or a hash the document store (schema/documents.py)
knows — Apollo's automatic persisted queries — and, in trusted-documents mode, only a document
registered ahead of time (resolvers/access/documents.py), refused before it is even parsed.

    {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}}
      → the document held under the hash, or the error Apollo's persisted-queries link retries on:
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    {"query": "…", "extensions": {"persistedQuery": {…}}}
      → the hash must be the text's (else an error); the document is held under it, then runs.

A GET carries the same in its `extensions` parameter (queries only, as every GET). Registered
persisted queries live in each worker's store (bounded, gone with its schema: a client whose hash
is forgotten sends the text again); trusted documents live in the database.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from graphql import GraphQLError, GraphQLSchema, OperationDefinitionNode, parse, validate
from graphql.validation import ASTValidationRule
from prometheus_client import Counter, Gauge
from strawberry.exceptions import MissingQueryError

from contextgraph.resolvers.access.documents import TrustedDocuments, check_hash, document_hash
from contextgraph.resolvers.errors import BadParameter, ContextError, Forbidden
from contextgraph.schema.documents import Document, Documents

log = logging.getLogger("contextgraph")

NOT_FOUND = "PersistedQueryNotFound"  # the message and code Apollo's link looks for
NOT_FOUND_CODE = "PERSISTED_QUERY_NOT_FOUND"
REFUSED = Counter(
    "contextgraph_graphql_documents_refused_total",
    "GraphQL documents refused before parsing: unknown persisted query, hash mismatch, not trusted",
    ["reason"],
)
BROKEN = Gauge(
    "contextgraph_graphql_trusted_documents_invalid",
    "Trusted documents that no longer validate against the current GraphQL schema",
    multiprocess_mode="livemax",
)


class Refused(Exception):
    """A request whose document cannot run; `error` says why, as a GraphQL error."""

    def __init__(self, error: GraphQLError, reason: str) -> None:
        super().__init__(error.message)
        self.error = error
        REFUSED.labels(reason).inc()


def _refused(error: ContextError, reason: str) -> Refused:
    return Refused(GraphQLError(error.description, original_error=error), reason)


async def find_document(
    documents: Documents, query: str | None, extensions: Mapping[str, Any] | None, trusted: TrustedDocuments | None
) -> Document:
    """The document a request runs (see the module's docstring); `trusted` in trusted-documents mode."""
    persisted = extensions.get("persistedQuery") if isinstance(extensions, Mapping) else None
    key: str | None = None
    if persisted is not None:
        key = _persisted_hash(persisted)
        if not query:
            if trusted is not None:
                text = trusted.text(key)
                if text is None:
                    raise _not_trusted(key)
                return await documents.get(text, key)
            found = documents.known(key)
            if found is None:
                error = GraphQLError(NOT_FOUND, extensions={"code": NOT_FOUND_CODE})
                raise Refused(error, "not_found")
            return found
        if document_hash(query) != key:
            where = "extensions.persistedQuery.sha256Hash"
            raise _refused(BadParameter(where, "provided sha does not match query"), "mismatch")
    if not query:
        raise MissingQueryError
    key = key or document_hash(query)
    if trusted is not None and trusted.text(key) is None:
        raise _not_trusted(key)
    return await documents.get(query, key)


def _persisted_hash(persisted: object) -> str:
    where = "extensions.persistedQuery"
    if not isinstance(persisted, Mapping):
        raise _refused(BadParameter(where, "expected an object with version and sha256Hash"), "malformed")
    if persisted.get("version") != 1:
        raise _refused(BadParameter(f"{where}.version", "Unsupported persisted query version"), "malformed")
    try:
        return check_hash(persisted.get("sha256Hash"), f"{where}.sha256Hash")
    except BadParameter as error:
        raise _refused(error, "malformed") from None


def _not_trusted(key: str) -> Refused:
    error = Forbidden(
        f"this server runs trusted documents only, and the document with sha256 {key} is not one of them "
        "(register it with `contextgraph documents add` or the addTrustedDocuments mutation)"
    )
    return _refused(error, "not_trusted")


def describe(text: str) -> str | None:
    """The name of a document's first operation (None when anonymous); BadParameter when the text
    is not an executable GraphQL document (resolvers' `Describe`, for registering trusted ones).
    """
    try:
        node = parse(text, max_tokens=100_000)
    except GraphQLError as error:
        raise BadParameter("document", error.message) from None
    operations = [d for d in node.definitions if isinstance(d, OperationDefinitionNode)]
    if not operations:
        raise BadParameter("document", "a GraphQL document with at least one operation is expected")
    return operations[0].name.value if operations[0].name else None


def report_broken(
    schema: GraphQLSchema, rules: Iterable[type[ASTValidationRule]], trusted: Mapping[str, str]
) -> list[str]:
    """The hashes of the trusted documents that do not validate against `schema`: each logged, and
    their count on /metrics, so a metadata change that breaks one is never silent.
    """
    broken = []
    for key, text in trusted.items():
        try:
            errors = validate(schema, parse(text, max_tokens=100_000), tuple(rules))
        except GraphQLError as error:
            errors = [error]
        if errors:
            broken.append(key)
            log.warning(
                "trusted document %s no longer validates against the GraphQL schema: %s", key, errors[0].message
            )
    BROKEN.set(len(broken))
    return broken
