"""Pickup anywhere, walk-in loans and return anywhere through a real hub and three real
nodes (DOMAIN §6, issue 6): home UNIA (patrons P1, P2), owner UNIB, pickup member UNIC.

One network serves the module; each test uses its own items, so they do not meet.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from institution_node.services.fulfilment.jobs import run_overdue_and_lost
from institution_node.services.requests import lifecycle as request_service
from institution_node.store.models import Item, Loan, Request, User
from tests.network.test_getit import patron_token
from tests.support.builders import two_library_institution
from tests.support.circ_queries import LOAN_FIELDS, RENEW, USER_FEES
from tests.support.fulfilment_queries import (
    HUB_CANCEL,
    HUB_LOAN,
    HUB_OWNER_ITEM,
    HUB_RECEIVE,
    HUB_REQUEST,
    HUB_RETURN,
    HUB_WALK_IN,
    STAFF_LOAN,
)
from tests.support.network import LiveNetwork, start_network
from tests.support.pickup_network import (
    activity,
    at_b,
    b_item_status,
    b_sends,
    c_receives,
    hub,
    letters,
    owner_data,
    pick_list,
    refused,
    request_for_c,
    staff,
)
from tests.support.request_queries import PICK_SLIP

B_LOANS = f"""
query($id: String!) {{
  user(primaryId: $id) {{
    loans {{ {LOAN_FIELDS} loanInstitution returnInstitution }}
    loanHistory {{ {LOAN_FIELDS} loanInstitution returnInstitution }}
  }}
}}"""

pytestmark = [pytest.mark.network, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def net(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveNetwork]:
    members = [
        two_library_institution("UNIA"),
        owner_data(),
        two_library_institution("UNIC"),
    ]
    # 50 concurrent writes queue at one SQLite owner: allow them time on a busy machine.
    network = await start_network(
        tmp_path_factory.mktemp("pickup"), members, hub_settings={"member_timeout_seconds": 15.0}
    )
    yield network
    await network.close()


async def request_states(net: LiveNetwork) -> list[tuple[str, str, str, str]]:
    """P1's request for S-1 as UNIA's staff see it in Network Activity."""
    rows = (await activity(net))["requests"]
    return [
        (r["institutionCode"], r["status"], r["pickupInstitution"], r["pickupLocation"])
        for r in rows
        if r["title"] == "Travelling S-1"
    ]


async def test_the_whole_story(net: LiveNetwork) -> None:
    placed = await request_for_c(net, "S-1")
    assert (placed["requestStatus"], placed["pickupInstitution"], placed["pickupLibraryName"]) == (
        "PICK_FROM_SHELF",
        "UNIC",
        "Main Library",
    )
    # Owner side: the pick list and pick slip name the pickup member and library.
    picks = [p for p in await pick_list(net) if p["itemBarcode"] == "S-1"]
    assert [(p["pickupInstitution"], p["pickupLibraryCode"]) for p in picks] == [("UNIC", "MAIN")]
    slip = await at_b(net, PICK_SLIP, id=picks[0]["id"])
    assert "UNIC" in slip
    assert "Main Library" in slip

    assert await request_states(net) == [("UNIB", "PICK_FROM_SHELF", "UNIC", "Main Library")]
    sent = await b_sends(net, "S-1")
    assert await request_states(net) == [("UNIB", "IN_TRANSIT", "UNIC", "Main Library")]
    assert (sent["nextStep"], sent["destinationInstitution"], sent["destinationLibraryCode"]) == (
        "TRANSIT",
        "UNIC",
        "MAIN",
    )
    held = await c_receives(net, "S-1", "recv-S-1")
    assert (held["requestStatus"], held["nextStep"], held["patronName"]) == (
        "ON_HOLD_SHELF",
        "HOLD_SHELF",
        "P1 Reader",
    )
    assert await letters(net, "UNIA:P1", "On Hold Shelf") == 1
    assert await request_states(net) == [("UNIB", "ON_HOLD_SHELF", "UNIC", "Main Library")]

    c_token = await staff(net, "UNIC", "main-op")
    loan = await hub(
        net,
        HUB_LOAN,
        c_token,
        owner="UNIB",
        barcode="S-1",
        desk="MAIN-DESK",
        home="UNIA",
        user="P1",
        key="loan-S-1",
    )
    assert (loan["loanStatus"], loan["loanInstitution"], loan["requestStatus"]) == (
        "ACTIVE",
        "UNIC",
        "COMPLETED",
    )
    seen = await activity(net)
    assert [(x["institutionCode"], x["barcode"], x["loanInstitution"]) for x in seen["loans"]] == [
        ("UNIB", "S-1", "UNIC")
    ]
    assert await request_states(net) == []

    back = await hub(
        net, HUB_RETURN, c_token, owner="UNIB", barcode="S-1", desk="MAIN-DESK", key="ret-S-1"
    )
    assert (back["loanStatus"], back["nextStep"], back["destinationInstitution"]) == (
        "RETURNED",
        "TRANSIT",
        "UNIB",
    )
    assert await b_item_status(net, "S-1") == "IN_TRANSIT"
    assert (await activity(net))["loans"] == []
    home = await b_sends(net, "S-1")
    assert home["nextStep"] == "RESHELVE"
    assert await b_item_status(net, "S-1") == "ON_SHELF"


async def test_walk_in_loan_at_the_owner(net: LiveNetwork) -> None:
    b_token = await staff(net, "UNIB")
    account = await hub(net, HUB_WALK_IN, b_token, home="UNIA", user="P2", key="walk-P2")
    assert (account["institutionCode"], account["localPrimaryId"], account["firstName"]) == (
        "UNIB",
        "UNIA:P2",
        "P2",
    )
    async with net.nodes["UNIB"].runtime.sessions() as session:
        origin = await session.scalar(select(User.link_origin).where(User.primary_id == "UNIA:P2"))
    assert origin == "WALK_IN"
    loan = await at_b(net, STAFF_LOAN, desk="MAIN-DESK", patron="UNIA:P2", barcode="W-1")
    assert loan["status"] == "ACTIVE"
    loans = (await activity(net, "P2"))["loans"]
    assert [(x["institutionCode"], x["barcode"], x["loanInstitution"]) for x in loans] == [
        ("UNIB", "W-1", "UNIB")
    ]
    # Returns at UNIC are refused: UNIB allows no return anywhere, and it was loaned at UNIB.
    c_token = await staff(net, "UNIC", "main-op")
    codes = await refused(
        net, HUB_RETURN, c_token, owner="UNIB", barcode="W-1", desk="MAIN-DESK", key="r-W-1"
    )
    assert codes == ["RETURN_NOT_ALLOWED"]


async def test_cancellation_mid_transit_sends_the_item_home(net: LiveNetwork) -> None:
    placed = await request_for_c(net, "C-1")
    await b_sends(net, "C-1")
    cancelled = await hub(
        net,
        HUB_CANCEL,
        await patron_token(net, "P1"),
        owner="UNIB",
        id=placed["requestId"],
        reason="Found it elsewhere",
        key="cancel-C-1",
    )
    assert (cancelled["requestStatus"], cancelled["nextStep"]) == ("CANCELLED", "TRANSIT")
    assert cancelled["destinationInstitution"] == "UNIB"
    # It still reaches UNIC; UNIC's scan-in names its way home, and UNIB reshelves it.
    there = await c_receives(net, "C-1", "recv-C-1")
    assert (
        there["nextStep"],
        there["destinationInstitution"],
        there["destinationLibraryCode"],
    ) == (
        "TRANSIT",
        "UNIB",
        "MAIN",
    )
    assert (await b_sends(net, "C-1"))["nextStep"] == "RESHELVE"
    assert await b_item_status(net, "C-1") == "ON_SHELF"


async def test_hold_shelf_expiry_sends_the_item_home(net: LiveNetwork) -> None:
    await request_for_c(net, "E-1", patron="P2")
    await b_sends(net, "E-1")
    await c_receives(net, "E-1", "recv-E-1")
    async with net.nodes["UNIB"].runtime.sessions() as session:
        expired = await request_service.expire_hold_shelf(
            session, now=datetime.now(UTC) + timedelta(days=30)
        )
    assert len(expired) == 1
    assert [
        r for r in (await activity(net, "P2"))["requests"] if r["title"] == "Travelling E-1"
    ] == []
    there = await c_receives(net, "E-1", "recv-E-1-again")
    assert (there["requestStatus"], there["nextStep"], there["destinationInstitution"]) == (
        "CANCELLED",
        "TRANSIT",
        "UNIB",
    )
    assert (await b_sends(net, "E-1"))["nextStep"] == "RESHELVE"


async def test_retries_with_one_key_make_one_request(net: LiveNetwork) -> None:
    token = await patron_token(net, "P1")
    variables = {"owner": "UNIB", "pi": "UNIC", "pl": "MAIN", "barcode": "I-1", "key": "k-50"}
    answers = await asyncio.gather(
        *(net.hub_gql(HUB_REQUEST, variables, token=token) for _ in range(50))
    )
    assert {a["networkRequest"]["requestId"] for a in answers} == {
        answers[0]["networkRequest"]["requestId"]
    }
    async with net.nodes["UNIB"].runtime.sessions() as session:
        rows = await session.scalar(
            select(func.count(Request.id))
            .join(Item, Item.id == Request.item_id)
            .where(Item.barcode == "I-1")
        )
    assert rows == 1
    codes = await refused(net, HUB_REQUEST, token, **{**variables, "barcode": "R-1"})
    assert codes == ["IDEMPOTENCY_MISMATCH"]
    # The same key at another owner, which could not know it: the hub refuses it itself.
    elsewhere = {**variables, "owner": "UNIC", "pi": "UNIB", "barcode": "M-1"}
    assert await refused(net, HUB_REQUEST, token, **elsewhere) == ["IDEMPOTENCY_MISMATCH"]
    b_token = await staff(net, "UNIB")
    walk_ins = await asyncio.gather(
        *(
            net.hub_gql(HUB_WALK_IN, {"home": "UNIA", "user": "P1", "key": "w-50"}, token=b_token)
            for _ in range(50)
        )
    )
    assert len({w["walkInRegister"]["networkLinkId"] for w in walk_ins}) == 1


async def test_pickup_staff_get_refusals_outside_their_steps(net: LiveNetwork) -> None:
    await request_for_c(net, "R-1", patron="P2")
    c_main = await staff(net, "UNIC", "main-op")
    c_law = await staff(net, "UNIC", "law-op")
    a_admin = await staff(net, "UNIA")
    b_item = {"owner": "UNIB", "desk": "MAIN-DESK"}
    # Not yet sent: UNIC sees nothing of it; other UNIB items are never UNIC's business.
    assert await refused(net, HUB_OWNER_ITEM, c_main, barcode="R-1", **b_item) == ["NOT_FOUND"]
    assert await refused(net, HUB_OWNER_ITEM, c_main, barcode="M-1", **b_item) == ["NOT_FOUND"]
    await b_sends(net, "R-1")
    seen = await hub(net, HUB_OWNER_ITEM, c_main, barcode="R-1", **b_item)
    assert (seen["requestStatus"], seen["homeUserId"]) == ("IN_TRANSIT", "P2")
    # A desk outside the operator's roles, another member's desk, a patron's token.
    assert await refused(net, HUB_RECEIVE, c_law, barcode="R-1", key="x1", **b_item) == [
        "FORBIDDEN"
    ]
    assert await refused(net, HUB_RECEIVE, a_admin, barcode="R-1", key="x2", **b_item) == [
        "NOT_FOUND"
    ]
    patron = await patron_token(net, "P2")
    assert await refused(net, HUB_RECEIVE, patron, barcode="R-1", key="x3", **b_item) == [
        "FORBIDDEN"
    ]
    anonymous = await net.hub_gql_raw(HUB_RECEIVE, {"barcode": "R-1", "key": "x7", **b_item})
    assert [e["extensions"]["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]
    await c_receives(net, "R-1", "recv-R-1")
    # Loaning it to another patron, loaning or returning what UNIC does not hold: refused.
    wrong = {"home": "UNIA", "user": "P1", "key": "x4"}
    assert await refused(net, HUB_LOAN, c_main, barcode="R-1", **b_item, **wrong) == [
        "ITEM_NOT_AVAILABLE"
    ]
    assert await refused(
        net, HUB_LOAN, c_main, barcode="M-2", **b_item, **{**wrong, "key": "x5"}
    ) == ["NOT_FOUND"]
    assert await refused(net, HUB_RETURN, c_main, barcode="M-2", key="x6", **b_item) == [
        "RETURN_NOT_ALLOWED"
    ]
    assert await b_item_status(net, "M-2") == "ON_SHELF"


async def loaned_at_c(net: LiveNetwork, barcode: str) -> None:
    """P1's request for ``barcode`` picked up and loaned at UNIC's MAIN desk."""
    await request_for_c(net, barcode)
    await b_sends(net, barcode)
    await c_receives(net, barcode, f"recv-{barcode}")
    c_token = await staff(net, "UNIC", "main-op")
    await hub(
        net,
        HUB_LOAN,
        c_token,
        owner="UNIB",
        barcode=barcode,
        desk="MAIN-DESK",
        home="UNIA",
        user="P1",
        key=f"loan-{barcode}",
    )


async def b_loan(net: LiveNetwork, barcode: str) -> dict[str, Any]:
    """The loan of ``barcode`` as UNIB's own staff see it on the patron's record."""
    user = await at_b(net, B_LOANS, id="UNIA:P1")
    return next(x for x in user["loans"] + user["loanHistory"] if x["itemBarcode"] == barcode)


async def test_the_owner_sees_where_its_loan_was_made_and_keeps_managing_it(
    net: LiveNetwork,
) -> None:
    """DOMAIN §6.5: the loan is UNIB's (renewals, overdue, lost, fees by its terms); its
    desk and library are UNIC's. (Last in the module: it moves UNIB's clock on.)"""
    await loaned_at_c(net, "O-1")
    await loaned_at_c(net, "O-2")
    loan = await b_loan(net, "O-1")
    assert (
        loan["loanInstitution"],
        loan["loanDeskCode"],
        loan["loanLibraryCode"],
        loan["owningLibraryCode"],
        loan["status"],
    ) == ("UNIC", "MAIN-DESK", "MAIN", "MAIN", "ACTIVE")
    # UNIB's own loans say UNIB.
    own = (await at_b(net, B_LOANS, id="UNIA:P2"))["loans"]
    assert {x["loanInstitution"] for x in own} <= {"UNIB"}

    renewed = await at_b(net, RENEW, id=loan["id"])
    assert renewed["renewals"] == 1
    assert renewed["dueAt"] > loan["dueAt"]
    assert renewed["loanDeskCode"] == "MAIN-DESK"

    # Overdue and lost by UNIB's own terms and jobs, wherever the loan was made.
    other = await b_loan(net, "O-2")
    due = datetime.fromisoformat(other["dueAt"])
    await run_overdue_and_lost(net.nodes["UNIB"].runtime.sessions, now=due + timedelta(days=5))
    fines = [
        f for f in (await at_b(net, USER_FEES, id="UNIA:P1"))["fees"] if f["type"] == "OVERDUE"
    ]
    assert fines
    assert {f["ownerLibraryCode"] for f in fines} == {"MAIN"}
    await run_overdue_and_lost(net.nodes["UNIB"].runtime.sessions, now=due + timedelta(days=11))
    async with net.nodes["UNIB"].runtime.sessions() as session:
        lost = (
            await session.execute(
                select(Loan.status, Loan.loan_institution, Loan.loan_desk_code)
                .join(Item, Item.id == Loan.item_id)
                .where(Item.barcode == "O-2")
            )
        ).one()
    assert tuple(lost) == ("LOST", "UNIC", "MAIN-DESK")
    fees = (await at_b(net, USER_FEES, id="UNIA:P1"))["fees"]
    assert "LOST_ITEM" in {f["type"] for f in fees}

    # Returned at UNIC: UNIB sees where.
    c_token = await staff(net, "UNIC", "main-op")
    await hub(net, HUB_RETURN, c_token, owner="UNIB", barcode="O-1", desk="MAIN-DESK", key="r-O-1")
    back = await b_loan(net, "O-1")
    assert (
        back["status"],
        back["returnInstitution"],
        back["returnDeskCode"],
        back["returnLibraryCode"],
    ) == ("RETURNED", "UNIC", "MAIN-DESK", "MAIN")
