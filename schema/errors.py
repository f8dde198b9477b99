"""GraphQL errors: ContextErrors keep their message and carry `code` and `status` in `extensions`
(a document or variables GraphQL itself refuses: 4020/400, as REST answers a bad parameter);
anything else is masked and logged with the request id; "Did you mean …?" hints are dropped
unless `graphql_suggestions` is on.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors, SchemaExtension

from contextgraph.resolvers.errors import BadParameter, ContextError

log = logging.getLogger("contextgraph")


_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class ContextErrors(MaskErrors):
    def _suggestions(self) -> bool:
        context = self.execution_context.context
        settings = context.get("settings") if isinstance(context, dict) else None
        return bool(settings is not None and settings.graphql_suggestions)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed: list[GraphQLError] = []
        for error in errors:
            original = error.original_error
            if isinstance(original, ContextError):
                error.extensions = {**(error.extensions or {}), "code": original.code, "status": original.status}
                processed.append(error)
            elif original is None or isinstance(original, GraphQLError):  # the client's own mistake
                if not self._suggestions():
                    error.message = _SUGGESTION.sub("", error.message)
                # A document or variables GraphQL refuses: a bad parameter, as REST would answer it.
                refusal = {"code": BadParameter.code, "status": BadParameter.status}
                error.extensions = {**refusal, **(error.extensions or {})}
                processed.append(error)
            else:
                request = self.execution_context.context.get("request")
                request_id = request.scope.get("state", {}).get("request_id", "-") if request else "-"
                log.error("unexpected error in GraphQL [request %s]", request_id, exc_info=original)
                masked = self.anonymise_error(error)
                masked.extensions = {"code": 5000, "status": 500, "request_id": request_id}
                processed.append(masked)
        return processed


def graphql_error_body(error: ContextError) -> dict[str, Any]:
    """A refusal before any GraphQL ran (authentication, limits) as a GraphQL answer."""
    return {"errors": [{"message": error.description, "extensions": {"code": error.code, "status": error.status}}]}


_NAMES: set[str] = set()
_MAX_NAMES = 500  # operation names come from clients: bound the metrics' label values


def _label(name: str | None) -> str:
    if not name:
        return "-"
    if name in _NAMES:
        return name
    if len(_NAMES) >= _MAX_NAMES or len(name) > 64:
        return "other"
    _NAMES.add(name)
    return name


class OperationLabel(SchemaExtension):
    """Names the request's operation for the access log and metrics: `graphql query Tree`."""

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context
        request = context.context.get("request") if isinstance(context.context, dict) else None
        if request is None or request.scope.get("type") != "http":
            return
        try:
            kind = context.operation_type.value
        except RuntimeError:  # the document did not parse: no operation to name
            kind = "invalid"
        label_operation(request.scope, kind, context.operation_name)


def label_operation(scope: Any, kind: str, name: str | None) -> None:
    """`graphql query Tree` in the access log and the metrics of this request."""
    scope.setdefault("state", {})["graphql_operation"] = f"graphql {kind} {_label(name)}"
