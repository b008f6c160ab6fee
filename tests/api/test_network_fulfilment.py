"""The owner's side of pickup anywhere on the network API (issue 6, docs/NETWORK.md):
idempotent steps under 50 concurrent retries (SQLite and PostgreSQL), refusals for any
member but the one the step belongs to, and the Loan Receipt owned by the pickup library."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from institution_node.store.models import Loan, Notification, Request, User
from tests.conftest import NodeFactory
from tests.support.builders import api_key, two_library_institution
from tests.support.fulfilment_queries import (
    NODE_CANCEL,
    NODE_ITEM,
    NODE_LOAN,
    NODE_PLACE,
    NODE_RECEIVE,
    NODE_RETURN,
)
from tests.support.nodes import GraphQLErrors, NodeHarness
from tests.support.request_queries import SCAN_IN
from tests.support.service_tokens import hub_key, hub_settings, service_token

NETWORK = "/network/graphql"
KEY = hub_key()
PATRON = {
    "homeInstitution": "UNIA",
    "homeUserId": "ada",
    "firstName": "Ada",
    "lastName": "Lovelace",
    "email": "ada@unia.example.edu",
    "userGroup": "GRAD",
    "expiryDate": "2030-06-30",
}
IDENTITY = {"homeInstitution": "UNIA", "homeUserId": "ada"}
RENEW = "mutation($id: ID!) { renew(loanId: $id) { renewals } }"
PICKUP = {"institution": "UNIC", "libraryCode": "MAIN", "libraryName": "Main Library"}


def acting(institution: str = "UNIC", library: str = "MAIN") -> dict[str, Any]:
    return {
        "institution": institution,
        "libraryCode": library,
        "libraryName": f"{library.title()} Library at {institution}",
        "deskCode": f"{library}-DESK",
        "replyTo": f"{library.lower()}@{institution.lower()}.example.edu",
    }


async def owner(
    node_factory: NodeFactory, db_url: str | None = None, **settings: Any
) -> NodeHarness:
    data = two_library_institution(
        "UNIB",
        **{
            "uresolver_remote_register": "AUTO",  # MANUAL: Register first
            "pickup_anywhere": ["UNIC"],
            "return_anywhere": False,
            **settings,
        },
    )
    kwargs: dict[str, Any] = {"db_url": db_url} if db_url else {}
    return await node_factory(data, **hub_settings(KEY), **kwargs)


async def net(node: NodeHarness, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    data = await node.gql(query, variables, token=service_token(KEY, "UNIB"), path=NETWORK)
    step: dict[str, Any] = next(iter(data.values()))
    return step


async def place(node: NodeHarness, key: str = "place-1", **changes: Any) -> dict[str, Any]:
    variables = {"patron": PATRON, "pickup": PICKUP, "key": key, "barcode": "M-1", **changes}
    return await net(node, NODE_PLACE, variables)


async def count(node: NodeHarness, model: Any, *where: Any) -> int:
    async with node.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def send_to_pickup(node: NodeHarness) -> None:
    token = await node.token(api_key("unib-admin"))
    scan = await node.gql(SCAN_IN, {"barcode": "M-1", "desk": "MAIN-DESK"}, token=token)
    assert scan["scanIn"]["nextStep"] == "TRANSIT"
    assert scan["scanIn"]["destinationInstitution"] == "UNIC"


async def fifty(node: NodeHarness, query: str, variables: dict[str, Any]) -> list[dict[str, Any]]:
    return list(await asyncio.gather(*(net(node, query, variables) for _ in range(50))))


async def test_each_step_retried_50_times_concurrently_leaves_one_record(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await owner(node_factory, db_url)
    placed = await fifty(
        node, NODE_PLACE, {"patron": PATRON, "pickup": PICKUP, "key": "p-50", "barcode": "M-1"}
    )
    assert {p["requestId"] for p in placed} == {placed[0]["requestId"]}
    assert placed[0]["requestStatus"] == "PICK_FROM_SHELF"
    assert await count(node, Request, Request.kind == "PATRON") == 1
    assert await count(node, User, User.source_user_id == "ada") == 1

    await send_to_pickup(node)
    received = await fifty(node, NODE_RECEIVE, {"acting": acting(), "barcode": "M-1", "key": "r"})
    assert {r["requestStatus"] for r in received} == {"ON_HOLD_SHELF"}
    assert await count(node, Notification, Notification.letter == "On Hold Shelf") == 1

    loaned = await fifty(
        node,
        NODE_LOAN,
        {"acting": acting(), "barcode": "M-1", "patron": IDENTITY, "key": "l"},
    )
    assert {(x["loanStatus"], x["loanInstitution"]) for x in loaned} == {("ACTIVE", "UNIC")}
    assert await count(node, Loan) == 1

    returned = await fifty(node, NODE_RETURN, {"acting": acting(), "barcode": "M-1", "key": "t"})
    assert {(x["loanStatus"], x["nextStep"]) for x in returned} == {("RETURNED", "TRANSIT")}
    assert returned[0]["destinationInstitution"] == "UNIB"
    assert await count(node, Request, Request.kind == "TRANSIT") == 1
    assert await count(node, Notification, Notification.letter == "Return Receipt") == 1


async def test_same_key_with_another_payload_is_refused(node_factory: NodeFactory) -> None:
    node = await owner(node_factory)
    await place(node, "k-same")
    with pytest.raises(GraphQLErrors) as refused:
        await place(node, "k-same", barcode="M-2")
    assert refused.value.codes == ["IDEMPOTENCY_MISMATCH"]
    assert await count(node, Request) == 1


async def test_loan_is_the_owners_with_the_pickup_librarys_receipt(
    node_factory: NodeFactory,
) -> None:
    node = await owner(node_factory)
    await place(node)
    await send_to_pickup(node)
    await net(node, NODE_RECEIVE, {"acting": acting(), "barcode": "M-1", "key": "r1"})
    loan = await net(
        node, NODE_LOAN, {"acting": acting(), "barcode": "M-1", "patron": IDENTITY, "key": "l1"}
    )
    assert loan["requestStatus"] == "COMPLETED"
    assert loan["dueDate"] is not None
    async with node.runtime.sessions() as session:
        row = await session.scalar(select(Loan))
        letter = await session.scalar(
            select(Notification).where(Notification.letter == "Loan Receipt")
        )
    assert row is not None
    assert letter is not None
    # The owner's loan period (28 days) applies; desk and library are the pickup member's.
    assert (row.due_at - row.loaned_at).days == 28
    assert (row.loan_institution, row.loan_location_label) == ("UNIC", "Main Library at UNIC")
    assert (letter.owner_library_id, letter.sender_institution, letter.sender_library_code) == (
        None,
        "UNIC",
        "MAIN",
    )
    assert letter.reply_to == "main@unic.example.edu"
    # Renewals are the owner's, at the owner's desk, within the owner's item policy.
    token = await node.token(api_key("unib-admin"))
    renewed = await node.gql(RENEW, {"id": str(row.id)}, token=token)
    assert renewed["renew"]["renewals"] == 1


async def test_other_members_are_refused_every_step(node_factory: NodeFactory) -> None:
    node = await owner(node_factory)
    await place(node)
    await send_to_pickup(node)
    stranger = acting("UNID")
    for query, variables in (
        (NODE_RECEIVE, {"acting": stranger, "barcode": "M-1", "key": "s1"}),
        (NODE_ITEM, {"acting": stranger, "barcode": "M-1"}),
        (NODE_RECEIVE, {"acting": acting(), "barcode": "M-2", "key": "s2"}),  # not its item
        (NODE_ITEM, {"acting": acting(), "barcode": "NO-SUCH"}),
    ):
        with pytest.raises(GraphQLErrors) as refused:
            await net(node, query, variables)
        assert refused.value.codes == ["NOT_FOUND"]
    await net(node, NODE_RECEIVE, {"acting": acting(), "barcode": "M-1", "key": "r2"})
    with pytest.raises(GraphQLErrors) as loan_refused:
        await net(
            node,
            NODE_LOAN,
            {"acting": stranger, "barcode": "M-1", "patron": IDENTITY, "key": "s3"},
        )
    assert loan_refused.value.codes == ["NOT_FOUND"]
    await net(
        node, NODE_LOAN, {"acting": acting(), "barcode": "M-1", "patron": IDENTITY, "key": "l2"}
    )
    with pytest.raises(GraphQLErrors) as return_refused:
        await net(node, NODE_RETURN, {"acting": stranger, "barcode": "M-1", "key": "s4"})
    assert return_refused.value.codes == ["RETURN_NOT_ALLOWED"]
    seen = await net(node, NODE_ITEM, {"acting": acting(), "barcode": "M-1"})
    assert (seen["loanStatus"], seen["patronName"]) == ("ACTIVE", "Ada Lovelace")


async def test_return_refusal_is_the_same_for_unknown_barcodes(node_factory: NodeFactory) -> None:
    # Without return anywhere, a member learns nothing of the owner's items by returning:
    # an item it did not loan and a barcode the owner does not have get the same answer.
    node = await owner(node_factory)
    for barcode in ("M-1", "NO-SUCH"):
        with pytest.raises(GraphQLErrors) as refused:
            await net(
                node, NODE_RETURN, {"acting": acting("UNID"), "barcode": barcode, "key": barcode}
            )
        assert refused.value.codes == ["RETURN_NOT_ALLOWED"]


async def test_placement_refusals(node_factory: NodeFactory) -> None:
    closed = await owner(node_factory, uresolver_remote_register="NONE")
    with pytest.raises(GraphQLErrors) as none:
        await place(closed)
    assert none.value.codes == ["REGISTRATION_DISABLED"]
    assert await count(closed, User, User.source_user_id == "ada") == 0
    node = await owner(node_factory)
    with pytest.raises(GraphQLErrors) as elsewhere:
        await place(node, pickup={**PICKUP, "institution": "UNID"})
    assert elsewhere.value.codes == ["PICKUP_NOT_ALLOWED"]
    with pytest.raises(GraphQLErrors) as not_loanable:
        await place(node, "k-2", barcode="L-2")
    assert not_loanable.value.codes == ["NOT_REQUESTABLE"]
    # Nothing half-made: no linked account was left behind by the refused requests.
    assert await count(node, User, User.source_user_id == "ada") == 0


async def test_patron_cancels_mid_transit_and_the_item_goes_home(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await owner(node_factory, db_url)
    placed = await place(node)
    await send_to_pickup(node)
    variables = {"patron": IDENTITY, "id": placed["requestId"], "reason": "No longer needed"}
    with pytest.raises(GraphQLErrors) as foreign:
        await net(
            node,
            NODE_CANCEL,
            {**variables, "patron": {**IDENTITY, "homeUserId": "bob"}, "key": "c0"},
        )
    assert foreign.value.codes == ["NOT_FOUND"]
    retries = await fifty(node, NODE_CANCEL, {**variables, "key": "c1"})
    cancelled = retries[0]
    assert {r["requestStatus"] for r in retries} == {"CANCELLED"}
    assert await count(node, Request, Request.kind == "TRANSIT") == 1
    assert await count(node, Notification) == 0  # the patron cancelled: no letter
    assert (cancelled["requestStatus"], cancelled["nextStep"]) == ("CANCELLED", "TRANSIT")
    assert (cancelled["destinationInstitution"], cancelled["destinationLibraryCode"]) == (
        "UNIB",
        "MAIN",
    )
    # The item reaches the pickup member anyway: scanning it there names its way home.
    home = await net(node, NODE_RECEIVE, {"acting": acting(), "barcode": "M-1", "key": "r3"})
    assert (home["nextStep"], home["destinationInstitution"]) == ("TRANSIT", "UNIB")


async def test_return_anywhere_lets_any_member_check_in(node_factory: NodeFactory) -> None:
    node = await owner(node_factory, return_anywhere=True)
    await place(node)
    await send_to_pickup(node)
    await net(node, NODE_RECEIVE, {"acting": acting(), "barcode": "M-1", "key": "r"})
    await net(
        node, NODE_LOAN, {"acting": acting(), "barcode": "M-1", "patron": IDENTITY, "key": "l"}
    )
    back = await net(node, NODE_RETURN, {"acting": acting("UNID"), "barcode": "M-1", "key": "t"})
    assert (back["loanStatus"], back["nextStep"], back["destinationLibraryCode"]) == (
        "RETURNED",
        "TRANSIT",
        "MAIN",
    )
    async with node.runtime.sessions() as session:
        receipt = await session.scalar(
            select(Notification).where(Notification.letter == "Return Receipt")
        )
        returned_at = await session.scalar(select(Loan.return_institution))
    assert receipt is not None
    assert (receipt.sender_institution, receipt.reply_to) == ("UNID", "main@unid.example.edu")
    assert returned_at == "UNID"
    with pytest.raises(GraphQLErrors) as again:
        await net(node, NODE_RETURN, {"acting": acting("UNID"), "barcode": "M-1", "key": "t2"})
    assert again.value.codes == ["ITEM_NOT_ON_LOAN"]


async def test_a_long_title_still_loans_and_returns_for_the_pickup_member(
    node_factory: NodeFactory, db_url: str
) -> None:
    """Titles hold 512 characters, letter subjects 255: the receipts shorten the subject."""
    data = two_library_institution(
        "UNIB", uresolver_remote_register="AUTO", pickup_anywhere=["UNIC"]
    )
    title = "A very long title " * 25
    data["records"][0]["title"] = title
    node = await node_factory(data, db_url=db_url, **hub_settings(KEY))
    await place(node)
    await send_to_pickup(node)
    await net(node, NODE_RECEIVE, {"acting": acting(), "barcode": "M-1", "key": "r1"})
    await net(
        node, NODE_LOAN, {"acting": acting(), "barcode": "M-1", "patron": IDENTITY, "key": "l1"}
    )
    back = await net(node, NODE_RETURN, {"acting": acting(), "barcode": "M-1", "key": "t1"})
    assert back["loanStatus"] == "RETURNED"
    async with node.runtime.sessions() as session:
        subjects = (
            await session.scalars(
                select(Notification.subject).where(Notification.sender_institution == "UNIC")
            )
        ).all()
    assert len(subjects) == 2
    assert all(len(s) <= 255 and s.endswith("…") for s in subjects)
