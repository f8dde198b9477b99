"""How a documented REST path binds to a catalog operation: a `Binding` (method, path, operation,
the handler that translates the request and the answer, values the path fixes), and the `Call` a
handler gets. The roles come from the operation alone: a route checks them before it reads the body
(403 before 400), and the operation checks them again, with what its input adds, when it runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from contextgraph.resolvers.access.keys import require_principal
from contextgraph.resolvers.conditions import Conditions
from contextgraph.resolvers.context import Context, Runtime
from contextgraph.resolvers.operation import Operation


@dataclass(frozen=True)
class Call:
    """One request to one operation, as its handler sees it (`ctx`: the request's context)."""

    request: Request
    operation: Operation  # type: ignore[type-arg]
    fixed: Mapping[str, Any]
    ctx: Context

    @property
    def params(self) -> Mapping[str, Any]:
        """The path's parameters and the values the route fixes (an extension schema's kind)."""
        return {**self.request.path_params, **self.fixed}

    async def __call__(self, **input: Any) -> Any:
        """Run the operation with this input (the fixed values included)."""
        return await self.operation(self.ctx, {**self.fixed, **input})


Handler = Callable[[Call], Awaitable[Response]]


def conditions(request: Request, operation: Operation) -> Conditions:  # type: ignore[type-arg]
    """What the request's headers ask of a write (400 for a malformed one); a read has none."""
    if request.method in ("GET", "HEAD"):
        return Conditions()
    key = request.headers.get("idempotency-key") if operation.replay is not None else None
    return Conditions.of(if_match=request.headers.get("if-match"), idempotency_key_header=key)


@dataclass(frozen=True)
class Binding:
    """A documented path and method, bound to a catalog operation through its handler."""

    method: str
    path: str
    operation: Operation  # type: ignore[type-arg]
    handler: Handler
    fixed: Mapping[str, Any] = field(default_factory=dict)
    # What the path answers without any key (only the readiness probe has one).
    anonymous: Callable[[Request], Awaitable[Response]] | None = None

    def tasks(self) -> tuple[str, ...]:
        """The roles this route always needs (what a query includes may add more)."""
        op = self.operation
        if self.fixed and op.more_tasks is not None:
            return op.needs(op.input.model_construct(**self.fixed))
        return op.tasks

    async def endpoint(self, request: Request) -> Response:
        if self.anonymous is not None and request.scope.get("state", {}).get("principal") is None:
            return await self.anonymous(request)
        runtime: Runtime = request.app.state.runtime
        principal = require_principal(request.scope.get("state", {}).get("principal"))
        principal.require(*self.tasks())
        ctx = runtime.context(principal, conditions=conditions(request, self.operation))
        try:
            response = await self.handler(Call(request, self.operation, self.fixed, ctx))
        finally:
            await ctx.reads.close()  # the request's read session ends with it
        if ctx.conditions.replayed:  # the first answer of this Idempotency-Key, not a new write
            response.headers["Idempotent-Replayed"] = "true"
        return response
