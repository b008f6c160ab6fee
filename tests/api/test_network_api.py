"""The node's network API: only the hub's service token opens it (docs/NETWORK.md, Trust)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from network_common.jwks import JwksCache
from tests.conftest import NodeFactory
from tests.support.builders import api_key, two_library_institution
from tests.support.nodes import GraphQLErrors, NodeHarness
from tests.support.service_tokens import hub_key, hub_settings, service_token

NETWORK = "/network/graphql"
MEMBER = "query { member { code name uresolverRemoteRegister pickupAnywhere returnAnywhere } }"

KEY = hub_key()


@pytest.fixture
async def node(node_factory: NodeFactory) -> NodeHarness:
    data = two_library_institution("UNIA", uresolver_remote_register="MANUAL")
    return await node_factory(data, **hub_settings(KEY))


async def test_hub_service_token_reads_member_settings(node: NodeHarness) -> None:
    data = await node.gql(MEMBER, token=service_token(KEY, "UNIA"), path=NETWORK)
    assert data["member"] == {
        "code": "UNIA",
        "name": "University UNIA",
        "uresolverRemoteRegister": "MANUAL",
        "pickupAnywhere": [],
        "returnAnywhere": False,
    }


async def _refused(node: NodeHarness, token: str | None) -> None:
    with pytest.raises(GraphQLErrors) as caught:
        await node.gql(MEMBER, token=token, path=NETWORK)
    assert caught.value.codes == ["UNAUTHENTICATED"]
    assert "UNIA" not in str(caught.value.errors)


async def test_missing_token_is_refused(node: NodeHarness) -> None:
    await _refused(node, None)


async def test_staff_token_of_this_node_is_refused(node: NodeHarness) -> None:
    await _refused(node, await node.token(api_key("unia-admin")))


async def test_expired_service_token_is_refused(node: NodeHarness) -> None:
    await _refused(node, service_token(KEY, "UNIA", issued_at=time.time() - 3600))


async def test_service_token_for_another_member_is_refused(node: NodeHarness) -> None:
    await _refused(node, service_token(KEY, "UNIB"))


async def test_forged_signature_is_refused(node: NodeHarness) -> None:
    # Claims the hub's key id, but is signed with another key.
    await _refused(node, service_token(hub_key(), "UNIA", kid=KEY.kid))


async def test_wrong_issuer_or_type_is_refused(node: NodeHarness) -> None:
    await _refused(node, service_token(KEY, "UNIA", issuer="UNIB"))
    await _refused(node, service_token(KEY, "UNIA", typ="staff"))


async def test_node_without_hub_keys_refuses_everyone(node_factory: NodeFactory) -> None:
    bare = await node_factory(two_library_institution("UNIA"))
    await _refused(bare, service_token(KEY, "UNIA"))


async def test_refusal_comes_before_the_schema_is_consulted(node: NodeHarness) -> None:
    body = await node.gql_raw("{ noSuchField }", token="not-a-jwt", path=NETWORK)
    assert body == {
        "data": None,
        "errors": [
            {
                "message": "A valid network hub service token is required",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ],
    }


async def test_artificial_delay_applies_to_hub_calls(node_factory: NodeFactory) -> None:
    slow = await node_factory(
        two_library_institution("UNIA"), network_delay_ms=150, **hub_settings(KEY)
    )
    started = time.perf_counter()
    await slow.gql(MEMBER, token=service_token(KEY, "UNIA"), path=NETWORK)
    assert time.perf_counter() - started >= 0.15


async def test_hub_keys_are_fetched_from_the_jwks_url(node_factory: NodeFactory) -> None:
    """The production path: keys from NODE_HUB_JWKS_URL, refetched when the hub rotates."""
    current = {"key": KEY}
    fetches: list[str] = []

    def hub(request: httpx.Request) -> httpx.Response:
        fetches.append(str(request.url))
        return httpx.Response(200, json=current["key"].jwks())

    node = await node_factory(two_library_institution("UNIA"))
    http = httpx.AsyncClient(transport=httpx.MockTransport(hub))
    node.runtime.hub_keys = JwksCache("http://hub.test/.well-known/jwks.json", http, min_refresh=0)
    try:
        await node.gql(MEMBER, token=service_token(KEY, "UNIA"), path=NETWORK)
        rotated = hub_key()
        current["key"] = rotated
        await node.gql(MEMBER, token=service_token(rotated, "UNIA"), path=NETWORK)
        await _refused(node, service_token(KEY, "UNIA"))  # the old key is gone
    finally:
        await http.aclose()
    assert fetches[:2] == ["http://hub.test/.well-known/jwks.json"] * 2


async def test_variable_out_of_range_is_bad_input_not_internal(node: NodeHarness) -> None:
    # A variable GraphQL cannot coerce is the caller's mistake, named as such (not INTERNAL).
    query = "query($first: Int!) { linkedAccounts(first: $first) { nextAfter } }"
    with pytest.raises(GraphQLErrors) as caught:
        await node.gql(query, {"first": 2**31 + 5}, token=service_token(KEY, "UNIA"), path=NETWORK)
    assert caught.value.codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert "Int cannot represent" in caught.value.errors[0]["message"]


@pytest.mark.parametrize("document", [[], {"keys": ["x"]}, {"keys": [{"kid": "k"}]}, "keys"])
async def test_a_malformed_jwks_document_refuses_as_unauthenticated(
    node_factory: NodeFactory, document: Any
) -> None:
    # A JWKS URL answering JSON that is not a key set: every call is the usual refusal.
    def hub(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=document)

    node = await node_factory(two_library_institution("UNIA"))
    http = httpx.AsyncClient(transport=httpx.MockTransport(hub))
    node.runtime.hub_keys = JwksCache("http://hub.test/.well-known/jwks.json", http, min_refresh=0)
    try:
        await _refused(node, service_token(KEY, "UNIA"))
    finally:
        await http.aclose()
