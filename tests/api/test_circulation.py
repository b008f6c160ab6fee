"""Loan, renew and return through the staff API: successes and every refusal."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from institution_node.services.circulation import common as circulation_common
from institution_node.store.models import Item, Notification
from tests.conftest import NodeFactory
from tests.support.builders import api_key, staff, two_library_institution
from tests.support.circ_queries import ITEM, LOAN, RENEW, RETURN, USER_RECORD
from tests.support.nodes import GraphQLErrors, NodeHarness


async def _item_status(node: NodeHarness, barcode: str) -> str:
    async with node.runtime.sessions() as s:
        status = await s.scalar(select(Item.status).where(Item.barcode == barcode))
    assert status is not None
    return status


async def test_loan_renew_return_at_the_owning_library(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await node_factory(two_library_institution(), db_url=db_url)
    op = await node.token(api_key("unia-main-op"))
    loan = (
        await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "P1", "barcode": "M-1"}, token=op)
    )["loan"]
    assert loan["status"] == "ACTIVE"
    assert (loan["owningLibraryCode"], loan["loanDeskCode"]) == ("MAIN", "MAIN-DESK")
    assert await _item_status(node, "M-1") == "ON_LOAN"

    renewed = (await node.gql(RENEW, {"id": loan["id"]}, token=op))["renew"]
    assert renewed["renewals"] == 1
    assert datetime.fromisoformat(renewed["dueAt"]) > datetime.fromisoformat(loan["dueAt"])

    back = (await node.gql(RETURN, {"desk": "MAIN-DESK", "barcode": "M-1"}, token=op))["return"]
    assert back["nextStep"] == "RESHELVE"
    assert back["loan"]["status"] == "RETURNED"
    assert back["loan"]["returnDeskCode"] == "MAIN-DESK"
    assert await _item_status(node, "M-1") == "ON_SHELF"

    record = (await node.gql(USER_RECORD, {"id": "P1"}, token=op))["user"]
    assert record["loans"] == []
    assert [h["itemBarcode"] for h in record["loanHistory"]] == ["M-1"]
    letters = [(n["letter"], n["ownerLibraryCode"], n["replyTo"]) for n in record["notifications"]]
    assert letters == [
        ("Loan Receipt", "MAIN", "main@lib.example.edu"),
        ("Return Receipt", "MAIN", "main@lib.example.edu"),
    ]
    assert {a["notificationId"] for a in record["attachments"]} == {
        n["id"] for n in record["notifications"]
    }


async def test_return_elsewhere_sends_the_item_home(node_factory: NodeFactory) -> None:
    node = await node_factory(two_library_institution())
    admin = await node.token(api_key("unia-admin"))
    await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "P1", "barcode": "M-2"}, token=admin)
    back = (await node.gql(RETURN, {"desk": "LAW-DESK", "barcode": "M-2"}, token=admin))["return"]
    assert (back["nextStep"], back["destinationLibraryCode"]) == ("TRANSIT", "MAIN")
    assert back["loan"]["returnLibraryCode"] == "LAW"
    assert await _item_status(node, "M-2") == "IN_TRANSIT"
    async with node.runtime.sessions() as s:
        owner = await s.scalar(
            select(Notification.owner_library_id).where(Notification.letter == "Return Receipt")
        )
        law = await s.scalar(select(Item.library_id).where(Item.barcode == "L-1"))
    assert owner == law  # the return desk's library owns the Return Receipt


async def test_item_lookup_shows_due_date_but_loan_only_when_visible(
    node_factory: NodeFactory,
) -> None:
    node = await node_factory(two_library_institution(fulfillment_independence_model="FULL"))
    main = await node.token(api_key("unia-main-op"))
    law = await node.token(api_key("unia-law-op"))
    await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "P1", "barcode": "M-1"}, token=main)
    seen_by_law = (await node.gql(ITEM, {"barcode": "M-1"}, token=law))["item"]
    assert seen_by_law["status"] == "ON_LOAN"
    assert seen_by_law["dueAt"] is not None
    assert seen_by_law["loan"] is None
    seen_by_main = (await node.gql(ITEM, {"barcode": "M-1"}, token=main))["item"]
    assert seen_by_main["loan"]["patronPrimaryId"] == "P1"


def _with_blocks_and_roles() -> dict[str, object]:
    data = two_library_institution()
    users = data["users"]
    assert isinstance(users, list)
    users.append(
        {
            "primary_id": "LAWONLY",
            "first_name": "Law",
            "last_name": "Student",
            "patron_roles": [{"library": "LAW"}],
        }
    )
    users.append(
        {
            "primary_id": "BLOCKED",
            "first_name": "Blocked",
            "last_name": "Reader",
            "patron_roles": [{"library": None}],
            "blocks": [{"owner": "LAW", "description": "Law library owes"}],
        }
    )
    users.append(
        {
            "primary_id": "EXPIRED",
            "patron_roles": [{"library": None, "expiry_date": "2001-01-01"}],
        }
    )
    users.append(
        {
            "primary_id": "BANNED",
            "patron_roles": [{"library": None}],
            "blocks": [{"owner": None, "description": "Institution block"}],
        }
    )
    return data


@pytest.mark.parametrize(
    ("patron", "barcode", "code"),
    [
        ("P1", "L-2", "ITEM_NOT_LOANABLE"),
        ("LAWONLY", "M-1", "PATRON_NOT_ELIGIBLE"),
        ("EXPIRED", "M-1", "PATRON_NOT_ELIGIBLE"),
        ("BLOCKED", "L-1", "PATRON_BLOCKED"),
        ("BANNED", "M-1", "PATRON_BLOCKED"),
        ("P1", "NO-SUCH", "NOT_FOUND"),
        ("NOBODY", "M-1", "NOT_FOUND"),
    ],
)
async def test_loan_refusals(
    node_factory: NodeFactory, patron: str, barcode: str, code: str
) -> None:
    node = await node_factory(_with_blocks_and_roles())
    admin = await node.token(api_key("unia-admin"))
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(
            LOAN, {"desk": "MAIN-DESK", "patron": patron, "barcode": barcode}, token=admin
        )
    assert err.value.codes == [code]
    if barcode != "NO-SUCH":
        assert await _item_status(node, barcode) == "ON_SHELF"
    async with node.runtime.sessions() as s:
        assert await s.scalar(select(Notification.id)) is None


async def test_library_block_stops_only_that_librarys_items(node_factory: NodeFactory) -> None:
    node = await node_factory(_with_blocks_and_roles())
    admin = await node.token(api_key("unia-admin"))
    loan = await node.gql(
        LOAN, {"desk": "MAIN-DESK", "patron": "BLOCKED", "barcode": "M-1"}, token=admin
    )
    assert loan["loan"]["status"] == "ACTIVE"


@pytest.mark.parametrize(
    ("expiry", "refused"), [("2026-06-15", True), ("2026-06-16", True), ("2026-06-14", False)]
)
async def test_a_block_expiring_today_still_stops_todays_loans(
    node_factory: NodeFactory, monkeypatch: pytest.MonkeyPatch, expiry: str, refused: bool
) -> None:
    data = two_library_institution()
    data["users"][3]["blocks"] = [{"owner": None, "description": "Ends", "expiry_date": expiry}]
    node = await node_factory(data)
    # The desk's clock: the last minute of 15 June (UTC), so "today" is the whole day.
    moment = datetime(2026, 6, 15, 23, 59, 30, tzinfo=UTC)
    monkeypatch.setattr(circulation_common, "now", lambda: moment)
    admin = await node.token(api_key("unia-admin"))
    variables = {"desk": "MAIN-DESK", "patron": "P1", "barcode": "M-1"}
    if refused:
        with pytest.raises(GraphQLErrors) as err:
            await node.gql(LOAN, variables, token=admin)
        assert err.value.codes == ["PATRON_BLOCKED"]
        assert await _item_status(node, "M-1") == "ON_SHELF"
    else:
        assert (await node.gql(LOAN, variables, token=admin))["loan"]["status"] == "ACTIVE"


async def test_second_loan_of_same_item_and_desk_scope_refused(node_factory: NodeFactory) -> None:
    node = await node_factory(two_library_institution())
    main = await node.token(api_key("unia-main-op"))
    await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "P1", "barcode": "M-1"}, token=main)
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "P2", "barcode": "M-1"}, token=main)
    assert err.value.codes == ["ITEM_ON_LOAN"]
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(LOAN, {"desk": "LAW-DESK", "patron": "P2", "barcode": "M-3"}, token=main)
    assert err.value.codes == ["FORBIDDEN"]
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(RETURN, {"desk": "MAIN-DESK", "barcode": "M-3"}, token=main)
    assert err.value.codes == ["ITEM_NOT_ON_LOAN"]
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(RETURN, {"desk": "MAIN-DESK", "barcode": "NOPE"}, token=main)
    assert err.value.codes == ["NOT_FOUND"]


async def test_renewal_limit_and_unknown_loan(node_factory: NodeFactory) -> None:
    data = two_library_institution()
    data["records"][0]["holdings"][0]["items"][0]["renewals_allowed"] = 1  # type: ignore[index]
    node = await node_factory(data)
    op = await node.token(api_key("unia-main-op"))
    loan = (
        await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "P1", "barcode": "M-1"}, token=op)
    )["loan"]
    await node.gql(RENEW, {"id": loan["id"]}, token=op)
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(RENEW, {"id": loan["id"]}, token=op)
    assert err.value.codes == ["RENEWAL_LIMIT"]
    for bad in ("999999", "not-a-number"):
        with pytest.raises(GraphQLErrors) as err:
            await node.gql(RENEW, {"id": bad}, token=op)
        assert err.value.codes == ["NOT_FOUND"]
    await node.gql(RETURN, {"desk": "MAIN-DESK", "barcode": "M-1"}, token=op)
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(RENEW, {"id": loan["id"]}, token=op)
    assert err.value.codes == ["LOAN_NOT_ACTIVE"]
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(LOAN, {"desk": "NO-DESK", "patron": "P1", "barcode": "M-1"}, token=op)
    assert err.value.codes == ["NOT_FOUND"]


async def test_full_model_pickup_library_sees_own_session_loan_but_cannot_renew(
    node_factory: NodeFactory,
) -> None:
    node = await node_factory(two_library_institution(fulfillment_independence_model="FULL"))
    law = await node.token(api_key("unia-law-op"))
    admin = await node.token(api_key("unia-admin"))
    # LAW's desk loans MAIN's item (the patron picks it up at LAW).
    loan = (
        await node.gql(LOAN, {"desk": "LAW-DESK", "patron": "P1", "barcode": "M-1"}, token=law)
    )["loan"]
    record = (await node.gql(USER_RECORD, {"id": "P1"}, token=law))["user"]
    assert [x["id"] for x in record["loans"]] == [loan["id"]]
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(RENEW, {"id": loan["id"]}, token=law)
    assert err.value.codes == ["FORBIDDEN"]
    # A new token is a new session: the loan is no longer LAW's to see.
    later = await node.token(api_key("unia-law-op"))
    assert (await node.gql(USER_RECORD, {"id": "P1"}, token=later))["user"]["loans"] == []
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(RENEW, {"id": loan["id"]}, token=later)
    assert err.value.codes == ["NOT_FOUND"]
    assert (await node.gql(RENEW, {"id": loan["id"]}, token=admin))["renew"]["renewals"] == 1


async def test_loan_history_lists_the_latest_return_first(node_factory: NodeFactory) -> None:
    node = await node_factory(two_library_institution())
    op = await node.token(api_key("unia-main-op"))
    for barcode in ("M-2", "M-1", "M-3"):
        await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "P1", "barcode": barcode}, token=op)
    for barcode in ("M-3", "M-1", "M-2"):
        await node.gql(RETURN, {"desk": "MAIN-DESK", "barcode": barcode}, token=op)
    history = (await node.gql(USER_RECORD, {"id": "P1"}, token=op))["user"]["loanHistory"]
    assert [h["itemBarcode"] for h in history] == ["M-2", "M-1", "M-3"]


async def test_partial_model_adds_loans_and_returns_at_the_operators_desk(
    node_factory: NodeFactory,
) -> None:
    node = await node_factory(two_library_institution(fulfillment_independence_model="PARTIAL"))
    admin = await node.token(api_key("unia-admin"))
    law = await node.token(api_key("unia-law-op"))
    # MAIN items: one loaned at LAW, one loaned and returned at MAIN, one returned at LAW.
    await node.gql(LOAN, {"desk": "LAW-DESK", "patron": "P1", "barcode": "M-1"}, token=admin)
    await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "P1", "barcode": "M-2"}, token=admin)
    await node.gql(RETURN, {"desk": "MAIN-DESK", "barcode": "M-2"}, token=admin)
    await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "P1", "barcode": "M-3"}, token=admin)
    await node.gql(RETURN, {"desk": "LAW-DESK", "barcode": "M-3"}, token=admin)

    record = (await node.gql(USER_RECORD, {"id": "P1"}, token=law))["user"]
    assert [x["itemBarcode"] for x in record["loans"]] == ["M-1"]
    assert [x["itemBarcode"] for x in record["loanHistory"]] == ["M-3"]
    # Letters and their attachment copies: only those LAW owns (receipts at LAW's desk).
    assert {(n["letter"], n["ownerLibraryCode"]) for n in record["notifications"]} == {
        ("Loan Receipt", "LAW"),
        ("Return Receipt", "LAW"),
    }
    assert {a["ownerLibraryCode"] for a in record["attachments"]} == {"LAW"}
    assert len(record["attachments"]) == 2


@pytest.mark.parametrize("model", ["FULL", "PARTIAL"])
async def test_a_block_the_operator_may_not_see_stops_the_loan_without_its_text(
    node_factory: NodeFactory, model: str
) -> None:
    """DOMAIN §7: a MAIN-owned block stops loans of MAIN items, also at the LAW desk, but
    the LAW operator may not see MAIN's blocks, so the refusal does not quote it."""
    data = two_library_institution(fulfillment_independence_model=model)
    data["users"][3]["blocks"] = [{"description": "Secret MAIN remark", "owner": "MAIN"}]
    node = await node_factory(data)
    law = await node.token(api_key("unia-law-op"))
    variables = {"desk": "LAW-DESK", "patron": "P1", "barcode": "M-1"}
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(LOAN, variables, token=law)
    assert err.value.codes == ["PATRON_BLOCKED"]
    assert "Secret" not in err.value.errors[0]["message"]
    main = await node.token(api_key("unia-main-op"))
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(LOAN, {**variables, "desk": "MAIN-DESK"}, token=main)
    assert "Secret MAIN remark" in err.value.errors[0]["message"]


async def test_long_titles_do_not_break_letters(node_factory: NodeFactory, db_url: str) -> None:
    """A title may be 512 characters; a letter's subject holds 255: the loan still works."""
    data = two_library_institution()
    data["records"][0]["title"] = "A very long title " * 25
    node = await node_factory(data, db_url=db_url)
    op = await node.token(api_key("unia-main-op"))
    await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "P1", "barcode": "M-1"}, token=op)
    await node.gql(RETURN, {"desk": "MAIN-DESK", "barcode": "M-1"}, token=op)
    record = (await node.gql(USER_RECORD, {"id": "P1"}, token=op))["user"]
    assert [n["letter"] for n in record["notifications"]] == ["Loan Receipt", "Return Receipt"]


async def test_desk_rights_come_from_desk_roles_only(node_factory: NodeFactory) -> None:
    """An institution-wide user manager who works the LAW desk loans at LAW, not at MAIN
    (DOMAIN §7: the scope of an action is computed from the roles allowed for it)."""
    data = two_library_institution()
    data["users"].append(
        staff(
            "unia-mixed",
            roles=[
                {"role": "USER_MANAGER", "libraries": None},
                {"role": "CIRCULATION_DESK_OPERATOR", "libraries": ["LAW"]},
            ],
        )
    )
    data["users"].append(staff("unia-users", role="USER_ADMINISTRATOR", libraries=None))
    node = await node_factory(data)
    mixed = await node.token(api_key("unia-mixed"))
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "P1", "barcode": "M-1"}, token=mixed)
    assert err.value.codes == ["FORBIDDEN"]
    assert await _item_status(node, "M-1") == "ON_SHELF"
    loan = await node.gql(LOAN, {"desk": "LAW-DESK", "patron": "P1", "barcode": "L-1"}, token=mixed)
    assert loan["loan"]["status"] == "ACTIVE"
    # No desk role at all: no desk anywhere (not the whole institution).
    users = await node.token(api_key("unia-users"))
    for desk, barcode in (("MAIN-DESK", "M-2"), ("LAW-DESK", "M-2")):
        with pytest.raises(GraphQLErrors) as err:
            await node.gql(LOAN, {"desk": desk, "patron": "P1", "barcode": barcode}, token=users)
        assert err.value.codes == ["FORBIDDEN"]
