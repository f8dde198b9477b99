"""`GET /openapi.json`: an OpenAPI 3.0 document of the REST layer, made from the route table and the
catalog (every path, method, path parameter, role, and the schema of event bodies), for legacy
client developers and for fuzzing. OpenAPI links say which operations take the id an operation
creates (`POST /services/start` -> `GET /services/{service_id}`, …): stateful fuzzing follows them.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from contextgraph.compat_rest.binding import Binding
from contextgraph.compat_rest.http import JSONResponse
from contextgraph.compat_rest.routes import BINDINGS
from contextgraph.resolvers.version import VERSION

_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")
_FLAGS = ("active_states", "completed_states", "active_tasks", "completed_tasks")
_ERROR = {
    "type": "object",
    "required": ["http_method", "title", "description", "code", "uri"],
    "properties": {
        "http_method": {"type": "string"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "code": {"type": "integer"},
        "uri": {"type": "string"},
    },
}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_FAILURES = {
    "400": "bad parameter or body",
    "401": "no API key, or an unknown or revoked one",
    "403": "the key lacks the role, or the server mode forbids it",
    "404": "not found",
    "409": "conflict",
    "413": "body too large",
    "415": "not JSON",
    "429": "over the key's rate limit",
    "503": "switching modes, or the database is away",
}
# The operations that create something, and the field of their 201 answer that names it.
_CREATES = {
    ("POST", "/profiles"): "customer_id",
    ("POST", "/services/start"): "service_id",
    ("POST", "/services/{service_id:int}/states/start"): "state_id",
    ("POST", "/services/{service_id:int}/tasks/start"): "task_id",
}


def _operation_id(method: str, path: str) -> str:
    return f"{method.lower()}{re.sub(r'[^A-Za-z0-9]+', '_', path)}"


def _links(method: str, path: str, routes: list[tuple[str, str]]) -> dict[str, Any]:
    """The 201 answer's links: every operation whose path parameters are the created id and the
    creating operation's own path parameters.
    """
    created = _CREATES[method, path]
    known = {name: f"$request.path.{name}" for name, _ in _PARAM.findall(path)}
    known[created] = f"$response.body#/{created}"
    links: dict[str, Any] = {}
    for other_method, other in routes:
        names = [name for name, _ in _PARAM.findall(other)]
        if created in names and set(names) <= set(known):
            target = _operation_id(other_method, other)
            links[target] = {"operationId": target, "parameters": {name: known[name] for name in names}}
    return links


def _body_schema(binding: Binding) -> dict[str, Any]:
    """The JSON schema of the body the operation takes, from its input model (extension values are
    any other key of an event body)."""
    field = binding.operation.input.model_fields.get("body")
    model = field.annotation if field is not None else None
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return {"type": "object"} if field is not None else {}
    schema = model.model_json_schema(by_alias=True)
    schema.get("properties", {}).pop("extensions", None)
    schema["additionalProperties"] = True
    return schema


def _operation(binding: Binding) -> dict[str, Any]:
    method, path, tasks = binding.method, binding.path, binding.tasks()
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "format": "int64"} if kind == "int" else {"type": "string", "minLength": 1},
        }
        for name, kind in _PARAM.findall(path)
    ]
    if method == "GET" and "/services" in path:
        parameters += [{"name": f, "in": "query", "schema": {"type": "boolean"}} for f in _FLAGS]
        parameters.append(
            {
                "name": "extensions",
                "in": "query",
                "schema": {"type": "string"},
                "description": "comma-separated extension names",
            }
        )
    more = binding.operation.more_tasks_doc
    operation: dict[str, Any] = {
        "operationId": _operation_id(method, path),
        "summary": binding.operation.summary,
        "description": f"Catalog operation `{binding.operation.name}`. Needs the role(s): {', '.join(tasks)}"
        + (f" (and {more})." if more else "."),
        "x-contextgraph-operation": binding.operation.name,
        "x-contextgraph-roles": list(tasks),
        "parameters": parameters,
        "responses": {
            "200": {"description": "done"},
            "201": {"description": "created"},
            "204": {"description": "done, no body"},
            **{
                code: {"description": text, "content": {"application/json": {"schema": _ERROR_REF}}}
                for code, text in _FAILURES.items()
            },
        },
    }
    if path.endswith("/profiles/import"):
        operation["requestBody"] = {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "description": {"type": "string"},
                            "profiles": {"type": "string", "format": "binary"},
                        },
                    }
                }
            }
        }
    elif method in ("POST", "PUT"):
        operation["requestBody"] = {"content": {"application/json": {"schema": _body_schema(binding)}}}
    return operation


def document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    routes = [(binding.method, binding.path) for binding in BINDINGS]
    for binding in BINDINGS:
        method, path = binding.method, binding.path
        plain = _PARAM.sub(lambda m: "{" + m.group(1) + "}", path)
        operation = paths.setdefault(plain, {})[method.lower()] = _operation(binding)
        if (method, path) in _CREATES:
            field = _CREATES[method, path]
            operation["responses"]["201"] = {
                "description": "created",
                "links": _links(method, path, routes),
                "content": {
                    "application/json": {"schema": {"type": "object", "required": [field], "properties": {field: {}}}}
                },
            }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Context Graph — Context Services REST API",
            "version": VERSION,
            "description": "The documented Context Services operations (spec/004), served at / and "
            "under /genesys/1/cs. Every operation needs an API key.",
        },
        "servers": [{"url": "/"}, {"url": "/genesys/1/cs"}],
        "security": [{"bearer": []}, {"basic": []}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "basic": {"type": "http", "scheme": "basic", "description": "the key as password"},
            },
            "schemas": {"Error": _ERROR},
        },
        "paths": paths,
    }


async def openapi(_request: Request) -> Response:
    return JSONResponse(document())
