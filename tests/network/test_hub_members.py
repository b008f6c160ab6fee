"""``members`` through a real hub and real nodes; tokens checked against members' keys."""

from __future__ import annotations

from tests.network.conftest import NetworkFactory
from tests.support.builders import api_key, two_library_institution

MEMBERS = "query { members { code name reachable uresolverRemoteRegister } }"


async def test_members_lists_each_member_with_its_own_setting(
    network_factory: NetworkFactory,
) -> None:
    net = await network_factory(
        [
            two_library_institution("UNIA"),
            two_library_institution("UNIB", uresolver_remote_register="AUTO"),
        ]
    )
    token = await net.staff_token("UNIA", api_key("unia-admin"))
    data = await net.hub_gql(MEMBERS, token=token)
    assert data["members"] == [
        {
            "code": "UNIA",
            "name": "University UNIA",
            "reachable": True,
            "uresolverRemoteRegister": "NONE",
        },
        {
            "code": "UNIB",
            "name": "University UNIB",
            "reachable": True,
            "uresolverRemoteRegister": "AUTO",
        },
    ]

    await net.nodes["UNIB"].stop()
    data = await net.hub_gql(MEMBERS, token=token)
    assert [(m["code"], m["reachable"]) for m in data["members"]] == [
        ("UNIA", True),
        ("UNIB", False),
    ]
    assert data["members"][1]["uresolverRemoteRegister"] is None


async def test_members_needs_a_member_token(network_factory: NetworkFactory) -> None:
    net = await network_factory([two_library_institution("UNIA")])
    body = await net.hub_gql_raw(MEMBERS)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    body = await net.hub_gql_raw(MEMBERS, token="not-a-jwt")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
