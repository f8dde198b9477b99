"""The two websocket protocols at /graphql, graphql-transport-ws and the legacy graphql-ws
(subscriptions-transport-ws), as Strawberry speaks them, with what the server adds:

- `connection_init` names the key (browsers cannot set headers); a refusal closes the socket
  with a code and a reason that say why: 4401 "an API key is required: …" (none sent),
  4401 "the API key is unknown or revoked" (a wrong one), 4429 (too many wrong keys);
- a key revoked while the socket is open (`contextgraph keys revoke`) stops its operations and
  closes the socket with 4401 "the API key was revoked", in every worker within the keyring's
  refresh (`refresh_interval`);
- a malformed message is the client's mistake: graphql-transport-ws closes with 4400 and a
  reason, as its protocol says; graphql-ws answers an `error` message and goes on. Neither logs
  a traceback for it.

Every operation goes through the front door (schema/front_door.py), which admits it (limits,
key and roles of now: schema/admission.py); queries and mutations run over both protocols.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from contextgraph.resolvers.access.keys import KEY_REQUIRED, KEY_REVOKED
from contextgraph.resolvers.errors import ContextError, NotAuthorized, TooManyRequests

REVOKED = 4401  # the close code for a key that is missing, wrong or revoked
_MOST_REASON = 123  # bytes a close frame's reason may hold


def close_reason(text: str) -> str:
    """`text` cut to what a close frame may carry (123 bytes of UTF-8)."""
    return text.encode()[:_MOST_REASON].decode(errors="ignore")


class _Connection(abc.ABC):
    """What both protocols' handlers share: the key named at `connection_init`, and the watch
    over its revocation (from the socket's start to its end)."""

    context: dict[str, Any]
    view: Any
    websocket: Any
    _unwatch: Callable[[], None] | None = None
    _revoking: asyncio.Task[None] | None = None

    def _authenticate(self, payload: object) -> ContextError | None:
        """Set the context's principal from the payload's Authorization, or the refusal."""
        if self.context.get("principal") is not None:  # the upgrade request named it
            return None
        params = payload if isinstance(payload, dict) else {}
        header = params.get("Authorization") or params.get("authorization")
        try:
            principal = self.view.authenticate(
                self.context["request"].scope, header if isinstance(header, str) else None
            )
        except (NotAuthorized, TooManyRequests) as refusal:
            return refusal
        if principal is None:
            return NotAuthorized(KEY_REQUIRED)
        self.view.authenticated(self.context, principal)
        return None

    async def handle(self) -> None:
        self._watch()
        try:
            await super().handle()  # type: ignore[misc]  # the protocol's own handler, next in line
        finally:
            self._stop_watching()

    def _watch(self) -> None:
        principal = self.context.get("principal")
        if principal is not None and self._unwatch is None:
            self._unwatch = self.context["runtime"].keyring.watch(principal.key_id, self._revoked)

    def _stop_watching(self) -> None:
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None

    def _revoked(self) -> None:
        self._revoking = asyncio.get_running_loop().create_task(self._close_revoked())

    async def _close_revoked(self) -> None:
        await self._stop_operations()
        await self.websocket.close(REVOKED, KEY_REVOKED)

    @abc.abstractmethod
    async def _stop_operations(self) -> None:
        """End every operation the socket runs (each protocol keeps them its own way)."""


def _refusal_code(refusal: ContextError) -> int:
    return 4429 if isinstance(refusal, TooManyRequests) else REVOKED


def _subscribe_problem(message: dict[str, Any]) -> str | None:
    """What is wrong with a subscribe (or start) message's id and payload, if anything."""
    if not isinstance(message.get("id"), str) or not message["id"]:
        return "the message needs an id (a non-empty string)"
    payload = message.get("payload")
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return "the message's payload needs a query (a string)"
    for name, kind in (("variables", dict), ("operationName", str), ("extensions", dict)):
        if payload.get(name) is not None and not isinstance(payload[name], kind):
            return f"the payload's {name} must be {'an object' if kind is dict else 'a string'} or null"
    return None


class TransportWSHandler(_Connection, BaseGraphQLTransportWSHandler[dict[str, Any], Any]):
    """graphql-transport-ws."""

    async def handle_message(self, message: Any) -> None:
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.handle_invalid_message("a message is a JSON object with a type")
            return
        if message["type"] == "subscribe" and (problem := _subscribe_problem(message)) is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)  # type: ignore[arg-type]

    async def handle_connection_init(self, message: Any) -> None:
        if not self.connection_init_received and not self.connection_timed_out:
            refusal = self._authenticate(message.get("payload"))
            if refusal is not None:
                self.connection_init_received = True
                if self.connection_init_timeout_task:
                    self.connection_init_timeout_task.cancel()
                await self.websocket.close(_refusal_code(refusal), close_reason(refusal.description))
                return
        await super().handle_connection_init(message)
        self._watch()

    async def handle_task_exception(self, error: Exception) -> None:
        if not isinstance(error, WebSocketDisconnected):  # the client left while answered: its right
            await super().handle_task_exception(error)

    async def _stop_operations(self) -> None:
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)


class LegacyWSHandler(_Connection, BaseGraphQLWSHandler[dict[str, Any], Any]):
    """graphql-ws (subscriptions-transport-ws), which Apollo's older clients speak."""

    async def handle_message(self, message: Any) -> None:
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            unreadable: Any = {"type": "error", "payload": {"message": "a message is a JSON object with a type"}}
            await self.send_message(unreadable)
            return
        if message["type"] == "start" and (problem := _subscribe_problem(message)) is not None:
            error: Any = {"type": "error", "payload": {"message": problem}}
            if isinstance(message.get("id"), str):
                error["id"] = message["id"]
            await self.send_message(error)
            return
        if message["type"] == "stop" and not isinstance(message.get("id"), str):
            return
        await super().handle_message(message)  # type: ignore[arg-type]

    async def handle_connection_init(self, message: Any) -> None:
        refusal = self._authenticate(message.get("payload"))
        if refusal is not None:
            await self.send_message({"type": "connection_error", "payload": {"message": refusal.description}})
            await self.websocket.close(_refusal_code(refusal), close_reason(refusal.description))
            return
        await super().handle_connection_init(message)
        self._watch()

    async def handle_async_results(
        self, operation_id: str, query: str, operation_name: str | None, variables: dict[str, object] | None
    ) -> None:
        with contextlib.suppress(WebSocketDisconnected):  # the client left while answered: its right
            await super().handle_async_results(operation_id, query, operation_name, variables)

    async def _stop_operations(self) -> None:
        await self.cleanup()
