"""Authentication: every HTTP request and websocket names an API key, or is refused with 401.

    Authorization: Bearer <key>            (clients, DESIGN's operator contract)
    Authorization: Basic <user:key>        (legacy clients and browsers: the key is the password)

The key's Principal goes to `scope["state"]["principal"]`; what it may do is checked per operation
(compat_rest routes, schema/guard). Two exceptions, both without a key:
- `GET /server/status` answers readiness (`{"ready": true}`) so load balancers and orchestrators can
  probe without a secret; the documented status body needs a key with UCS.SystemMgt.readServerInfo.
- A websocket without the header may still open: graphql-transport-ws then authenticates its
  `connection_init` payload (`{"Authorization": "Bearer …"}`), since browsers cannot set headers.
A wrong key is refused everywhere, the anonymous paths included; so is a browser's write or
websocket whose Origin is another site (cross-site request forgery with the browser's Basic
credentials). An address that sends too many wrong keys is throttled (app/throttle.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from contextgraph.app.ratelimit import RateLimiter
from contextgraph.app.respond import send_error
from contextgraph.app.throttle import FailedKeys, client_address
from contextgraph.compat_rest.http import header
from contextgraph.resolvers.access.keys import KEY_REQUIRED, Keyring, authenticate, credential, require_principal
from contextgraph.resolvers.access.roles import Principal
from contextgraph.resolvers.errors import ContextError, Forbidden, NotAuthorized, TooManyRequests

# Two challenges, one header each: browsers answer Basic with a prompt; API clients read Bearer.
CHALLENGES = [
    (b"www-authenticate", b'Basic realm="Context Graph", charset="UTF-8"'),
    (b"www-authenticate", b'Bearer realm="Context Graph"'),
]
_STATUS_PATHS = frozenset(
    {"/server/status", "/server/status/", "/genesys/1/cs/server/status", "/genesys/1/cs/server/status/"}
)


def authenticate_client(scope: Scope, authorization: str | None) -> Principal | None:
    """`authenticate` for the client of `scope`: TooManyRequests, before the key is looked at,
    while the client's address has sent too many wrong keys; a wrong key counts against it.
    """
    if credential(authorization) is None:
        return None
    failed_keys: FailedKeys = scope["app"].state.failed_keys
    address = client_address(scope)
    failed_keys.check(address)
    keyring: Keyring = scope["app"].state.runtime.keyring
    try:
        return authenticate(keyring, authorization)
    except NotAuthorized:
        failed_keys.failed(address)
        raise


def principal_of(scope: Scope) -> Principal:
    """The request's principal; only the anonymous status probe may run without one."""
    return require_principal(scope.get("state", {}).get("principal"))


class Authentication:
    """ASGI middleware: resolves the principal before any route runs, and spends one request of
    its rate limit (429 with Retry-After over it).
    """

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app, self.limiter = app, limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if _cross_site(scope):
            await _deny(scope, send, Forbidden("a cross-site request is refused (its Origin is not this server)"), 4403)
            return
        try:
            principal = authenticate_client(scope, header(scope, b"authorization"))
        except NotAuthorized as error:
            await _deny(scope, send, error, 4401, CHALLENGES)
            return
        except TooManyRequests as error:
            await _deny(scope, send, error, 4429, [(b"retry-after", str(error.retry_after).encode())])
            return
        anonymous_ok = scope["type"] == "websocket" or (
            scope["method"] in ("GET", "HEAD") and scope["path"] in _STATUS_PATHS
        )
        if principal is None and not anonymous_ok:
            await _deny(scope, send, NotAuthorized(KEY_REQUIRED), 4401, CHALLENGES)
            return
        if principal is not None:
            try:
                self.limiter.take(principal.key_id)
            except TooManyRequests as error:
                await _deny(scope, send, error, 4429, [(b"retry-after", str(error.retry_after).encode())])
                return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


def _cross_site(scope: Scope) -> bool:
    """A browser's write or websocket from another site's page. Browsers send Basic credentials
    they hold for this server along with such requests (a form post, a websocket), so a page
    elsewhere could act with them: refuse whatever names an Origin that is not this host.
    """
    if scope["type"] == "http" and scope["method"] in ("GET", "HEAD", "OPTIONS"):
        return False
    origin = header(scope, b"origin")
    if origin is None:  # not a browser (or a same-origin GET): nothing to fear
        return False
    return origin == "null" or urlsplit(origin).netloc.lower() != (header(scope, b"host") or "").lower()


async def _deny(
    scope: Scope, send: Send, error: ContextError, close_code: int, headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    """The documented error. A websocket's handshake is answered with it where the server can
    (uvicorn can: the client sees the status and the JSON body); else it is closed with
    `close_code` (4401, 4403, 4429) and the error's description as the reason.
    """
    if scope["type"] == "websocket" and "websocket.http.response" not in scope.get("extensions", {}):
        reason = error.description.encode()[:123].decode(errors="ignore")
        await send({"type": "websocket.close", "code": close_code, "reason": reason})
        return
    await send_error(scope, send, error, headers)
