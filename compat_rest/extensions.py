"""Extension operations: replace an extension's value, and update or delete one record found by its
unique attributes, for profiles, services, states and tasks; several profile extensions at once.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from contextgraph.compat_rest.binding import Call
from contextgraph.compat_rest.http import no_content, ok_empty, read_json


def _owner(call: Call) -> dict[str, Any]:
    """The owner the path names, as the operation takes it."""
    p = call.params
    if "customer_id" in p:
        return {"customer_id": p["customer_id"]}
    return {"service_id": p["service_id"], "owner_id": p.get("state_id", p.get("task_id"))}


async def replace(call: Call) -> Response:
    await call(**_owner(call), name=call.params["name"], body=await read_json(call.request))
    return ok_empty()


async def update_by_unique(call: Call) -> Response:
    await call(**_owner(call), name=call.params["name"], body=await read_json(call.request))
    return no_content()


async def delete_by_unique(call: Call) -> Response:
    await call(**_owner(call), name=call.params["name"], body=await read_json(call.request))
    return no_content()


async def insert_profile_extensions(call: Call) -> Response:
    await call(customer_id=call.params["customer_id"], body=await read_json(call.request))
    return ok_empty()
