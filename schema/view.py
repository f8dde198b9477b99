"""The GraphQL endpoint: the schema, per-request context (DataLoaders), orjson responses."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import orjson
from prometheus_client import Counter
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema.config import StrawberryConfig
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL, GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.tools import create_type
from strawberry.types.unset import UNSET

from contextgraph.resolvers.access.documents import TrustedDocuments
from contextgraph.resolvers.access.roles import Principal
from contextgraph.resolvers.bounds import check_json
from contextgraph.resolvers.context import Runtime
from contextgraph.resolvers.errors import ContextError, MalformedBody, UnsupportedMedia
from contextgraph.resolvers.metadata.registry import MetadataRegistry
from contextgraph.schema import extension_inputs, inputs
from contextgraph.schema.caching import revalidated
from contextgraph.schema.document_ops import DocumentMutation, DocumentQuery
from contextgraph.schema.errors import graphql_error_body
from contextgraph.schema.extension_ops import ExtensionMutation, ExtensionQuery
from contextgraph.schema.extension_types import install
from contextgraph.schema.front_door import ContextSchema
from contextgraph.schema.internals import HTTPRefusal, SequencedEvents, StreamWhenPreferred, TextFrames
from contextgraph.schema.loaders import Loaders
from contextgraph.schema.mutation import Mutation
from contextgraph.schema.nodes import NodeQuery
from contextgraph.schema.persisted import describe
from contextgraph.schema.profile_ops import ProfileMutation, ProfileQuery
from contextgraph.schema.query import Query
from contextgraph.schema.scalars import SCALARS
from contextgraph.schema.settings import SchemaSettings as Settings
from contextgraph.schema.sockets import LegacyWSHandler, TransportWSHandler
from contextgraph.schema.subscription import Subscription

SCHEMA_REBUILDS = Counter("contextgraph_graphql_schema_rebuilds_total", "GraphQL schemas rebuilt for new metadata")


def _install_inputs(registry: MetadataRegistry) -> None:
    """Typed extension inputs for the current schemas, and only the arguments and fields they fill."""
    present = extension_inputs.install(registry)
    inputs.install(present)
    for cls, name in ((Mutation, "create_profile"), (ProfileMutation, "update_profile")):
        extension_inputs.offer_argument(extension_inputs.field_of(cls, name), "extensions", present["profile"])
    extension_inputs.offer_fields(
        ExtensionMutation,
        {
            "replace_extension": present["values"],
            "update_extension_record": present["records"],
            "delete_extension_record": present["records"],
        },
    )


def _merged(name: str, types: tuple[type, ...]) -> type:
    """One root type with the fields the `types` have now (merge_types would read their classes,
    putting back the fields install took out)."""
    return create_type(name, [f for t in types for f in t.__strawberry_definition__.fields])  # type: ignore[attr-defined]


def build_schema(registry: MetadataRegistry, settings: Settings) -> ContextSchema:
    """A schema for the current extension schemas; built whole, then swapped in by the caller."""
    install(registry)
    _install_inputs(registry)
    config = StrawberryConfig(scalar_map=SCALARS)
    query = _merged("Query", (Query, NodeQuery, ExtensionQuery, ProfileQuery, DocumentQuery))
    mutation = _merged("Mutation", (Mutation, ExtensionMutation, ProfileMutation, DocumentMutation))
    schema = ContextSchema(query=query, mutation=mutation, subscription=Subscription, config=config)
    schema.open(settings)
    return schema


GRAPHQL_RESPONSE = "application/graphql-response+json"


class ContextGraphQL(SequencedEvents, StreamWhenPreferred, GraphQL):
    websocket_adapter_class = TextFrames  # type: ignore[assignment]
    graphql_transport_ws_handler_class = TransportWSHandler  # type: ignore[assignment]
    graphql_ws_handler_class = LegacyWSHandler  # type: ignore[assignment]
    schema: ContextSchema
    settings: Settings
    # The page browsers get at /graphql (the app factory gives one with local assets).
    ide_html: str | None = None
    # How a websocket's connection_init names its key: (scope, Authorization value) -> principal or
    # None; NotAuthorized or TooManyRequests refuse it. The app factory gives the HTTP's own check.
    authenticate: Callable[[Any, str | None], Principal | None]

    def should_render_graphql_ide(self, request: Any) -> bool:
        """Not for a GET of a persisted query: it names its document in `extensions`, not `query`."""
        return "extensions" not in request.query_params and super().should_render_graphql_ide(request)

    async def render_graphql_ide(self, request: Request) -> Response:
        if self.ide_html is None:
            return await super().render_graphql_ide(request)
        return HTMLResponse(self.ide_html)

    async def get_context(  # type: ignore[override]  # Strawberry types the context as None
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> dict[str, Any]:
        runtime: Runtime = request.app.state.runtime
        principal = request.scope["state"]["principal"]
        # A websocket names its key in connection_init: its loaders are made then (on_ws_connect).
        found = Loaders(runtime.context(principal), self.settings) if principal is not None else None
        if found is not None and isinstance(request, Request):
            request.state.graphql_loaders = [*getattr(request.state, "graphql_loaders", ()), found]
        return {
            "request": request,
            "response": response,
            "loaders": found,
            "runtime": runtime,
            "settings": self.settings,
            "principal": principal,
            # The rate limit's buckets (app/ratelimit.py): operations over a websocket spend them.
            "limiter": getattr(request.app.state, "limiter", None),
        }

    def authenticated(self, context: dict[str, Any], principal: Principal) -> None:
        """A websocket named its key in `connection_init` (schema/sockets.py)."""
        context["principal"] = principal
        context["loaders"] = Loaders(context["runtime"].context(principal), self.settings)

    async def on_ws_connect(self, context: dict[str, Any]) -> None:  # type: ignore[override]
        if context["principal"] is None:  # schema/sockets.py refused it already; never here
            raise ConnectionRejectionError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """As Strawberry's, but a request refused before any GraphQL ran (a body that is not JSON,
        a content type it cannot read, no query, …) gets a GraphQL answer, not plain text."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPRefusal as refusal:
            error = _refused(refusal, Request(scope).headers.get("content-type"))
            body = self.encode_json(graphql_error_body(error))
            response = Response(body, error.status, media_type="application/json")
        await response(scope, receive, send)

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        try:
            return await super().run(request, context, root_value)
        finally:
            if isinstance(request, Request):  # uploaded files, even of a refused operation
                await request.close()
                for found in getattr(request.state, "graphql_loaders", ()):
                    await found.ctx.reads.close()  # the request's read session ends with it

    def parse_json(self, data: str | bytes) -> Any:
        """HTTP bodies and variables: a bad one is 400 saying why."""
        try:
            return self.decode_json(data)
        except json.JSONDecodeError as error:
            raise HTTPRefusal(400, error.msg) from None

    def parse_query_params(self, params: Any) -> dict[str, Any]:
        """A GET request's `variables` and `extensions`: a bad one is 400 naming the parameter."""
        found = dict(params)
        for name in ("variables", "extensions"):
            if found.get(name):
                try:
                    found[name] = self.decode_json(found[name])
                except json.JSONDecodeError as error:
                    reason = error.msg.replace("request body", f"the query parameter '{name}'")
                    raise HTTPRefusal(400, reason) from None
        return found

    def decode_json(self, data: str | bytes) -> object:
        """orjson, no deeper than `max_json_depth` and without NUL; refused as JSON that does not
        parse (websocket messages too: Strawberry closes the connection with 4400).
        """
        try:
            return check_json(orjson.loads(data), self.settings.max_json_depth)
        except orjson.JSONDecodeError as error:
            raise json.JSONDecodeError("Unable to parse request body as JSON", error.doc, error.pos) from None
        except MalformedBody as error:
            raise json.JSONDecodeError(error.description, "", 0) from None

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

    async def process_result(self, request: Request, result: Any) -> GraphQLHTTPResponse:
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
        executed = isinstance(response_data, dict) and response_data.get("data") is not None
        return revalidated(getattr(sub_response, "graphql_request", None), response) if executed else response


def _refused(refusal: HTTPRefusal, content_type: str | None) -> ContextError:
    """Strawberry's refusal of a request as our error: a body it cannot read is 415, as REST answers."""
    if refusal.status_code == 400 and refusal.reason == "Unsupported content type":
        return UnsupportedMedia(
            f"a GraphQL request's body is application/json or multipart/form-data, not '{content_type or 'none'}'"
        )
    reason = refusal.reason
    if reason.startswith("subscriptions are not allowed"):
        reason = (
            "a subscription is a stream: subscribe over the websocket, or over Server-Sent Events "
            "(Accept: text/event-stream)"
        )
    error = MalformedBody(reason)
    error.status = refusal.status_code
    return error


def graphql_app(settings: Settings, connection_init_timeout: float) -> ContextGraphQL:
    # Multipart requests carry the CSV of importProfiles (GraphQL multipart request spec).
    # A websocket names its key in connection_init: it has `connection_init_timeout` seconds to.
    # Subscriptions over both websocket protocols, and over Server-Sent Events (graphql-sse's
    # "distinct connections" mode: a POST or GET that accepts text/event-stream) where a proxy
    # blocks websockets; all of them through the one front door.
    app = ContextGraphQL(
        build_schema(MetadataRegistry(), settings),
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL, GRAPHQL_SSE_PROTOCOL),
        multipart_uploads_enabled=True,
        connection_init_wait_timeout=timedelta(seconds=connection_init_timeout),
    )
    app.settings = settings
    return app


def follow_metadata(app: ContextGraphQL, settings: Settings, runtime: Runtime) -> Callable[[MetadataRegistry], None]:
    """A metadata listener that swaps a rebuilt schema into the endpoint; requests already running
    finish on the schema they started with.
    """

    def rebuild(registry: MetadataRegistry) -> None:
        app.schema = build_schema(registry, settings)
        SCHEMA_REBUILDS.inc()
        if runtime.trusted.texts:  # a change that breaks a trusted document is reported
            app.schema.check_trusted(runtime.trusted)

    return rebuild


def follow_documents(app: ContextGraphQL, runtime: Runtime) -> None:
    """Trusted documents registered or removed are checked against the schema being served, and
    registering one parses it first (the domain asks this surface what a text is).
    """

    def check(trusted: TrustedDocuments) -> None:
        app.schema.check_trusted(trusted)

    runtime.describe_document = describe
    runtime.document_listeners.append(check)
