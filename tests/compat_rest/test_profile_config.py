"""The profile attribute schema and the reserved-value switch come from the config file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import assert_error

CONFIG = """
check_reserved_values = false

[[profile_attributes]]
name = "FirstName"
mandatory = true

[[profile_attributes]]
name = "Segment"
length = 4
default = "gold"

[[profile_attributes]]
name = "DOB"
type = "datetime"
"""


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    config = tmp_path / "contextgraph.toml"
    config.write_text(CONFIG)
    return {"config_file": str(config)}


async def test_configured_schema_is_enforced(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/metadata/profiles")).json()
    assert [a["name"] for a in schema] == ["FirstName", "Segment", "DOB"]

    assert_error(await client.post("/profiles", json={"DOB": "1962-05-10"}), 400, method="POST", fragment="FirstName")
    assert_error(
        await client.post("/profiles", json={"FirstName": "A", "Segment": "platinum"}),
        400,
        method="POST",
        fragment="Segment",
    )
    assert_error(
        await client.post("/profiles", json={"FirstName": "A", "LastName": "B"}),
        400,
        method="POST",
        fragment="LastName",
    )

    response = await client.post("/profiles", json={"FirstName": "Select", "DOB": "1962-05-10"})
    assert response.status_code == 201, response.text
    profile = (await client.get(f"/profiles/{response.json()['customer_id']}")).json()
    assert profile["FirstName"] == "Select"  # values are not checked for reserved words here
    assert profile["Segment"] == "gold"
    assert profile["DOB"] == "1962-05-10T00:00:00.000Z"
