"""Get It through a real hub and real nodes: the whole NONE / MANUAL / AUTO table (DOMAIN §5)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update

from institution_node.store.models import Institution, PatronRole, User
from network_hub.store import index
from tests.network.conftest import NetworkFactory
from tests.support.builders import api_key, holding, record, two_library_institution
from tests.support.network import LiveNetwork
from tests.support.nodes import GraphQLErrors

pytestmark = pytest.mark.network

GET_IT = """
query ($ids: [String!]!, $shape: GetItShape!, $home: String) {
  getIt(recordIds: $ids, shape: $shape, homeInstitution: $home) {
    shape homeInstitution availabilityDisplay viewer
    records { recordId home { ...S } others { ...S } }
    unavailable { institutionCode code }
  }
}
fragment S on GetItSection {
  institutionCode found available availableCount totalCount access registration
  registerOption requestable
  holdings { libraryCode items { barcode status loanable terms { loanPeriodDays requestable } } }
  pickupPoints { institutionCode libraryCode }
}
"""
REGISTER = """
mutation ($member: String!, $ids: [String!]) {
  registerAtMember(member: $member, recordIds: $ids) {
    institutionCode networkLinkId
    getIt { records { others { institutionCode access registration requestable
      holdings { items { terms { loanPeriodDays } } } } } }
  }
}
"""


def home(**settings: Any) -> dict[str, Any]:
    data = two_library_institution("UNIA", **settings)
    return data


def remote(code: str, setting: str) -> dict[str, Any]:
    return two_library_institution(
        code, uresolver_remote_register=setting, pickup_anywhere=["UNIA"]
    )


async def patron_token(net: LiveNetwork, primary_id: str, home_code: str = "UNIA") -> str:
    node = net.nodes[home_code]
    discovery = await node.token(api_key(f"{home_code.lower()}-discovery"))
    response = await node.http.post(
        f"{node.url}/auth/patron-token",
        json={"primary_id": primary_id},
        headers={"authorization": f"Bearer {discovery}"},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def linked_count(net: LiveNetwork, code: str, user_id: str = "P1") -> int:
    async with net.nodes[code].runtime.sessions() as session:
        count = await session.scalar(
            select(func.count(User.id)).where(
                User.source_institution_code == "UNIA", User.source_user_id == user_id
            )
        )
    return int(count or 0)


async def get_it(
    net: LiveNetwork, shape: str, *, token: str | None = None, ids: list[str] | None = None
) -> dict[str, Any]:
    variables = {"ids": ids or ["rec-1"], "shape": shape, "home": None if token else "UNIA"}
    data = await net.hub_gql(GET_IT, variables, token=token)
    answer: dict[str, Any] = data["getIt"]
    return answer


def sections(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["institutionCode"]: s for s in answer["records"][0]["others"]}


def cells(answer: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    """Per member: (access, registration, registerOption, requestable, has terms, has items)."""
    out = {}
    for code, s in sections(answer).items():
        items = [i for h in s["holdings"] or [] for i in h["items"]]
        out[code] = (
            s["access"],
            s["registration"],
            s["registerOption"],
            s["requestable"],
            any(i["terms"] for i in items),
            bool(items),
        )
    return out


ANONYMOUS_FULL = ("ANONYMOUS", "NOT_OFFERED", False, False, False, True)
ANONYMOUS_BRIEF = ("ANONYMOUS", "NOT_OFFERED", False, False, False, False)
REGISTER_FULL = ("ANONYMOUS", "OFFERED", True, False, False, True)
PERSONAL_FULL = ("PERSONAL", "LINKED", False, True, True, True)
ONLY = ("AVAILABILITY_ONLY", "NOT_OFFERED", False, False, False, False)


@pytest.fixture
async def net(network_factory: NetworkFactory) -> LiveNetwork:
    return await network_factory(
        [home(), remote("UNIB", "NONE"), remote("UNIC", "MANUAL"), remote("UNID", "AUTO")]
    )


async def test_every_cell_of_the_get_it_table(net: LiveNetwork) -> None:
    # Anonymous viewer (home given by code): the anonymous view everywhere, never options.
    for shape, expected in (("BRIEF", ANONYMOUS_BRIEF), ("FULL", ANONYMOUS_FULL)):
        answer = await get_it(net, shape)
        assert answer["viewer"] == "ANONYMOUS"
        assert cells(answer) == {"UNIB": expected, "UNIC": expected, "UNID": expected}
    assert await linked_count(net, "UNID") == 0

    token = await patron_token(net, "P1")
    # Logged in, BRIEF: the register state, and the brief page never creates accounts.
    answer = await get_it(net, "BRIEF", token=token)
    assert answer["viewer"] == "PATRON"
    assert cells(answer) == {
        "UNIB": ANONYMOUS_BRIEF,
        "UNIC": ("ANONYMOUS", "OFFERED", True, False, False, False),
        "UNID": ("ANONYMOUS", "ON_OPEN", False, False, False, False),
    }
    assert await linked_count(net, "UNID") == 0

    # Logged in, FULL: AUTO makes the account (once) and answers personally at once.
    answer = await get_it(net, "FULL", token=token)
    assert cells(answer) == {"UNIB": ANONYMOUS_FULL, "UNIC": REGISTER_FULL, "UNID": PERSONAL_FULL}
    unid = sections(answer)["UNID"]
    assert {(p["institutionCode"], p["libraryCode"]) for p in unid["pickupPoints"]} == {
        ("UNID", "MAIN"),
        ("UNID", "LAW"),
        ("UNIA", None),
    }
    await get_it(net, "FULL", token=token)
    assert (await linked_count(net, "UNID"), await linked_count(net, "UNIC")) == (1, 0)
    assert [(u.member_code) for u in await _index(net, "P1")] == ["UNID"]

    # Register: refused under NONE, then MANUAL becomes personal.
    with pytest.raises(GraphQLErrors) as refused:
        await net.hub_gql(REGISTER, {"member": "UNIB"}, token=token)
    assert refused.value.codes == ["REGISTRATION_DISABLED"]
    assert await linked_count(net, "UNIB") == 0
    registered = (await net.hub_gql(REGISTER, {"member": "UNIC", "ids": ["rec-1"]}, token=token))[
        "registerAtMember"
    ]
    assert registered["institutionCode"] == "UNIC"
    (section,) = registered["getIt"]["records"][0]["others"]
    assert (section["access"], section["registration"], section["requestable"]) == (
        "PERSONAL",
        "LINKED",
        True,
    )
    answer = await get_it(net, "FULL", token=token)
    assert cells(answer) == {"UNIB": ANONYMOUS_FULL, "UNIC": PERSONAL_FULL, "UNID": PERSONAL_FULL}
    answer = await get_it(net, "BRIEF", token=token)
    assert cells(answer) == {
        "UNIB": ANONYMOUS_BRIEF,
        "UNIC": ("PERSONAL", "LINKED", False, True, False, False),
        "UNID": ("PERSONAL", "LINKED", False, True, False, False),
    }
    assert [u.member_code for u in await _index(net, "P1")] == ["UNIC", "UNID"]
    # The home section is the patron's own inventory, always with holdings.
    home_part = answer["records"][0]["home"]
    assert (home_part["institutionCode"], home_part["availableCount"]) == ("UNIA", 3)


async def test_availability_only_home_shows_counts_and_nothing_else(net: LiveNetwork) -> None:
    async with net.nodes["UNIA"].runtime.sessions() as session:
        await session.execute(
            update(Institution).values(network_availability_display="AVAILABILITY_ONLY")
        )
        await session.commit()
    token = await patron_token(net, "P2")
    for viewer in (None, token):
        for shape in ("BRIEF", "FULL"):
            answer = await get_it(net, shape, token=viewer)
            assert answer["availabilityDisplay"] == "AVAILABILITY_ONLY"
            assert cells(answer) == {"UNIB": ONLY, "UNIC": ONLY, "UNID": ONLY}
            for s in sections(answer).values():
                assert (s["available"], s["availableCount"], s["totalCount"]) == (True, 3, None)
                assert s["pickupPoints"] is None
    # The patron never opened AUTO's own Get It: no account is made there.
    assert await linked_count(net, "UNID", "P2") == 0


async def _index(net: LiveNetwork, user_id: str) -> list[index.IndexEntry]:
    async with net.hub_runtime.sessions() as session:
        return await index.links_for(session, home="UNIA", user_id=user_id)


def _many_records(code: str, setting: str, n: int = 50) -> dict[str, Any]:
    from tests.support.builders import holding, record

    data = remote(code, setting) if code != "UNIA" else home()
    data["records"] = [
        record(f"r{i}", holdings=[holding("MAIN", *(f"{code}-{i}-{k}" for k in range(3)))])
        for i in range(n)
    ]
    return data


async def test_a_page_of_50_records_costs_one_call_per_member(
    network_factory: NetworkFactory,
) -> None:
    codes = [("UNIA", "NONE"), ("UNIB", "NONE"), ("UNIC", "MANUAL"), ("UNID", "AUTO")]
    net = await network_factory([_many_records(c, s) for c, s in codes])
    ids = [f"r{i}" for i in range(50)]
    token = await patron_token(net, "P1")
    for viewer in (None, token):
        net.reset_calls()
        answer = await get_it(net, "BRIEF", token=viewer, ids=ids)
        assert [n.network_calls for n in net.nodes.values()] == [1, 1, 1, 1]
        assert len(answer["records"]) == 50
        assert all(
            s["availableCount"] == 3 for r in answer["records"] for s in [r["home"], *r["others"]]
        )


async def test_brief_refuses_more_than_100_records(net: LiveNetwork) -> None:
    with pytest.raises(GraphQLErrors) as caught:
        await get_it(net, "BRIEF", ids=[f"r{i}" for i in range(101)])
    assert caught.value.codes == ["INVALID_INPUT"]
    assert sum(n.network_calls for n in net.nodes.values()) == 0


async def test_members_that_cannot_answer_are_named_beside_the_rest(net: LiveNetwork) -> None:
    await net.nodes["UNIC"].stop()
    answer = await get_it(net, "BRIEF")
    assert answer["unavailable"] == [{"institutionCode": "UNIC", "code": "MEMBER_UNAVAILABLE"}]
    assert sorted(sections(answer)) == ["UNIB", "UNID"]
    # Without the home, its display setting is unknown: the least is shown.
    await net.nodes["UNIA"].stop()
    answer = await get_it(net, "FULL")
    assert {u["institutionCode"] for u in answer["unavailable"]} == {"UNIA", "UNIC"}
    assert answer["availabilityDisplay"] == "AVAILABILITY_ONLY"
    assert answer["records"][0]["home"] is None
    assert cells(answer) == {"UNIB": ONLY, "UNID": ONLY}


async def test_anonymous_answers_are_cached_and_registration_invalidates(
    network_factory: NetworkFactory,
) -> None:
    net = await network_factory(
        [home(), remote("UNIC", "MANUAL")], hub_settings={"getit_cache_ttl": 60.0}
    )
    await get_it(net, "BRIEF")
    net.reset_calls()
    await get_it(net, "BRIEF")
    assert net.nodes["UNIC"].network_calls == 0  # served from the cache
    token = await patron_token(net, "P1")
    await get_it(net, "BRIEF", token=token)
    await get_it(net, "BRIEF", token=token)
    assert net.nodes["UNIC"].network_calls == 2  # personal answers are never cached
    await net.hub_gql(REGISTER, {"member": "UNIC"}, token=token)
    net.reset_calls()
    await get_it(net, "BRIEF")
    assert net.nodes["UNIC"].network_calls == 1  # the hub changed state there: refetched


async def test_100_concurrent_registrations_make_one_linked_account(
    network_factory: NetworkFactory,
) -> None:
    net = await network_factory(
        [home(), remote("UNIC", "MANUAL")], hub_settings={"member_timeout_seconds": 30.0}
    )
    token = await patron_token(net, "P1")
    answers = await asyncio.gather(
        *(net.hub_gql(REGISTER, {"member": "UNIC"}, token=token) for _ in range(100))
    )
    assert len({a["registerAtMember"]["networkLinkId"] for a in answers}) == 1
    assert await linked_count(net, "UNIC") == 1
    assert [u.member_code for u in await _index(net, "P1")] == ["UNIC"]


async def test_a_linked_account_deleted_at_the_member_is_made_again_at_once(
    net: LiveNetwork,
) -> None:
    """Issue 10, item 3: within the idempotency key's window the member does not replay the
    deleted account; the AUTO member's FULL open makes a new one at once (DOMAIN §3)."""
    token = await patron_token(net, "P1")
    await get_it(net, "FULL", token=token)
    async with net.nodes["UNID"].runtime.sessions() as session:
        user = await session.scalar(select(User).where(User.source_user_id == "P1"))
        assert user is not None
        deleted_link = user.network_link_id
        await session.execute(delete(PatronRole).where(PatronRole.user_id == user.id))
        await session.execute(delete(User).where(User.id == user.id))
        await session.commit()
    answer = await get_it(net, "FULL", token=token)
    assert cells(answer)["UNID"] == PERSONAL_FULL
    assert await linked_count(net, "UNID") == 1
    [entry] = [e for e in await _index(net, "P1") if e.member_code == "UNID"]
    assert entry.network_link_id != deleted_link


async def test_register_is_for_a_patron_at_another_known_member(net: LiveNetwork) -> None:
    staff = await net.staff_token("UNIA", api_key("unia-admin"))
    patron = await patron_token(net, "P1")
    for token, member, code in (
        (None, "UNIC", "UNAUTHENTICATED"),
        (staff, "UNIC", "FORBIDDEN"),
        (patron, "NOPE", "NOT_FOUND"),
        (patron, "UNIA", "INVALID_INPUT"),
    ):
        with pytest.raises(GraphQLErrors) as caught:
            await net.hub_gql(REGISTER, {"member": member}, token=token)
        assert caught.value.codes == [code]
    # Too many record ids for the personal answer: refused before anything is made.
    too_many = [f"rec-{n}" for n in range(11)]
    with pytest.raises(GraphQLErrors) as caught:
        await net.hub_gql(REGISTER, {"member": "UNIC", "ids": too_many}, token=patron)
    assert caught.value.codes == ["INVALID_INPUT"]
    assert await linked_count(net, "UNIC") == 0


def _with_unavailable_records(data: dict[str, Any], code: str) -> dict[str, Any]:
    """rec-z: every copy on loan; rec-r: only a reference copy on the shelf."""
    data["records"] += [
        record("rec-z", holdings=[holding("MAIN", f"{code}-Z1")]),
        record("rec-r", holdings=[holding("LAW", f"{code}-R1", loanable=False, requestable=False)]),
    ]
    data["loans"] = [
        {
            "barcode": f"{code}-Z1",
            "patron": "P2",
            "desk": "MAIN-DESK",
            "loaned_at": "2026-11-01T10:00:00Z",
            "due_at": "2036-12-01T10:00:00Z",
        }
    ]
    return data


async def test_home_views_availability_and_pickup_points_follow_the_viewer(
    network_factory: NetworkFactory,
) -> None:
    net = await network_factory(
        [
            _with_unavailable_records(home(), "A"),
            _with_unavailable_records(remote("UNID", "AUTO"), "D"),
        ]
    )
    ids = ["rec-1", "rec-z", "rec-r"]
    token = await patron_token(net, "P1")
    for viewer, access in ((None, "ANONYMOUS"), (token, "PERSONAL")):
        answer = await get_it(net, "FULL", token=viewer, ids=ids)
        by_id = {r["recordId"]: r for r in answer["records"]}
        # The home section: the patron's own (terms of use), or as to anyone (no terms).
        home_part = by_id["rec-1"]["home"]
        assert home_part["access"] == access
        terms = [i["terms"] for h in home_part["holdings"] for i in h["items"]]
        assert all(t is not None for t in terms) if viewer else all(t is None for t in terms)
        # Found, but no copy on the shelf: not available, at home and elsewhere.
        for section in (by_id["rec-z"]["home"], *by_id["rec-z"]["others"]):
            assert (section["found"], section["available"], section["availableCount"]) == (
                True,
                False,
                0,
            )
        # Pickup points only with what the viewer may request.
        (unid_1,) = by_id["rec-1"]["others"]
        (unid_r,) = by_id["rec-r"]["others"]
        assert unid_r["requestable"] is False
        assert unid_r["pickupPoints"] is None
        assert by_id["rec-r"]["home"]["pickupPoints"] is None
        if viewer:
            assert (unid_1["access"], unid_1["requestable"]) == ("PERSONAL", True)
            assert unid_1["pickupPoints"]
        else:
            assert unid_1["pickupPoints"] is None
