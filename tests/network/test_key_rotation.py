"""Rotating the node's and the hub's signing keys: no valid token breaks (real hub + nodes)."""

from __future__ import annotations

import time

import pytest

from tests.network.conftest import NetworkFactory
from tests.support.builders import api_key, two_library_institution
from tests.support.network import LiveNetwork
from tests.support.nodes import GraphQLErrors

pytestmark = pytest.mark.network

MEMBERS = "query { members { code reachable uresolverRemoteRegister } }"
LIBRARIES = "{ libraries { code } }"


async def _node_gql(net: LiveNetwork, code: str, token: str) -> dict[str, object]:
    node = net.nodes[code]
    response = await node.http.post(
        f"{node.url}/graphql",
        json={"query": LIBRARIES},
        headers={"authorization": f"Bearer {token}"},
    )
    body: dict[str, object] = response.json()
    return body


async def _jwks_kids(net: LiveNetwork, url: str) -> list[str]:
    response = await net.http.get(f"{url}/.well-known/jwks.json")
    return [k["kid"] for k in response.json()["keys"]]


@pytest.fixture
async def net(network_factory: NetworkFactory) -> LiveNetwork:
    return await network_factory([two_library_institution("UNIA"), two_library_institution("UNIB")])


async def test_node_key_rotation_keeps_old_tokens_and_accepts_new_ones(
    net: LiveNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    unia = net.nodes["UNIA"]
    old_token = await unia.token(api_key("unia-admin"))
    assert (await net.hub_gql(MEMBERS, token=old_token))["members"]  # the hub knows the old kid
    old_kid = unia.runtime.keyring.current.kid

    new_kid = unia.runtime.keyring.rotate(overlap_seconds=960).kid
    assert await _jwks_kids(net, unia.url) == [new_kid, old_kid]
    new_token = await unia.token(api_key("unia-admin"))
    # Both tokens work at the node and at the hub (which meets the new kid and refetches).
    for token in (old_token, new_token):
        assert "errors" not in await _node_gql(net, "UNIA", token)
        assert len((await net.hub_gql(MEMBERS, token=token))["members"]) == 2

    # Once the overlap has ended the old key is no longer published nor accepted.
    later = time.time() + 961
    monkeypatch.setattr(unia.runtime.keyring, "_clock", lambda: later)
    assert await _jwks_kids(net, unia.url) == [new_kid]
    body = await _node_gql(net, "UNIA", old_token)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"  # type: ignore[index]


async def test_hub_key_rotation_keeps_members_answering(net: LiveNetwork) -> None:
    token = await net.nodes["UNIA"].token(api_key("unia-admin"))
    before = await net.hub_gql(MEMBERS, token=token)
    assert all(m["reachable"] for m in before["members"])
    old_kid = net.hub_runtime.keyring.current.kid
    old_service_token = net.hub_runtime.registry.get("UNIB").service_token()  # type: ignore[union-attr]

    new_kid = net.hub_runtime.keyring.rotate(overlap_seconds=360).kid
    assert await _jwks_kids(net, net.hub_url) == [new_kid, old_kid]
    # New calls carry tokens of the new key; the nodes meet its kid, refetch and accept them.
    after = await net.hub_gql(MEMBERS, token=token)
    assert all(m["reachable"] for m in after["members"])
    # A service token signed before the rotation (e.g. in flight) is still accepted.
    unib = net.nodes["UNIB"]
    response = await unib.http.post(
        f"{unib.url}/network/graphql",
        json={"query": "{ member { code } }"},
        headers={"authorization": f"Bearer {old_service_token}"},
    )
    assert response.json() == {"data": {"member": {"code": "UNIB"}}}


async def test_a_forged_kid_is_refused(net: LiveNetwork) -> None:
    with pytest.raises(GraphQLErrors) as err:
        await net.hub_gql(MEMBERS, token="eyJhbGciOiJFUzI1NiIsImtpZCI6Im5vcGUifQ.e30.AAAA")
    assert err.value.codes == ["UNAUTHENTICATED"]
