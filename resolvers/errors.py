"""The one error tree of Context Graph; REST and GraphQL both translate it at their boundary.

ContextError
 ├── BadParameter        400  missing/ill-typed parameter, malformed body, reserved word
 ├── NotAuthorized       401  no API key, or an unknown or revoked one
 ├── Forbidden           403  a key without the role; maintenance mode, mode switch timed out
 ├── NotFound            404  unknown resource or path
 ├── MethodNotAllowed    405
 ├── Conflict            409  completing what is completed, starting under a completed parent;
 │                            an Idempotency-Key reused with another request
 ├── Gone                410  journey events a reconnecting subscriber asks for are no longer
 │                            replayable (purged, too many, or it fell behind): reload
 ├── PreconditionFailed  412  an If-Match that names an older version than the stored one
 ├── RequestTimeout      408  a body that did not arrive within the body timeout
 ├── PayloadTooLarge     413  a body over the configured limit
 ├── UnsupportedMedia    415  a body that is not JSON where JSON is required
 ├── TooManyRequests     429  a key over its rate limit
 ├── InternalError       500  anything unexpected (masked; details only in the log)
 └── Unavailable         503  the server is switching modes
"""

from __future__ import annotations


class ContextError(Exception):
    """Base of every error a client may see."""

    status = 500
    code = 5000
    title = "internal server error"

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class BadParameter(ContextError):
    """A parameter or body field is missing, ill-typed or not allowed."""

    status = 400
    code = 4020
    title = "bad parameter"

    def __init__(self, parameter: str, reason: str) -> None:
        super().__init__(f"bad parameter '{parameter}' reason : {reason}")
        self.parameter = parameter
        self.reason = reason


class MalformedBody(ContextError):
    """The request body cannot be parsed as the JSON the operation expects."""

    status = 400
    code = 4000
    title = "bad request"


class NotAuthorized(ContextError):
    """Credentials are missing or wrong."""

    status = 401
    code = 4010
    title = "not authorized"


class Forbidden(ContextError):
    """The operation is not allowed now (for instance in maintenance mode)."""

    status = 403
    code = 4030
    title = "forbidden"


class NotFound(ContextError):
    """The path or the resource it names does not exist."""

    status = 404
    code = 4040
    title = "not found"


class MethodNotAllowed(ContextError):
    """The path exists but not with this HTTP method."""

    status = 405
    code = 4050
    title = "method not allowed"


class Conflict(ContextError):
    """The resource is not in a state that allows the operation."""

    status = 409
    code = 4090
    title = "conflict"


class Gone(ContextError):
    """What was asked for is no longer kept (journey events to replay): reload instead."""

    status = 410
    code = 4100
    title = "gone"


class PreconditionFailed(ContextError):
    """The resource changed since the client read it (its If-Match names another version)."""

    status = 412
    code = 4120
    title = "precondition failed"


class RequestTimeout(ContextError):
    """The request body did not arrive in time (a client trickling it to hold a worker)."""

    status = 408
    code = 4080
    title = "request timeout"


class PayloadTooLarge(ContextError):
    """The request body is larger than the server accepts."""

    status = 413
    code = 4130
    title = "payload too large"


class TooManyRequests(ContextError):
    """The API key sent more requests than its rate limit allows; retry after `retry_after` s."""

    status = 429
    code = 4290
    title = "too many requests"

    def __init__(self, description: str, retry_after: int) -> None:
        super().__init__(description)
        self.retry_after = retry_after


class UnsupportedMedia(ContextError):
    """The body is not application/json where JSON is required."""

    status = 415
    code = 4150
    title = "unsupported media type"


class InternalError(ContextError):
    """Something unexpected happened; the log has the details under the request id."""

    status = 500
    code = 5000
    title = "internal server error"


class Unavailable(ContextError):
    """The server cannot take the request right now (switching modes)."""

    status = 503
    code = 5030
    title = "service unavailable"


def not_found(kind: str, key: object) -> NotFound:
    """The usual 404 for a missing resource: `not_found("service", 12)` (a long key shown cut)."""
    shown = str(key)
    return NotFound(f"{kind} '{shown if len(shown) <= 80 else shown[:77] + '…'}' not found")
