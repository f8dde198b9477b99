

async def test_a_retried_conditional_start_replays_rather_than_412(app: Starlette, client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    read = await etag(client, f"/services/{service_id}")
    start = """mutation($s: Long!, $v: String, $k: String) {
      startState(serviceId: $s, input: {stateType: 4}, ifMatch: $v, idempotencyKey: $k) { stateId } }"""
    first = await gql(client, start, s=service_id, v=read, k="ivr-retry")
    assert "errors" not in first, first
    # The start moved the service's version: the same request again is the first one's retry, not a stale write.
    before = await snapshot(app)
    assert await gql(client, start, s=service_id, v=read, k="ivr-retry") == first
    assert await snapshot(app) == before
    # A refused start keeps no key: sent again with a fresh version under that key, it runs.
    refused(await gql(client, start, s=service_id, v=read, k="after-412"), 4120)
    again = await gql(client, start, s=service_id, v=await etag(client, f"/services/{service_id}"), k="after-412")
    assert "errors" not in again, again
    assert again["data"]["startState"]["stateId"] != first["data"]["startState"]["stateId"]
