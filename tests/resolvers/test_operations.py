"""Domain tests: the catalog's operations called directly, without HTTP. An operation checks the
principal's roles (before it reads its input), checks its input with the documented messages, and
runs; what it refuses writes nothing."""

from __future__ import annotations

import re

import pytest
from starlette.applications import Starlette

from contextgraph.resolvers.access.roles import TASKS, Principal
from contextgraph.resolvers.context import Context
from contextgraph.resolvers.errors import BadParameter, Forbidden
from contextgraph.resolvers.journeys import composite, services, states
from contextgraph.resolvers.profiles import profiles
from tests.conftest import snapshot


def _context(app: Starlette, *tasks: str) -> Context:
    return app.state.runtime.context(Principal("k1", "test", frozenset(tasks or TASKS)))


async def test_an_operation_runs_for_a_principal_with_its_role(app: Starlette) -> None:
    ctx = _context(app)
    customer_id = await profiles.create_profile(ctx, {"body": {"FirstName": "Ada"}})
    service_id = await services.start_service(ctx, {"body": {"customer_id": customer_id, "service_type": 7}})
    state_id = await states.start_state(ctx, {"service_id": service_id, "body": {"state_type": 1}})
    tree = await services.get_service(ctx, {"service_id": service_id, "include": {"active_states": "true"}})
    assert [s.id for s in tree.states or []] == [state_id]
    assert tree.service.customer_id == customer_id


async def test_roles_come_first_then_the_input(app: Starlette) -> None:
    reader = _context(app, "UCS.Service.readService")
    before = await snapshot(app)
    with pytest.raises(Forbidden, match=r"UCS\.Service\.startService"):
        await services.start_service(reader, {"body": "not even an object"})  # the input is never looked at
    with pytest.raises(Forbidden, match=r"UCS\.Service\.readState"):  # what a read includes needs its role too
        await services.get_service(reader, {"service_id": 1, "include": {"active_states": True}})
    assert await snapshot(app) == before


async def test_inputs_are_checked_with_the_documented_messages(app: Starlette) -> None:
    ctx = _context(app)
    with pytest.raises(
        BadParameter, match=re.escape("bad parameter 'service_type' reason : mandatory field is missing")
    ):
        await services.start_service(ctx, {"body": {"contact_key": "k"}})
    with pytest.raises(BadParameter, match=re.escape("'est_duration' reason : must not be negative")):
        await services.start_service(ctx, {"body": {"service_type": 1, "contact_key": "k", "est_duration": -5}})
    with pytest.raises(BadParameter, match=re.escape("'active_states' reason : expected true or false")):
        await services.get_service(ctx, {"service_id": 1, "include": {"active_states": "maybe"}})


async def test_the_composite_start_needs_start_task_only_for_a_task(app: Starlette) -> None:
    ctx = _context(app, "UCS.Service.startService", "UCS.Service.startState")
    item = {"service": {"service_type": 1, "contact_key": "k"}, "state": {"state_type": 2}}
    before = await snapshot(app)
    with pytest.raises(Forbidden, match=r"UCS\.Service\.startTask"):
        await composite.composite_start(ctx, {"services": [item | {"task": {"task_type": 3}}]})
    assert await snapshot(app) == before
    (result,) = await composite.composite_start(ctx, {"services": [item]})
    assert (result.service_created, result.state_created, result.task_id) == (True, True, None)
