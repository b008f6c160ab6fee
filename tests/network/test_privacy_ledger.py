"""The privacy ledger (DOMAIN §9, issue 10 "Beyond the anchors") and walk-in lookups
(issue 10, item 11) through a real hub and three real nodes: home UNIA, owner UNIB (AUTO,
pickup at UNIC allowed), UNIC (MANUAL). Each test uses its own patrons and operators.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from network_hub.ledger import entries as ledger
from tests.network.test_getit import REGISTER, get_it, patron_token
from tests.support.builders import api_key, patron, staff, two_library_institution
from tests.support.fulfilment_queries import HUB_LOAN, HUB_WALK_IN
from tests.support.network import LiveNetwork, start_network
from tests.support.nodes import GraphQLErrors
from tests.support.pickup_network import activity, b_sends, c_receives, owner_data, request_for_c
from tests.support.statements import count_statements

pytestmark = [pytest.mark.network, pytest.mark.asyncio(loop_scope="module")]

LIMIT = 4
LEDGER = """
query($id: String, $first: Int! = 50, $before: Int) {
  privacyLedger(homeUserId: $id, first: $first, before: $before) {
    id at kind homeInstitution homeUserId actorKind actorInstitution actorId fromMember
    toMember fields purpose outcome
  }
}
"""


def _privileged_desk(code: str, who: str) -> dict[str, Any]:
    return staff(f"{code.lower()}-{who}", libraries=["MAIN"], consortial_services=True)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def net(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveNetwork]:
    home = two_library_institution("UNIA")
    home["users"] += [patron(f"P{n}") for n in range(3, 9)]
    owner = owner_data()
    owner["users"] += [_privileged_desk("UNIB", "desk-cs"), _privileged_desk("UNIB", "desk-cs2")]
    pickup = two_library_institution("UNIC", uresolver_remote_register="MANUAL")
    network = await start_network(
        tmp_path_factory.mktemp("ledger"),
        [home, owner, pickup],
        hub_settings={"walk_in_lookups_per_window": LIMIT, "member_timeout_seconds": 15.0},
    )
    yield network
    await network.close()


async def _staff(net: LiveNetwork, code: str, who: str = "admin") -> str:
    return await net.staff_token(code, api_key(f"{code.lower()}-{who}"))


async def ledger_of(net: LiveNetwork, token: str, user: str | None = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (await net.hub_gql(LEDGER, {"id": user}, token=token))[
        "privacyLedger"
    ]
    return rows


def kinds(rows: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """(kind, from, to, outcome), oldest first."""
    return [(r["kind"], r["fromMember"], r["toMember"], r["outcome"]) for r in reversed(rows)]


async def walk_in(
    net: LiveNetwork, token: str, user: str, last: str = "Reader", key: str | None = None
) -> dict[str, Any]:
    variables = {"home": "UNIA", "user": user, "last": last, "key": key or f"w-{user}-{last}"}
    answer: dict[str, Any] = (await net.hub_gql(HUB_WALK_IN, variables, token=token))[
        "walkInRegister"
    ]
    return answer


async def walk_in_codes(net: LiveNetwork, token: str, user: str, last: str = "Reader") -> Any:
    with pytest.raises(GraphQLErrors) as caught:
        await walk_in(net, token, user, last)
    return caught.value.codes, caught.value.errors[0]["message"]


async def test_a_walk_in_is_ledgered_and_the_patron_reads_it(net: LiveNetwork) -> None:
    account = await walk_in(net, await _staff(net, "UNIB"), "P3", last="  reader ")
    assert (account["localPrimaryId"], account["firstName"]) == ("UNIA:P3", "P3")
    rows = await ledger_of(net, await patron_token(net, "P3"))
    assert kinds(rows) == [
        ("WALK_IN_LOOKUP", "UNIA", "UNIB", "MATCHED"),
        ("LINKED_ACCOUNT", "UNIA", "UNIB", "MATCHED"),
    ]
    for row in rows:
        assert (row["homeInstitution"], row["homeUserId"]) == ("UNIA", "P3")
        assert (row["actorKind"], row["actorInstitution"], row["actorId"]) == (
            "STAFF",
            "UNIB",
            "unib-admin",
        )
        assert row["fields"] == ["firstName", "lastName", "email", "userGroup", "expiryDate"]
        assert "walk-in" in row["purpose"]
    # The same key again is a retry: one account, one lookup.
    again = await walk_in(net, await _staff(net, "UNIB"), "P3", last="  reader ")
    assert again["networkLinkId"] == account["networkLinkId"]
    assert len(await ledger_of(net, await patron_token(net, "P3"))) == 3  # + the link again


async def test_a_wrong_last_name_is_the_same_answer_as_an_unknown_id(net: LiveNetwork) -> None:
    desk = await _staff(net, "UNIB", "desk-cs")
    wrong_name = await walk_in_codes(net, desk, "P4", last="Smith")
    unknown_id = await walk_in_codes(net, desk, "NU-9999", last="Reader")
    assert wrong_name == unknown_id
    assert wrong_name[0] == ["NOT_FOUND"]
    # Nothing was made at UNIB, and the patron named sees the attempt with nothing crossed.
    rows = await ledger_of(net, await patron_token(net, "P4"))
    assert kinds(rows) == [("WALK_IN_LOOKUP", "UNIA", "UNIB", "NO_MATCH")]
    assert rows[0]["fields"] == []
    assert rows[0]["actorId"] == "unib-desk-cs"
    # The home's staff see the probe of an id that does not exist, too.
    probes = await ledger_of(net, await _staff(net, "UNIA"), "NU-9999")
    assert kinds(probes) == [("WALK_IN_LOOKUP", "UNIA", "UNIB", "NO_MATCH")]


async def test_enumerating_ids_is_rate_limited_per_operator_and_ledgered(
    net: LiveNetwork,
) -> None:
    harvester = await _staff(net, "UNIC")
    answers = [await walk_in_codes(net, harvester, f"NU-{n}") for n in range(LIMIT + 2)]
    assert [codes for codes, _ in answers] == [["NOT_FOUND"]] * LIMIT + [["RATE_LIMITED"]] * 2
    # Over the limit even a real patron with the right name is refused: the home is not asked.
    net.nodes["UNIA"].reset_calls()
    assert (await walk_in_codes(net, harvester, "P5"))[0] == ["RATE_LIMITED"]
    assert net.nodes["UNIA"].network_calls == 0
    home_staff = await _staff(net, "UNIA")
    outcomes = [kinds(await ledger_of(net, home_staff, f"NU-{n}")) for n in range(LIMIT + 2)]
    assert (
        outcomes
        == [[("WALK_IN_LOOKUP", "UNIA", "UNIC", "NO_MATCH")]] * LIMIT
        + [[("WALK_IN_LOOKUP", "UNIA", "UNIC", "REFUSED")]] * 2
    )
    assert kinds(await ledger_of(net, await patron_token(net, "P5"))) == [
        ("WALK_IN_LOOKUP", "UNIA", "UNIC", "REFUSED")
    ]
    # The limit is the operator's: another operator's lookups go on.
    other = await walk_in(net, await _staff(net, "UNIB", "desk-cs2"), "P5")
    assert other["localPrimaryId"] == "UNIA:P5"


async def test_an_operator_without_the_privilege_is_refused_before_any_lookup(
    net: LiveNetwork,
) -> None:
    net.nodes["UNIA"].reset_calls()
    codes, _ = await walk_in_codes(net, await _staff(net, "UNIB", "main-op"), "P6")
    assert codes == ["FORBIDDEN"]
    assert net.nodes["UNIA"].network_calls == 0
    assert await ledger_of(net, await patron_token(net, "P6")) == []


async def test_get_it_requests_loans_and_network_activity_are_ledgered(net: LiveNetwork) -> None:
    p1 = await patron_token(net, "P1")
    await get_it(net, "FULL", token=p1)  # UNIB registers automatically (AUTO)
    await net.hub_gql(REGISTER, {"member": "UNIC"}, token=p1)  # UNIC: Register (MANUAL)
    await request_for_c(net, "S-1")  # a network request at UNIB for pickup at UNIC
    await b_sends(net, "S-1")
    await c_receives(net, "S-1", "recv-S-1")
    c_desk = await _staff(net, "UNIC", "main-op")
    loan = {"owner": "UNIB", "barcode": "S-1", "desk": "MAIN-DESK", "home": "UNIA",
            "user": "P1", "key": "loan-S-1"}  # fmt: skip
    await net.hub_gql(HUB_LOAN, loan, token=c_desk)
    await activity(net, "P1")  # UNIA's admin (consortial services) looks
    rows = await ledger_of(net, p1)
    assert kinds(rows) == [
        ("LINKED_ACCOUNT", "UNIA", "UNIB", "MATCHED"),
        ("GETIT_REGISTRATION", "UNIA", "UNIC", "MATCHED"),
        ("LINKED_ACCOUNT", "UNIA", "UNIB", "MATCHED"),
        ("LINKED_ACCOUNT", "UNIA", "UNIB", "MATCHED"),
        ("NETWORK_ACTIVITY", "UNIB", "UNIA", "MATCHED"),
        ("NETWORK_ACTIVITY", "UNIC", "UNIA", "MATCHED"),
    ]
    who = [(r["actorKind"], r["actorInstitution"], r["actorId"]) for r in reversed(rows)]
    assert (
        who
        == [("PATRON", "UNIA", "P1")] * 3
        + [("STAFF", "UNIC", "unic-main-op")]
        + [("STAFF", "UNIA", "unia-admin")] * 2
    )
    purposes = [r["purpose"] for r in reversed(rows)]
    assert "automatically" in purposes[0]
    assert "Register" in purposes[1]
    assert "network request" in purposes[2]
    assert "loan at UNIC" in purposes[3]
    assert rows[0]["fields"] == ["loans", "requests", "fees"]
    # Home staff with the consortial privilege read the same ledger.
    assert await ledger_of(net, await _staff(net, "UNIA"), "P1") == rows


async def test_nobody_else_reads_a_ledger(net: LiveNetwork) -> None:
    await walk_in(net, await _staff(net, "UNIB"), "P7")
    own = await ledger_of(net, await patron_token(net, "P7"))
    assert len(own) == 2
    # Another patron: their own ledger only; naming someone else is refused.
    p8 = await patron_token(net, "P8")
    assert await ledger_of(net, p8) == []
    with pytest.raises(GraphQLErrors) as caught:
        await ledger_of(net, p8, "P7")
    assert caught.value.codes == ["FORBIDDEN"]
    # Home staff without the privilege, and the discovery client, are refused.
    for token in (
        await _staff(net, "UNIA", "main-op"),
        await net.staff_token("UNIA", api_key("unia-discovery")),
    ):
        with pytest.raises(GraphQLErrors) as caught:
            await ledger_of(net, token, "P7")
        assert caught.value.codes == ["FORBIDDEN"]
    # Privileged staff of another member name only their own patrons: UNIB's "P7" is not
    # UNIA's P7, and the answer is the same as for a patron nobody looked at.
    assert await ledger_of(net, await _staff(net, "UNIB"), "P7") == []
    assert await ledger_of(net, await _staff(net, "UNIB"), "NOBODY") == []


async def test_the_ledger_list_costs_one_statement_however_long(net: LiveNetwork) -> None:
    runtime = net.hub_runtime
    crossing = ledger.Crossing(
        kind=ledger.LedgerKind.NETWORK_ACTIVITY,
        patron=("UNIA", "P2"),
        actor=ledger.Actor(ledger.ActorKind.STAFF, "UNIA", "unia-admin"),
        from_member="UNIB",
        to_member="UNIA",
        fields=ledger.ACTIVITY_FIELDS,
        purpose="test",
    )
    token = await patron_token(net, "P2")
    await ledger.record(runtime=runtime, crossings=[crossing])
    with count_statements(runtime.engine) as one:
        assert len(await ledger_of(net, token)) == 1
    await ledger.record(runtime=runtime, crossings=[crossing] * 40)
    with count_statements(runtime.engine) as many:
        rows = await ledger_of(net, token)
    assert len(rows) == 41
    selects = [[s for s in seen if s.lstrip().upper().startswith("SELECT")] for seen in (one, many)]
    assert [len(s) for s in selects] == [1, 1]
    # Paging back from the oldest of a page of 10.
    page = (await net.hub_gql(LEDGER, {"first": 10}, token=token))["privacyLedger"]
    older = (await net.hub_gql(LEDGER, {"first": 50, "before": page[-1]["id"]}, token=token))[
        "privacyLedger"
    ]
    assert [r["id"] for r in page + older] == [r["id"] for r in rows]
