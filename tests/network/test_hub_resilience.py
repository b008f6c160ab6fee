"""Hub resilience and the rest of its surface: breakers, limits, masking, introspection,
the linked-user rule when allowed, health, metrics and the hub's public keys."""

from __future__ import annotations

import jwt
import pytest

from network_hub.services import network_activity as activity_service
from tests.network.conftest import NetworkFactory
from tests.network.test_network_activity import ACTIVITY, admin_token, holder, home_unia
from tests.support.network_data import member_with_linked_patrons

INTROSPECTION = "{ __schema { queryType { name } } }"
THREE_ALIASES = "{ a: members { code } b: members { code } c: members { code } }"
TOO_DEEP = '{ networkActivity(patronId: "P1") { institutions { feeBalances { amount } } } }'
MEMBER_CODES = "{ members { code } }"


async def test_repeated_failures_open_the_breaker(network_factory: NetworkFactory) -> None:
    net = await network_factory(
        [home_unia(), holder("UNIB", 1), holder("UNIC", 1)],
        hub_settings={"breaker_failures": 2, "breaker_cooldown_seconds": 60},
    )
    token = await admin_token(net)
    await net.nodes["UNIB"].stop()
    codes = []
    for _ in range(3):
        data = (await net.hub_gql(ACTIVITY, {"patronId": "L1"}, token=token))["networkActivity"]
        codes.append([(u["institutionCode"], u["code"]) for u in data["unavailable"]])
        assert data["loanCount"] == 1  # UNIC answers every time
    assert codes == [
        [("UNIB", "MEMBER_UNAVAILABLE")],
        [("UNIB", "MEMBER_UNAVAILABLE")],
        [("UNIB", "CIRCUIT_OPEN")],
    ]


async def test_linked_user_activity_when_cross_consortia_identifiers_is_on(
    network_factory: NetworkFactory,
) -> None:
    # UNIB holds UNIA:L1 as a linked user and allows cross-consortia identifiers.
    unib = member_with_linked_patrons(
        "UNIB", home="UNIA", patrons=1, cross_consortia_identifiers=True
    )
    net = await network_factory([home_unia(), unib, holder("UNIC", 1)])
    token = await admin_token(net, "UNIB")
    net.reset_calls()
    data = (await net.hub_gql(ACTIVITY, {"patronId": "UNIA:L1"}, token=token))["networkActivity"]
    assert data["homeInstitution"] == "UNIA"
    # Activity elsewhere (not at the caller's own institution, which it sees locally).
    assert [i["code"] for i in data["institutions"]] == ["UNIC"]
    # UNIB is asked only for its settings (cached for HUB_MEMBER_INFO_TTL_SECONDS; 0 here).
    assert net.nodes["UNIB"].network_calls == 1


async def test_limits_masking_and_introspection_switch(network_factory: NetworkFactory) -> None:
    net = await network_factory(
        [home_unia()], hub_settings={"introspection": False, "max_aliases": 2, "max_depth": 2}
    )
    token = await admin_token(net)
    body = await net.hub_gql_raw(INTROSPECTION, token=token)
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    body = await net.hub_gql_raw(THREE_ALIASES, token=token)
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    body = await net.hub_gql_raw(TOO_DEEP, token=token)
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    # The same queries stay refused once a valid one has been cached.
    assert (await net.hub_gql(MEMBER_CODES, token=token))["members"]
    body = await net.hub_gql_raw(THREE_ALIASES, token=token)
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_health_metrics_and_the_hubs_keys(network_factory: NetworkFactory) -> None:
    net = await network_factory([home_unia(), holder("UNIB", 1)])
    health = await net.http.get(f"{net.hub_url}/healthz")
    assert health.json() == {
        "status": "ok",
        "members": 2,
        "jwks": "http://127.0.0.1:8000/.well-known/jwks.json",  # HUB_PUBLIC_URL's default
    }
    token = await admin_token(net)
    await net.hub_gql(ACTIVITY, {"patronId": "L1"}, token=token)
    metrics = (await net.http.get(f"{net.hub_url}/metrics")).text
    assert 'http_requests_total{app="network_hub",method="POST",path="/graphql"' in metrics
    # The harness's index sync and the Network Activity call.
    assert 'hub_member_calls_total{member="UNIB",outcome="OK"} 2.0' in metrics
    keys = (await net.http.get(f"{net.hub_url}/.well-known/jwks.json")).json()["keys"]
    service = net.hub_runtime.registry.get("UNIB")
    assert service is not None
    # The nodes verify the hub's service tokens with exactly these keys.
    public = jwt.PyJWK(keys[0]).key
    claims = jwt.decode(service.service_token(), public, algorithms=["ES256"], audience="UNIB")
    assert claims["typ"] == "service"


async def test_unexpected_errors_are_masked(
    network_factory: NetworkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    net = await network_factory([home_unia()])
    token = await admin_token(net)

    async def broken(**_: object) -> None:
        raise RuntimeError("connection to postgresql://hub:secret@10.0.0.5/hub failed")

    monkeypatch.setattr(activity_service, "network_activity", broken)
    response = await net.hub_post(ACTIVITY, {"patronId": "L1"}, token=token)
    body = response.json()
    assert body["errors"][0]["extensions"] == {"code": "INTERNAL"}
    assert "secret" not in response.text
    assert "postgresql" not in response.text
