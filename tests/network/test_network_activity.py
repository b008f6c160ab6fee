"""Network Activity end to end: real nodes and a real hub on loopback, real HTTP."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from institution_node.store.models import BibRecord, Request, User
from network_common.keys import SigningKey
from network_common.tokens import RoleGrant, issue
from network_common.vocabulary import PrincipalKind, StaffRoleType
from tests.network.conftest import NetworkFactory
from tests.support.builders import api_key, patron, two_library_institution
from tests.support.network import LiveNetwork, NetworkNode
from tests.support.network_data import member_with_linked_patrons

ACTIVITY = """
query Activity($patronId: String!, $institution: String, $home: String) {
  networkActivity(patronId: $patronId, institution: $institution, homeInstitution: $home) {
    homeInstitution hasNetworkActivity loanCount requestCount hasFees
    feeBalances { amount currency }
    institutions { code name loanCount requestCount feeCount feeBalances { amount currency } }
    loans { institutionCode institutionName title barcode dueDate }
    requests { institutionCode title status }
    fees { institutionCode type balance currency }
    unavailable { institutionCode institutionName code message }
  }
}
"""


def home_unia() -> dict[str, Any]:
    data = two_library_institution("UNIA")
    data["users"] += [patron("L1"), patron("L2")]
    return data


def holder(code: str, patrons: int) -> dict[str, Any]:
    """A member holding linked accounts L1..Ln of UNIA, one loan and one fee (7.25) each."""
    return member_with_linked_patrons(code, home="UNIA", patrons=patrons)


async def place_request(node: NetworkNode, patron_id: str, record_id: str) -> None:
    """An active title request at ``node`` (inserted directly: the loader has no requests)."""
    async with node.runtime.sessions() as session, session.begin():
        user_id = await session.scalar(select(User.id).where(User.primary_id == patron_id))
        bib_id = await session.scalar(
            select(BibRecord.id).where(BibRecord.network_record_id == record_id)
        )
        assert user_id is not None
        assert bib_id is not None
        session.add(
            Request(
                user_id=user_id,
                bib_id=bib_id,
                status="PLACED",
                pickup_institution="UNIA",
                pickup_library_code="MAIN",
                pickup_library_name="Main Library",
            )
        )


async def admin_token(net: LiveNetwork, code: str = "UNIA") -> str:
    return await net.staff_token(code, api_key(f"{code.lower()}-admin"))


async def test_activity_from_two_remote_members_costs_one_call_per_holder(
    network_factory: NetworkFactory,
) -> None:
    net = await network_factory(
        [home_unia(), holder("UNIB", 1), holder("UNIC", 2), two_library_institution("UNID")]
    )
    token = await admin_token(net)
    net.reset_calls()

    data = (await net.hub_gql(ACTIVITY, {"patronId": "L1"}, token=token))["networkActivity"]

    assert data["hasNetworkActivity"] is True
    assert data["unavailable"] == []
    assert [(r["institutionCode"], r["institutionName"], r["barcode"]) for r in data["loans"]] == [
        ("UNIB", "University UNIB", "X-1"),
        ("UNIC", "University UNIC", "X-1"),
    ]
    assert data["loanCount"] == 2
    assert [(f["institutionCode"], f["balance"], f["currency"]) for f in data["fees"]] == [
        ("UNIB", "7.25", "USD"),
        ("UNIC", "7.25", "USD"),
    ]
    assert data["feeBalances"] == [{"amount": "14.50", "currency": "USD"}]
    assert [i["code"] for i in data["institutions"]] == ["UNIB", "UNIC"]
    # One call to each member holding a linked account, none to the others.
    assert {code: n.network_calls for code, n in net.nodes.items()} == {
        "UNIA": 0,
        "UNIB": 1,
        "UNIC": 1,
        "UNID": 0,
    }


async def test_filter_narrows_rows_and_counters_but_not_the_filter_list(
    network_factory: NetworkFactory,
) -> None:
    net = await network_factory([home_unia(), holder("UNIB", 2), holder("UNIC", 2)])
    await place_request(net.nodes["UNIB"], "UNIA:L2", "rec-1")
    await place_request(net.nodes["UNIB"], "UNIA:L2", "rec-2")
    await place_request(net.nodes["UNIC"], "UNIA:L2", "rec-1")
    token = await admin_token(net)

    everything = (await net.hub_gql(ACTIVITY, {"patronId": "L2"}, token=token))["networkActivity"]
    only_c = (await net.hub_gql(ACTIVITY, {"patronId": "L2", "institution": "UNIC"}, token=token))[
        "networkActivity"
    ]

    assert (everything["loanCount"], everything["requestCount"]) == (2, 3)
    assert only_c["loanCount"] == len(only_c["loans"]) == 1
    assert only_c["requestCount"] == len(only_c["requests"]) == 1
    assert only_c["requests"][0]["status"] == "PLACED"
    rows = only_c["loans"] + only_c["requests"] + only_c["fees"]
    assert {r["institutionCode"] for r in rows} == {"UNIC"}
    assert only_c["feeBalances"] == [{"amount": "7.25", "currency": "USD"}]
    assert only_c["institutions"] == everything["institutions"]
    assert [(i["code"], i["loanCount"], i["feeCount"]) for i in only_c["institutions"]] == [
        ("UNIB", 1, 1),
        ("UNIC", 1, 1),
    ]
    assert [i["requestCount"] for i in only_c["institutions"]] == [2, 1]
    assert only_c["hasNetworkActivity"] is True


async def test_patron_without_links_has_no_network_activity(
    network_factory: NetworkFactory,
) -> None:
    net = await network_factory([home_unia(), holder("UNIB", 1)])
    token = await admin_token(net)
    net.reset_calls()
    data = (await net.hub_gql(ACTIVITY, {"patronId": "P1"}, token=token))["networkActivity"]
    assert data["hasNetworkActivity"] is False
    assert data["loans"] == data["institutions"] == []
    assert net.nodes["UNIB"].network_calls == 0


async def test_stopped_and_slow_members_are_named_and_the_rest_arrives_in_time(
    network_factory: NetworkFactory,
) -> None:
    timeout = 1.0
    net = await network_factory(
        [home_unia(), holder("UNIB", 1), holder("UNIC", 1), holder("UNID", 1)],
        hub_settings={"member_timeout_seconds": timeout},
    )
    token = await admin_token(net)
    await net.hub_gql(ACTIVITY, {"patronId": "L1"}, token=token)  # warm connections
    await net.nodes["UNIB"].stop()
    # UNIC answers five timeouts late. The answer must come without waiting for it: bounded
    # by the hub's timeout, not by the slow member. The bound is half the slow member's delay
    # (not "timeout + 10%"), so a busy machine cannot make the test race the clock.
    slow_seconds = 5 * timeout
    net.nodes["UNIC"].set_delay_ms(int(slow_seconds * 1000))

    started = time.perf_counter()
    data = (await net.hub_gql(ACTIVITY, {"patronId": "L1"}, token=token))["networkActivity"]
    elapsed = time.perf_counter() - started

    assert timeout <= elapsed < slow_seconds / 2
    assert [r["institutionCode"] for r in data["loans"]] == ["UNID"]
    assert sorted((u["institutionCode"], u["code"]) for u in data["unavailable"]) == [
        ("UNIB", "MEMBER_UNAVAILABLE"),
        ("UNIC", "MEMBER_TIMEOUT"),
    ]
    for entry in data["unavailable"]:
        assert "127.0.0.1" not in entry["message"]
        assert "http" not in entry["message"]


async def test_refused_callers_learn_nothing(network_factory: NetworkFactory) -> None:
    net = await network_factory([home_unia(), holder("UNIB", 1)])
    unia = net.nodes["UNIA"]
    admin_grant = RoleGrant(StaffRoleType.CIRCULATION_DESK_MANAGER, None, True)

    def signed(key: SigningKey, *, iss: str = "UNIA", now: float | None = None) -> str:
        token, _ = issue(
            key,
            institution=iss,
            kind=PrincipalKind.STAFF,
            primary_id="unia-admin",
            user_id=1,
            ttl_seconds=60,
            roles=(admin_grant,),
            now=now,
        )
        return token

    unauthenticated = {
        "non-member issuer": signed(SigningKey.generate(), iss="OUTSIDER"),
        "forged signature": signed(SigningKey.generate()),
        "expired": signed(unia.runtime.signing_key, now=time.time() - 3600),
    }
    forbidden = {
        "wrong role": (await net.staff_token("UNIA", api_key("unia-main-op")), {}),
        "non-home operator": (await admin_token(net, "UNIB"), {"home": "UNIA"}),
    }
    for case, token in unauthenticated.items():
        body = await net.hub_gql_raw(ACTIVITY, {"patronId": "L1"}, token=token)
        assert body["data"] is None, case
        assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"], case
    messages = set()
    for case, (token, extra) in forbidden.items():
        body = await net.hub_gql_raw(ACTIVITY, {"patronId": "L1", **extra}, token=token)
        assert body["data"] is None, case
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], case
        messages.add(body["errors"][0]["message"])
    assert len(messages) == 1  # one refusal, whatever the reason
    assert "consortial services privilege" in messages.pop()
    # The genuine token still works: the refusals above were about the callers.
    ok = await net.hub_gql(ACTIVITY, {"patronId": "L1"}, token=await admin_token(net))
    assert ok["networkActivity"]["loanCount"] == 1


async def test_a_privileged_manager_is_told_the_linked_user_rule_is_the_reason(
    network_factory: NetworkFactory,
) -> None:
    """Issue 10, item 6: the setting is the reason, not a privilege the caller holds."""
    net = await network_factory([home_unia(), holder("UNIB", 1)])
    # At UNIB, "UNIA:L1" is a linked user and UNIB has cross_consortia_identifiers off.
    unib_admin = await admin_token(net, "UNIB")
    body = await net.hub_gql_raw(ACTIVITY, {"patronId": "UNIA:L1"}, token=unib_admin)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "cross_consortia_identifiers" in error["message"]
    assert "privilege" not in error["message"]
    # Nothing about the patron: no name, no identity, no institution holding them.
    for secret in ("L1", "UNIA", "UNIB"):
        assert secret not in error["message"]
    # The same when the hub's index has not learnt UNIB's linked accounts (as after a full
    # sync of UNIB that listed none): UNIB (the home of the record asked about) says the
    # record is a linked one.
    await net.hub_runtime.links.replace_member("UNIB", [])
    again = await net.hub_gql_raw(ACTIVITY, {"patronId": "UNIA:L1"}, token=unib_admin)
    assert again["errors"] == body["errors"]


async def test_an_unknown_patron_id_is_not_found_not_no_activity(
    network_factory: NetworkFactory,
) -> None:
    """Issue 10, item 5: a typo at the home is NOT_FOUND; a known patron without links has
    no activity; a patron with links costs no call to the home."""
    net = await network_factory([home_unia(), holder("UNIB", 1)])
    token = await admin_token(net)
    body = await net.hub_gql_raw(ACTIVITY, {"patronId": "NU-9999"}, token=token)
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"]

    # L2 exists at UNIA but holds no linked account anywhere.
    data = (await net.hub_gql(ACTIVITY, {"patronId": "L2"}, token=token))["networkActivity"]
    assert (data["hasNetworkActivity"], data["unavailable"]) == (False, [])

    net.reset_calls()
    data = (await net.hub_gql(ACTIVITY, {"patronId": "L1"}, token=token))["networkActivity"]
    assert data["loanCount"] == 1
    assert (net.nodes["UNIA"].network_calls, net.nodes["UNIB"].network_calls) == (0, 1)

    # The home cannot say: its failure is named, never a confident "no activity".
    await net.nodes["UNIA"].stop()
    data = (await net.hub_gql(ACTIVITY, {"patronId": "NU-9999"}, token=token))["networkActivity"]
    assert [(u["institutionCode"], u["code"]) for u in data["unavailable"]] == [
        ("UNIA", "MEMBER_UNAVAILABLE")
    ]
