"""Business attributes from the config file, `map_name`, and the roles list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from contextgraph.resolvers.access.roles import TASKS
from tests.helpers import assert_error, new_service, new_state, new_task


async def test_documented_defaults(client: httpx.AsyncClient) -> None:
    media = (await client.get("/metadata/business-attributes/MediaType")).json()
    assert media["cv_attributes"] == ["Service.media_type", "State.media_type", "Task.media_type"]
    assert {v["name"]: v["dbid"] for v in media["values"]} == {"voice": 1001, "email": 1003, "chat": 1006, "fax": 1014}
    assert media["map_name"] is False
    everything = (await client.get("/metadata/business-attributes")).json()
    assert {"MediaType", "ServiceType", "StateType", "TaskType", "DispositionCode"} <= {a["name"] for a in everything}
    found = (await client.get("/metadata/business-attributes?cv-attribute=task.disposition")).json()
    assert found["name"] == "DispositionCode"
    assert_error(await client.get("/metadata/business-attributes/Nope"), 404, method="GET")
    assert_error(await client.get("/metadata/business-attributes?cv-attribute=Service.nope"), 404, method="GET")


async def test_roles_list_every_task(client: httpx.AsyncClient) -> None:
    roles = (await client.get("/metadata/roles")).json()
    names = {t["name"] for t in roles[0]["tasks"]}
    assert names == set(TASKS)
    assert {
        "UCS.Customer.createProfile",
        "UCS.Service.startService",
        "UCS.SchemaMgt.handleMetadata",
        "UCS.SystemMgt.changeServerMode",
        "UCS.Customer.executeBulkImport",
    } <= names


class TestMapName:
    @pytest.fixture
    def settings_overrides(self, tmp_path: Path) -> dict[str, Any]:
        config = tmp_path / "cg.toml"
        config.write_text("""
[[business_attributes]]
name = "MediaType"
dbid = 1
map_name = true
cv_attributes = ["Service.media_type", "State.media_type", "Task.media_type"]
values = [{name = "voice", dbid = 1001}, {name = "chat", dbid = 1006}]

[[business_attributes]]
name = "DispositionCode"
dbid = 2
map_name = true
cv_attributes = ["State.disposition"]
values = [{name = "resolved", dbid = 10}]
""")
        return {"config_file": str(config)}

    async def test_get_answers_show_names_for_mapped_ids(self, client: httpx.AsyncClient) -> None:
        service_id = await new_service(client, media_type=1001)
        state_id = await new_state(client, service_id, media_type=1006)
        await client.post(f"/services/{service_id}/states/{state_id}/end", json={"disposition": 10})
        await new_task(client, service_id, media_type=77)  # an id no value has stays an id
        service = (await client.get(f"/services/{service_id}?completed_states=true&active_tasks=true")).json()
        assert service["started"]["media_type"] == "voice"
        assert service["completed_states"][0]["started"]["media_type"] == "chat"
        assert service["completed_states"][0]["disposition"] == "resolved"
        assert service["active_tasks"][0]["started"]["media_type"] == 77
        state = (await client.get(f"/services/{service_id}/states/{state_id}")).json()
        assert state["disposition"] == "resolved"
        assert [b["name"] for b in (await client.get("/metadata/business-attributes")).json()] == [
            "MediaType",
            "DispositionCode",
        ]
