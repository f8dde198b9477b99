"""Security headers on every HTTP response: a Content-Security-Policy, no framing, no sniffing, no
referrer, and `Cache-Control: no-store` unless the response chose its own caching.

A response that sets one of these headers itself keeps its own: the content URLs of interactions
send a stricter policy (a sandbox), revalidated GETs send `private` with `Vary: Authorization`.
The pages (GraphiQL, the journey viewer) load scripts and styles from files on this server only:
no inline script or style, no eval. Their websockets go to the same host; CSP 3 counts ws/wss of
the page's own host as 'self', older browsers need them named, so the policy names them.
"""

from __future__ import annotations

import re
from functools import lru_cache

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_DIRECTIVES = (
    "default-src 'self'",
    "script-src 'self'",
    # GraphiQL's menus and dialogs (Radix, react-remove-scroll) lock the page's scrolling with one
    # <style> element while open; its text is fixed for a page without a scrollbar, so its hash
    # allows it and nothing else inline.
    "style-src 'self' 'sha256-Y/huXlwoYkVyQlxwSVcCi1RCDGDCSVBzDt0hYP9qlTc='",
    "img-src 'self' data:",
    "font-src 'self' data:",  # GraphiQL's stylesheet carries its fonts as data: URLs
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
POLICY = "; ".join(_DIRECTIVES)

_FIXED = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
)
_CSP = b"content-security-policy"
_NAMES = frozenset(name for name, _ in _FIXED) | {_CSP}
# A Host header worth naming in connect-src: a name or address and a port, nothing that could end
# the directive (`;`, `,`, spaces) or add a source of its own.
_HOST = re.compile(rb"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
_WITHOUT_HOST = f"{POLICY}; connect-src 'self'".encode()


@lru_cache(maxsize=64)  # one server answers to a few names: each policy is made once
def policy_for(host: bytes | None) -> bytes:
    """The page policy for a request to `host` (its Host header): websockets to that host allowed."""
    if host is None or not _HOST.fullmatch(host):
        return _WITHOUT_HOST
    return b"%s; connect-src 'self' ws://%s wss://%s" % (POLICY.encode(), host, host)


class SecurityHeaders:
    """ASGI middleware adding the headers above to every `http.response.start` that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers} & _NAMES
                headers.extend(pair for pair in _FIXED if pair[0] not in present)
                if _CSP not in present:
                    headers.append((_CSP, policy_for(_host(scope))))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _host(scope: Scope) -> bytes | None:
    for name, value in scope.get("headers", ()):
        if name == b"host":
            return bytes(value)
    return None
