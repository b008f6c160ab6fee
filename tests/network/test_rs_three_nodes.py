"""Resource sharing between three real nodes over HTTP (issue 12's "Must show"): UNIA
borrows, UNIB and UNIC lend. The hub's partner-sync makes the members partners of each
other; every step is a staff GraphQL call at the node that takes it, every message between
nodes the real ISO 18626 wire (signed member tokens, the outbox), and each step's state is
read back on both sides through the staff APIs.

- the rota: UNIB rejects, UNIC gets the request by itself, supplies, ships, UNIA receives;
  everybody rejects: end of the rota at UNIA and a letter to the patron;
- conditions: accepted (the request goes on), declined (UNIC's request is cancelled, UNIA
  asks the next partner), expired at reply-by (UNIC's resource sharing job at a moved
  clock unfills it, UNIA's rota moves on);
- lost both ways; cancelling before shipping (the supplier confirms) and after (refused,
  ILLEGAL_TRANSITION).

Jobs are off at the nodes; :func:`_settle` runs each node's outbox delivery job by hand
until nothing is left to send, so nothing waits on a timer. The same incoming message
twenty times is tests/api/test_iso18626_endpoint.py's; the whole two-node story, a partner
down mid-story, tests/network/test_iso18626_two_nodes.py's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from institution_node.jobs import resource_sharing_jobs
from institution_node.services.resource_sharing.common import now
from network_hub.resource_sharing.partners_sync import sync_partners
from tests.support import rs_queries as q
from tests.support.builders import api_key, holding, record
from tests.support.network import LiveNetwork, NetworkNode, start_network
from tests.support.nodes import GraphQLErrors
from tests.support.resource_sharing import rs_institution, settle

pytestmark = [pytest.mark.network, pytest.mark.asyncio(loop_scope="module")]

LENDERS = ("UNIB", "UNIC")
#: One record per story, held by both lenders (one copy each), so the stories stay apart.
STORIES = ("rota", "end", "cond-ok", "cond-no", "cond-late", "lost-a", "lost-b", "cancel", "late")

NOTES = """
query Notes($id: ID!) { borrowingRequest(id: $id) { history { kind note partnerCode } } }
"""
USER_LETTERS = """
query Letters($id: String!) { user(primaryId: $id) { notifications { letter subject } } }
"""


def _member(code: str) -> dict[str, Any]:
    data = rs_institution(code)
    if code in LENDERS:
        data["records"] += [
            record(f"tn-{s}", title=f"Three Nodes {s}", holdings=[holding("MAIN", f"{code}-{s}")])
            for s in STORIES
        ]
    return data


@pytest_asyncio.fixture(
    scope="module",
    loop_scope="module",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
async def net(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[LiveNetwork]:
    """UNIA, UNIB, UNIC and a hub; on the PostgreSQL leg UNIC keeps its data there."""
    from tests.conftest import _create_pg_database, _drop_pg_database

    pg = await _create_pg_database() if request.param == "postgres" else None
    network = await start_network(
        tmp_path_factory.mktemp(f"three-{request.param}"),
        [_member(c) for c in ("UNIA", *LENDERS)],
        node_settings={"jobs_enabled": False},
        database_urls={"UNIC": pg} if pg else None,
    )
    try:
        await sync_partners(runtime=network.hub_runtime)  # the hub's partner-sync job
        yield network
    finally:
        await network.close()
        for node in network.nodes.values():
            await node.runtime.close()
        if pg:
            await _drop_pg_database(pg)


class Staff:
    """A node's resource sharing manager on its staff API."""

    def __init__(self, node: NetworkNode, token: str) -> None:
        self.node, self.token = node, token

    async def raw(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = await self.node.http.post(
            f"{self.node.url}/graphql",
            json={"query": query, "variables": variables},
            headers={"authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body.get("errors"):
            raise GraphQLErrors(body["errors"])
        return body["data"]

    async def borrowing(self, rid: str) -> dict[str, Any]:
        found: dict[str, Any] = (await self.raw(q.BORROWING_ONE, {"id": rid}))["borrowingRequest"]
        return found

    async def lending(self, lid: str) -> dict[str, Any]:
        found: dict[str, Any] = (await self.raw(q.LENDING_ONE, {"id": lid}))["lendingRequest"]
        return found

    async def b_step(self, field: str, rid: str, **arguments: Any) -> dict[str, Any]:
        args, types = _signature(arguments)
        data = await self.raw(q.borrowing_step(field, args, types), {"id": rid, **arguments})
        return data[field]  # type: ignore[no-any-return]

    async def l_step(self, field: str, lid: str, **arguments: Any) -> dict[str, Any]:
        args, types = _signature(arguments)
        data = await self.raw(q.lending_step(field, args, types), {"id": lid, **arguments})
        return data[field]  # type: ignore[no-any-return]

    async def lending_for(self, title: str) -> dict[str, Any]:
        """The lending request for ``title`` (this node lends it at most once per story)."""
        page = (await self.raw(q.LENDING_LIST, {"first": 200}))["lendingRequests"]
        found = [n for n in page["nodes"] if n["title"] == title]
        assert len(found) == 1, [(n["title"], n["status"]) for n in page["nodes"]]
        return found[0]

    async def notes(self, rid: str) -> list[tuple[str, str | None, str | None]]:
        history = (await self.raw(NOTES, {"id": rid}))["borrowingRequest"]["history"]
        return [(h["kind"], h["note"], h["partnerCode"]) for h in history]

    async def letters(self, primary_id: str) -> list[tuple[str, str]]:
        user = (await self.raw(USER_LETTERS, {"id": primary_id}))["user"]
        return [(n["letter"], n["subject"]) for n in user["notifications"]]


_TYPES = {
    "reason": "String!",
    "note": "String",
    "condition": "String!",
    "replyBy": "DateTime!",
    "barcode": "String",
    "deskCode": "String!",
    "dueAt": "DateTime",
    "fee": "String",
}


def _signature(arguments: dict[str, Any]) -> tuple[str, str]:
    args = ", ".join(f"{k}: ${k}" for k in arguments)
    types = "".join(f", ${k}: {_TYPES[k]}" for k in arguments)
    return args, types


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def staff(net: LiveNetwork) -> dict[str, Staff]:
    return {
        code: Staff(node, await node.token(api_key(f"{code.lower()}-rs-manager")))
        for code, node in net.nodes.items()
    }


def _statuses(request: dict[str, Any]) -> list[str]:
    return [h["toStatus"] for h in request["history"] if h["category"] == "STATUS"]


async def _ask(staff: dict[str, Staff], story: str, partners: list[str]) -> dict[str, Any]:
    made = (
        await staff["UNIA"].raw(
            q.CREATE,
            {
                "input": {
                    "patronPrimaryId": "P1",
                    "pickupLibraryCode": "MAIN",
                    "recordId": f"tn-{story}",
                    "title": f"Three Nodes {story}",
                    "partnerCodes": partners,
                    "send": True,
                }
            },
        )
    )["createBorrowingRequest"]
    assert (made["status"], made["partnerCode"], made["rota"]) == (
        "REQUEST_SENT",
        partners[0],
        partners,
    )
    return made


async def _shipped(net: LiveNetwork, staff: dict[str, Staff], story: str, lender: str) -> str:
    """``story``'s request at ``lender`` supplied and shipped; UNIA has it SHIPPED.
    Returns the lending request's id."""
    lent = await staff[lender].lending_for(f"Three Nodes {story}")
    await staff[lender].l_step("willSupplyLendingRequest", lent["id"])
    shipped = await staff[lender].l_step(
        "shipLendingRequest", lent["id"], deskCode="MAIN-DESK", barcode=f"{lender}-{story}"
    )
    assert shipped["status"] == "SHIPPED"
    await settle(net)
    return str(lent["id"])


async def test_rejected_by_the_first_the_second_supplies(
    net: LiveNetwork, staff: dict[str, Staff]
) -> None:
    a, b, c = staff["UNIA"], staff["UNIB"], staff["UNIC"]
    made = await _ask(staff, "rota", ["UNIB", "UNIC"])
    await settle(net)
    at_b = await b.lending_for("Three Nodes rota")
    assert (at_b["status"], at_b["partnerCode"]) == ("NEW", "UNIA")
    assert "UNFILL" in at_b["availableActions"]

    unfilled = await b.l_step("unfillLendingRequest", at_b["id"], reason="Not on shelf")
    assert unfilled["status"] == "UNFILLED"
    await settle(net)
    # UNIA moved on to UNIC by itself: UNIC has the request, UNIB's is closed.
    asked = await a.borrowing(made["id"])
    assert (asked["status"], asked["partnerCode"]) == ("REQUEST_SENT", "UNIC")
    assert _statuses(asked) == ["READY_TO_SEND", "REQUEST_SENT", "REQUEST_SENT"]
    assert ("ADVANCE_ROTA", "Not on shelf", "UNIB") in await a.notes(made["id"])
    assert (await b.lending(at_b["id"]))["status"] == "UNFILLED"
    at_c = await c.lending_for("Three Nodes rota")
    assert (at_c["status"], at_c["partnerCode"]) == ("NEW", "UNIA")

    supplying = await c.l_step("willSupplyLendingRequest", at_c["id"])
    assert supplying["status"] == "WILL_SUPPLY"
    await settle(net)
    assert (await a.borrowing(made["id"]))["status"] == "WILL_SUPPLY"

    shipped = await c.l_step(
        "shipLendingRequest", at_c["id"], deskCode="MAIN-DESK", barcode="UNIC-rota"
    )
    assert (shipped["status"], shipped["itemBarcode"]) == ("SHIPPED", "UNIC-rota")
    await settle(net)
    borrowed = await a.borrowing(made["id"])
    assert (borrowed["status"], borrowed["dueAt"]) == ("SHIPPED", shipped["dueAt"])
    assert "RECEIVE" in borrowed["availableActions"]

    received = await a.b_step("receiveBorrowingRequest", made["id"], deskCode="MAIN-DESK")
    assert received["status"] == "RECEIVED"
    await settle(net)
    # UNIC hears of it (a message on its request; its state stays SHIPPED).
    at_c = await c.lending(at_c["id"])
    assert at_c["status"] == "SHIPPED"
    assert [h["kind"] for h in at_c["history"] if h["category"] == "MESSAGE_IN"][-1] == ("RECEIVED")


async def test_every_partner_rejects_end_of_rota_and_a_letter(
    net: LiveNetwork, staff: dict[str, Staff]
) -> None:
    a = staff["UNIA"]
    before = await a.letters("P1")
    made = await _ask(staff, "end", ["UNIB", "UNIC"])
    await settle(net)
    for lender in LENDERS:
        lent = await staff[lender].lending_for("Three Nodes end")
        await staff[lender].l_step("unfillLendingRequest", lent["id"], reason="Missing")
        await settle(net)
        assert (await staff[lender].lending(lent["id"]))["status"] == "UNFILLED"
    ended = await a.borrowing(made["id"])
    assert (ended["status"], ended["partnerCode"]) == ("END_OF_ROTA", None)
    assert "RESEND" in ended["availableActions"]
    letters = await a.letters("P1")
    assert letters[len(before) :] == [
        ("Borrowing Request Not Filled", "We could not obtain: Three Nodes end")
    ]


async def test_conditions_accepted_the_request_goes_on(
    net: LiveNetwork, staff: dict[str, Staff]
) -> None:
    a, c = staff["UNIA"], staff["UNIC"]
    made = await _ask(staff, "cond-ok", ["UNIC"])
    await settle(net)
    lent = await c.lending_for("Three Nodes cond-ok")
    reply_by = (now() + timedelta(days=3)).isoformat()
    conditional = await c.l_step(
        "addLendingConditions",
        lent["id"],
        condition="LIBRARY_USE_ONLY",
        replyBy=reply_by,
        note="reading room only",
    )
    assert conditional["status"] == "CONDITIONAL"
    await settle(net)
    asked = await a.borrowing(made["id"])
    assert asked["status"] == "CONDITIONAL"
    assert {"ACCEPT_CONDITIONS", "DECLINE_CONDITIONS"} <= set(asked["availableActions"])
    assert asked["activeNotes"] == 1
    said = [h for h in asked["history"] if h["kind"] == "CONDITIONS"]
    assert [h["category"] for h in said] == ["MESSAGE_IN"]

    accepted = await a.b_step("acceptBorrowingConditions", made["id"], note="fine")
    assert accepted["status"] == "WILL_SUPPLY"
    await settle(net)
    assert (await c.lending(lent["id"]))["status"] == "WILL_SUPPLY"
    shipped = await c.l_step(
        "shipLendingRequest", lent["id"], deskCode="MAIN-DESK", barcode="UNIC-cond-ok"
    )
    assert shipped["status"] == "SHIPPED"
    await settle(net)
    assert (await a.borrowing(made["id"]))["status"] == "SHIPPED"


async def test_conditions_declined_the_next_partner_is_asked(
    net: LiveNetwork, staff: dict[str, Staff]
) -> None:
    a, b, c = staff["UNIA"], staff["UNIB"], staff["UNIC"]
    made = await _ask(staff, "cond-no", ["UNIC", "UNIB"])
    await settle(net)
    lent = await c.lending_for("Three Nodes cond-no")
    reply_by = (now() + timedelta(days=3)).isoformat()
    await c.l_step("addLendingConditions", lent["id"], condition="FEE", replyBy=reply_by)
    await settle(net)
    assert (await a.borrowing(made["id"]))["status"] == "CONDITIONAL"

    # Declining is a Cancel to UNIC (ISO 18626 has no decline) and the rota moves on.
    declined = await a.b_step("declineBorrowingConditions", made["id"], note="no fee")
    assert (declined["status"], declined["partnerCode"]) == ("REQUEST_SENT", "UNIB")
    await settle(net)
    at_c = await c.lending(lent["id"])
    assert at_c["status"] == "CANCELLED"
    assert {"WILL_SUPPLY", "SHIP"}.isdisjoint(at_c["availableActions"])
    at_b = await b.lending_for("Three Nodes cond-no")
    assert at_b["status"] == "NEW"
    # UNIC's cancel response reached UNIA (no error: _settle checks) and changed nothing
    # there but a line in the history.
    after = await a.borrowing(made["id"])
    assert (after["status"], after["partnerCode"]) == ("REQUEST_SENT", "UNIB")
    assert ("CANCEL_RESPONSE", "UNIC") in [
        (h["kind"], h["partnerCode"]) for h in after["history"] if h["category"] == "MESSAGE_IN"
    ]


async def test_conditions_not_answered_expire_at_reply_by(
    net: LiveNetwork, staff: dict[str, Staff]
) -> None:
    a, c = staff["UNIA"], staff["UNIC"]
    made = await _ask(staff, "cond-late", ["UNIC"])
    await settle(net)
    lent = await c.lending_for("Three Nodes cond-late")
    reply_by = now() + timedelta(hours=2)
    await c.l_step(
        "addLendingConditions",
        lent["id"],
        condition="LIBRARY_USE_ONLY",
        replyBy=reply_by.isoformat(),
    )
    await settle(net)
    assert (await a.borrowing(made["id"]))["status"] == "CONDITIONAL"

    unic = net.nodes["UNIC"].runtime
    assert (await resource_sharing_jobs(unic, now=reply_by - timedelta(minutes=1))).expired == 0
    assert (await c.lending(lent["id"]))["status"] == "CONDITIONAL"
    assert (await resource_sharing_jobs(unic, now=reply_by + timedelta(minutes=1))).expired == 1
    expired = await c.lending(lent["id"])
    assert expired["status"] == "UNFILLED"
    assert expired["alerts"] == 1
    assert ("ALERT", "CONDITIONS_EXPIRED") in [
        (h["category"], h["kind"]) for h in expired["history"]
    ]
    await settle(net)
    # UNIA hears it as unfilled: UNIC was its last partner.
    ended = await a.borrowing(made["id"])
    assert (ended["status"], ended["partnerCode"]) == ("END_OF_ROTA", None)


async def test_reported_lost_by_the_borrower(net: LiveNetwork, staff: dict[str, Staff]) -> None:
    a, b = staff["UNIA"], staff["UNIB"]
    made = await _ask(staff, "lost-a", ["UNIB"])
    await settle(net)
    lid = await _shipped(net, staff, "lost-a", "UNIB")
    await a.b_step("receiveBorrowingRequest", made["id"], deskCode="MAIN-DESK")
    reported = await a.b_step("reportBorrowingRequestLost", made["id"], note="gone from shelf")
    assert reported["status"] == "REPORTED_LOST"
    await settle(net)
    # UNIB hears of it as a message kept on its request; it decides what to charge.
    at_b = await b.lending(lid)
    assert at_b["status"] == "SHIPPED"
    heard = [h for h in at_b["history"] if h["category"] == "MESSAGE_IN"]
    assert heard[-1]["kind"] == "REPORTED_LOST"
    assert "DECLARE_LOST" in at_b["availableActions"]

    declared = await b.l_step("declareLendingRequestLost", lid, fee="40.00")
    assert declared["status"] == "LOST_AND_FEE_COMMUNICATED"
    await settle(net)
    at_a = await a.borrowing(made["id"])
    assert at_a["status"] == "DECLARED_LOST_BY_PARTNER"
    assert "COMPLETE" in at_a["availableActions"]


async def test_declared_lost_by_the_lender(net: LiveNetwork, staff: dict[str, Staff]) -> None:
    a, c = staff["UNIA"], staff["UNIC"]
    made = await _ask(staff, "lost-b", ["UNIC"])
    await settle(net)
    lid = await _shipped(net, staff, "lost-b", "UNIC")
    declared = await c.l_step("declareLendingRequestLost", lid, fee="25.50", note="never came")
    assert declared["status"] == "LOST_AND_FEE_COMMUNICATED"
    assert "COMPLETE" in declared["availableActions"]
    await settle(net)
    at_a = await a.borrowing(made["id"])
    assert at_a["status"] == "DECLARED_LOST_BY_PARTNER"
    assert at_a["activeNotes"] == 1
    said = [h for h in at_a["history"] if h["kind"] == "DECLARED_LOST"]
    assert [h["category"] for h in said] == ["MESSAGE_IN"]
    assert "COMPLETE" in at_a["availableActions"]
    done = await a.b_step("completeBorrowingRequest", made["id"], note="fee paid")
    assert done["status"] == "COMPLETED"
    done = await c.l_step("completeLendingRequest", lid, note="fee paid")
    assert done["status"] == "COMPLETED"


async def test_cancel_before_shipping_the_supplier_confirms(
    net: LiveNetwork, staff: dict[str, Staff]
) -> None:
    a, b = staff["UNIA"], staff["UNIB"]
    made = await _ask(staff, "cancel", ["UNIB"])
    await settle(net)
    lent = await b.lending_for("Three Nodes cancel")
    await b.l_step("willSupplyLendingRequest", lent["id"])
    await settle(net)
    asking = await a.b_step("cancelBorrowingRequest", made["id"], reason="patron found a copy")
    assert asking["status"] == "CANCEL_REQUESTED"
    await settle(net)
    at_b = await b.lending(lent["id"])
    assert at_b["status"] == "CANCELLED"
    assert {"SHIP", "WILL_SUPPLY", "UNFILL"}.isdisjoint(at_b["availableActions"])
    at_a = await a.borrowing(made["id"])
    assert _statuses(at_a)[-2:] == ["CANCEL_REQUESTED", "CANCELLED"]


async def test_cancel_after_shipping_is_refused(net: LiveNetwork, staff: dict[str, Staff]) -> None:
    a, b = staff["UNIA"], staff["UNIB"]
    made = await _ask(staff, "late", ["UNIB"])
    await settle(net)
    lid = await _shipped(net, staff, "late", "UNIB")
    assert "CANCEL" not in (await a.borrowing(made["id"]))["availableActions"]
    with pytest.raises(GraphQLErrors) as refused:
        await a.b_step("cancelBorrowingRequest", made["id"], reason="too late")
    assert refused.value.codes == ["ILLEGAL_TRANSITION"]
    assert "shipped" in refused.value.errors[0]["message"]
    await settle(net)
    assert (await a.borrowing(made["id"]))["status"] == "SHIPPED"
    assert (await b.lending(lid))["status"] == "SHIPPED"
