"""The GraphQL endpoint: the schema, per-request context (DataLoaders), orjson responses."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson
import strawberry
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionResult

from contextgraph.app.observability import SCHEMA_REBUILDS
from contextgraph.resolvers.metadata import MetadataRegistry
from contextgraph.schema.errors import ContextErrors, OperationLabel
from contextgraph.schema.extension_ops import ExtensionMutation, ExtensionQuery
from contextgraph.schema.extension_types import install
from contextgraph.schema.fast_path import FastExecutionContext
from contextgraph.schema.loaders import Loaders
from contextgraph.schema.mutation import Mutation
from contextgraph.schema.profile_ops import ProfileMutation, ProfileQuery
from contextgraph.schema.query import Query
from contextgraph.schema.scalars import SCALARS
from contextgraph.schema.subscription import Subscription


def build_schema(registry: MetadataRegistry) -> strawberry.Schema:
    """A schema for the current extension schemas; built whole, then swapped in by the caller."""
    install(registry)
    config = StrawberryConfig(scalar_map=SCALARS)
    query = merge_types("Query", (Query, ExtensionQuery, ProfileQuery))
    mutation = merge_types("Mutation", (Mutation, ExtensionMutation, ProfileMutation))
    return strawberry.Schema(query=query, mutation=mutation, subscription=Subscription,
                             extensions=[ParserCache, ValidationCache, ContextErrors, OperationLabel], config=config,
                             execution_context_class=FastExecutionContext)  # fmt: skip


GRAPHQL_RESPONSE = "application/graphql-response+json"


class _TextFrames(ASGIWebSocketAdapter):
    """graphql-transport-ws speaks in text frames: browsers cannot parse binary ones as JSON."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class ContextGraphQL(GraphQL):
    websocket_adapter_class = _TextFrames  # type: ignore[assignment]
    # The page browsers get at /graphql (the app factory gives one with local assets).
    ide_html: str | None = None

    async def render_graphql_ide(self, request: Request) -> Response:
        if self.ide_html is None:
            return await super().render_graphql_ide(request)
        return HTMLResponse(self.ide_html)

    async def get_context(  # type: ignore[override]  # Strawberry types the context as None
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> dict[str, Any]:
        ctx = request.app.state.ctx
        return {"request": request, "response": response, "loaders": Loaders(ctx),
                "fast_path": ctx.settings.graphql_fast_path}  # fmt: skip

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    # GraphQL over HTTP: a client that accepts application/graphql-response+json gets that media
    # type, and a request that never reached execution (a parse, validation or variable error)
    # gets 400 without a `data` entry.
    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        accept = request.headers.get("accept", "")
        sub_response.graphql_response = GRAPHQL_RESPONSE in accept  # type: ignore[attr-defined]
        sub_response.graphql_request = request  # type: ignore[attr-defined]
        return sub_response

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        not_executed = result.data is None and result.errors and all(e.path is None for e in result.errors)
        if not_executed and GRAPHQL_RESPONSE in request.headers.get("accept", ""):
            response.pop("data", None)
            request.state.graphql_not_executed = True
        return response

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        if getattr(sub_response, "graphql_response", False):
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
            request = getattr(sub_response, "graphql_request", None)
            if request is not None and getattr(request.state, "graphql_not_executed", False):
                response.status_code = 400
        return response



def graphql_app() -> ContextGraphQL:
    # Multipart requests carry the CSV of importProfiles (GraphQL multipart request spec).
    return ContextGraphQL(build_schema(MetadataRegistry()), multipart_uploads_enabled=True)


def follow_metadata(app: ContextGraphQL) -> Callable[[MetadataRegistry], None]:
    """A metadata listener that swaps a rebuilt schema into the endpoint; requests already running
    finish on the schema they started with.
    """

    def rebuild(registry: MetadataRegistry) -> None:
        app.schema = build_schema(registry)
        SCHEMA_REBUILDS.inc()

    return rebuild
