"""The GraphQL endpoint: the schema, per-request context (DataLoaders), orjson responses."""

from __future__ import annotations

from typing import Any

import orjson
import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.schema.config import StrawberryConfig

from contextgraph.schema.errors import ContextErrors
from contextgraph.schema.loaders import Loaders
from contextgraph.schema.mutation import Mutation
from contextgraph.schema.query import Query
from contextgraph.schema.scalars import SCALARS


def build_schema() -> strawberry.Schema:
    config = StrawberryConfig(scalar_map=SCALARS)
    return strawberry.Schema(query=Query, mutation=Mutation, extensions=[ContextErrors], config=config)


class ContextGraphQL(GraphQL):
    async def get_context(  # type: ignore[override]  # Strawberry types the context as None
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> dict[str, Any]:
        return {"request": request, "response": response, "loaders": Loaders(request.app.state.ctx)}

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


def graphql_app() -> ContextGraphQL:
    return ContextGraphQL(build_schema())
