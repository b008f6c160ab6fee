"""The node's ``availability`` network query: a batch of records as this member shows them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from institution_node.store.models import Item
from tests.conftest import NodeFactory
from tests.support.builders import desk, holding, library, patron, record, two_library_institution
from tests.support.nodes import GraphQLErrors, NodeHarness
from tests.support.service_tokens import hub_key, hub_settings, service_token
from tests.support.statements import count_statements

NETWORK = "/network/graphql"
KEY = hub_key()
VISITOR = {"homeInstitution": "UNIA", "homeUserId": "PA"}
STRANGER = {"homeInstitution": "UNIA", "homeUserId": "nobody"}

BRIEF = """
query ($ids: [String!]!, $viewer: NetworkIdentityInput) {
  availability(recordIds: $ids, viewer: $viewer, detail: BRIEF) {
    institutionCode viewerLinked personalised
    records {
      recordId found totalItems availableItems loanableItems requestable holdings { location }
    }
  }
}
"""
FULL = """
query ($ids: [String!]!, $viewer: NetworkIdentityInput) {
  availability(recordIds: $ids, viewer: $viewer, detail: FULL) {
    institutionCode institutionName uresolverRemoteRegister viewerLinked personalised
    records {
      recordId found title totalItems availableItems requestable
      holdings {
        libraryCode libraryName location callNumber
        items {
          barcode status dueAt loanable
          terms { loanPeriodDays renewalsAllowed requestable fees { kind amount currency } }
        }
      }
      pickupPoints { institutionCode libraryCode libraryName }
    }
  }
}
"""


def member_data(setting: str = "MANUAL", *, visitor_library: str | None = None) -> dict[str, Any]:
    """UNIB: MAIN (pickup desk) and LAW (no pickup desk); a linked account for UNIA's PA."""
    data = two_library_institution(
        "UNIB", uresolver_remote_register=setting, pickup_anywhere=["UNIA", "UNIC"]
    )
    data["libraries"] = [library("MAIN"), library("LAW", desks=[desk("LAW-DESK")])]
    data["users"].append(
        patron(
            "UNIA:PA",
            library=visitor_library,
            linked={"source_institution": "UNIA", "source_user_id": "PA"},
        )
    )
    data["records"].append(
        record(
            "rec-3",
            holdings=[
                holding("MAIN", "S-1", "S-2", "S-3", "S-4", "S-5"),
                holding("LAW", "S-6", location="REFERENCE", loanable=False, requestable=False),
            ],
        )
    )
    data["loans"] = [
        {
            "barcode": "S-2",
            "patron": "P1",
            "desk": "MAIN-DESK",
            "loaned_at": "2026-11-01T10:00:00Z",
            "due_at": "2026-12-01T10:00:00Z",
        }
    ]
    return data


async def _statuses(node: NodeHarness) -> None:
    """Items in every state the network shows, plus fees on one and a lost one."""
    async with node.runtime.sessions() as session:
        for barcode, status in (("S-3", "IN_TRANSIT"), ("S-4", "ON_HOLD_SHELF"), ("S-5", "LOST")):
            await session.execute(update(Item).where(Item.barcode == barcode).values(status=status))
        await session.execute(
            update(Item)
            .where(Item.barcode == "S-1")
            .values(loan_fee_minor=150, overdue_fine_per_day_minor=25, loan_period_days=14)
        )
        await session.commit()


async def _member(node_factory: NodeFactory, db_url: str | None = None, **kw: Any) -> NodeHarness:
    node = await node_factory(member_data(**kw), db_url=db_url, **hub_settings(KEY))
    await _statuses(node)
    return node


async def _ask(node: NodeHarness, query: str, ids: list[str], viewer: Any = None) -> Any:
    data = await node.gql(
        query, {"ids": ids, "viewer": viewer}, token=service_token(KEY, "UNIB"), path=NETWORK
    )
    return data["availability"]


def _items(answer: dict[str, Any], rid: str) -> dict[str, dict[str, Any]]:
    rec = next(r for r in answer["records"] if r["recordId"] == rid)
    return {i["barcode"]: i for h in rec["holdings"] for i in h["items"]}


async def test_anonymous_full_view_shows_holdings_and_item_states(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await _member(node_factory, db_url)
    answer = await _ask(node, FULL, ["rec-3"], STRANGER)
    assert answer["viewerLinked"] is False
    assert answer["personalised"] is False
    assert answer["uresolverRemoteRegister"] == "MANUAL"
    rec = answer["records"][0]
    assert [(h["libraryCode"], h["location"]) for h in rec["holdings"]] == [
        ("LAW", "REFERENCE"),
        ("MAIN", "STACKS"),
    ]
    items = _items(answer, "rec-3")
    assert {b: (i["status"], i["loanable"]) for b, i in items.items()} == {
        "S-1": ("ON_SHELF", True),
        "S-2": ("ON_LOAN", True),
        "S-3": ("IN_TRANSIT", True),
        "S-4": ("ON_HOLD_SHELF", True),
        "S-6": ("ON_SHELF", False),
    }  # the lost S-5 is not offered
    assert items["S-2"]["dueAt"].startswith("2026-12-01T10:00:00")
    assert items["S-1"]["dueAt"] is None
    assert all(i["terms"] is None for i in items.values())
    assert rec["requestable"] is False
    assert rec["pickupPoints"] is None
    assert (rec["totalItems"], rec["availableItems"]) == (5, 2)


async def test_linked_viewer_gets_terms_fees_and_pickup_points(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await _member(node_factory, db_url)
    answer = await _ask(node, FULL, ["rec-3"], VISITOR)
    assert (answer["viewerLinked"], answer["personalised"]) == (True, True)
    items = _items(answer, "rec-3")
    assert items["S-1"]["terms"] == {
        "loanPeriodDays": 14,
        "renewalsAllowed": 2,
        "requestable": True,
        "fees": [
            {"kind": "LOAN_FEE", "amount": "1.50", "currency": "USD"},
            {"kind": "OVERDUE_FINE_PER_DAY", "amount": "0.25", "currency": "USD"},
        ],
    }
    assert items["S-6"]["terms"]["requestable"] is False
    assert items["S-6"]["terms"]["fees"] == []
    rec = answer["records"][0]
    assert rec["requestable"] is True
    # Its own libraries with a pickup desk, then the members of its pickup-anywhere list.
    assert rec["pickupPoints"] == [
        {"institutionCode": "UNIB", "libraryCode": "MAIN", "libraryName": "Main Library"},
        {"institutionCode": "UNIA", "libraryCode": None, "libraryName": None},
        {"institutionCode": "UNIC", "libraryCode": None, "libraryName": None},
    ]


async def test_none_member_shows_even_a_linked_viewer_the_anonymous_view(
    node_factory: NodeFactory,
) -> None:
    node = await _member(node_factory, setting="NONE")
    answer = await _ask(node, FULL, ["rec-3"], VISITOR)
    assert (answer["viewerLinked"], answer["personalised"]) == (True, False)
    assert all(i["terms"] is None for i in _items(answer, "rec-3").values())
    assert answer["records"][0]["pickupPoints"] is None


async def test_own_patron_gets_the_personal_view_even_under_none(
    node_factory: NodeFactory,
) -> None:
    node = await _member(node_factory, setting="NONE")
    answer = await _ask(node, FULL, ["rec-3"], {"homeInstitution": "UNIB", "homeUserId": "P1"})
    assert (answer["viewerLinked"], answer["personalised"]) == (True, True)
    assert _items(answer, "rec-3")["S-1"]["terms"]["loanPeriodDays"] == 14


async def test_role_scoped_account_may_request_only_its_librarys_items(
    node_factory: NodeFactory,
) -> None:
    node = await _member(node_factory, visitor_library="LAW")
    answer = await _ask(node, FULL, ["rec-1", "rec-3"], VISITOR)
    by_id = {r["recordId"]: r for r in answer["records"]}
    # rec-1 has a loanable LAW item; rec-3's only LAW item is a reference copy.
    assert (by_id["rec-1"]["requestable"], by_id["rec-3"]["requestable"]) == (True, False)
    # Pickup points go with a record the viewer may request, and only with it.
    assert by_id["rec-1"]["pickupPoints"]
    assert by_id["rec-3"]["pickupPoints"] is None
    assert _items(answer, "rec-1")["M-1"]["terms"]["requestable"] is False
    brief = await _ask(node, BRIEF, ["rec-1", "rec-3"], VISITOR)
    assert [r["requestable"] for r in brief["records"]] == [True, False]


async def test_brief_batch_counts_without_item_lists(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await _member(node_factory, db_url)
    answer = await _ask(node, BRIEF, ["rec-3", "missing", "rec-2", "rec-3"], VISITOR)
    assert answer["records"] == [
        {
            "recordId": "rec-3",
            "found": True,
            "totalItems": 5,
            "availableItems": 2,
            "loanableItems": 4,
            "requestable": True,
            "holdings": None,
        },
        {
            "recordId": "missing",
            "found": False,
            "totalItems": 0,
            "availableItems": 0,
            "loanableItems": 0,
            "requestable": False,
            "holdings": None,
        },
        {
            "recordId": "rec-2",
            "found": True,
            "totalItems": 2,
            "availableItems": 2,
            "loanableItems": 1,
            "requestable": True,
            "holdings": None,
        },
    ]
    anonymous = await _ask(node, BRIEF, ["rec-3"])
    assert anonymous["records"][0]["requestable"] is False


@pytest.mark.parametrize("query", [BRIEF, FULL], ids=["brief", "full"])
async def test_statement_count_does_not_grow_with_the_batch(
    node_factory: NodeFactory, query: str
) -> None:
    data = member_data()
    data["records"] += [
        record(f"bulk-{n}", holdings=[holding("MAIN", f"B{n}-1", f"B{n}-2"), holding("LAW")])
        for n in range(30)
    ]
    node = await node_factory(data, **hub_settings(KEY))
    await _ask(node, query, ["rec-1"], VISITOR)  # warm the institution-code cache
    with count_statements(node.runtime.engine) as one:
        await _ask(node, query, ["rec-1"], VISITOR)
    with count_statements(node.runtime.engine) as many:
        answer = await _ask(node, query, [f"bulk-{n}" for n in range(30)] + ["rec-3"], VISITOR)
    assert all(r["totalItems"] == 2 for r in answer["records"][:30])
    # 6, plus the fulfilment rules and the viewer's statistical categories (terms of use).
    assert len(many) == len(one) <= 8


async def test_too_many_record_ids_are_refused(node_factory: NodeFactory) -> None:
    node = await _member(node_factory)
    with pytest.raises(GraphQLErrors) as caught:
        await _ask(node, BRIEF, [f"r{n}" for n in range(501)])
    assert caught.value.codes == ["INVALID_INPUT"]


async def test_availability_needs_the_hub_token(node_factory: NodeFactory) -> None:
    node = await _member(node_factory)
    with pytest.raises(GraphQLErrors) as caught:
        await node.gql(BRIEF, {"ids": ["rec-3"]}, token=service_token(KEY, "UNIA"), path=NETWORK)
    assert caught.value.codes == ["UNAUTHENTICATED"]
