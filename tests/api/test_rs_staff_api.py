"""Resource sharing on the staff API (DOMAIN §8): partners and rotas, the borrowing and
lending stories step by step, lists with facets and paging, library scope (DOMAIN §7), bad
input, and the list's statement count. The partner's side of each step is played through
the service functions the protocol modules call."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from institution_node.services.resource_sharing import borrowing, borrowing_loans, lending
from institution_node.services.resource_sharing.common import Actor, now
from institution_node.services.resource_sharing.lending import PartnerAsk
from institution_node.services.resource_sharing.messages import Bibliographic
from institution_node.services.resource_sharing.partners import partner_by_code
from tests.conftest import NodeFactory
from tests.support import rs_queries as q
from tests.support.builders import api_key
from tests.support.nodes import GraphQLErrors, NodeHarness
from tests.support.resource_sharing import add_network_partners, rs_institution, staff_principal
from tests.support.statements import count_statements


async def _node(node_factory: NodeFactory, db_url: str, **settings: Any) -> NodeHarness:
    node = await node_factory(rs_institution("UNIA", **settings), db_url=db_url)
    await add_network_partners(
        node.runtime, "UNIA", {"UNIB": "http://unib.test", "UNIC": "http://unic.test"}
    )
    return node


async def _partner(node: NodeHarness, code: str) -> Actor:
    async with node.runtime.sessions() as session:
        partner = await partner_by_code(session, code)
    assert partner is not None
    return Actor(partner=partner)


async def _codes(node: NodeHarness, query: str, variables: dict[str, Any], token: str) -> list[str]:
    with pytest.raises(GraphQLErrors) as caught:
        await node.gql(query, variables, token=token)
    return caught.value.codes


async def test_partners_and_rotas(node_factory: NodeFactory, db_url: str) -> None:
    node = await _node(node_factory, db_url)
    manager = await node.token(api_key("unia-rs-manager"))
    operator = await node.token(api_key("unia-rs-main"))
    listed = (await node.gql(q.PARTNERS, token=operator))["resourceSharingPartners"]
    assert [(p["code"], p["origin"], p["authKind"]) for p in listed] == [
        ("UNIB", "NETWORK", "NETWORK_TOKEN"),
        ("UNIC", "NETWORK", "NETWORK_TOKEN"),
    ]
    created = (
        await node.gql(
            q.CREATE_PARTNER,
            {"input": {"code": "EXT1", "name": "Outside", "endpointUrl": "https://ext.test/iso"}},
            token=manager,
        )
    )["createPartner"]
    assert created["partner"] == {"code": "EXT1", "origin": "LOCAL", "active": True}
    assert created["inboundSecret"].startswith("lfnrs_")
    # Network members first (EXT1 sorts before them by code alone).
    listed = (await node.gql(q.PARTNERS, token=operator))["resourceSharingPartners"]
    assert [p["code"] for p in listed] == ["UNIB", "UNIC", "EXT1"]
    # A library-scoped operator reads the directory but does not keep it.
    assert await _codes(node, q.DEACTIVATE_PARTNER, {"code": "EXT1"}, operator) == ["FORBIDDEN"]
    done = await node.gql(q.DEACTIVATE_PARTNER, {"code": "EXT1"}, token=manager)
    assert done["deactivatePartner"] == {"code": "EXT1", "active": False}
    active = (await node.gql(q.PARTNERS, {"active": True}, token=manager))[
        "resourceSharingPartners"
    ]
    assert "EXT1" not in [p["code"] for p in active]
    # A network member is not retyped: only its lending library and active flag change.
    update = """
    mutation U($input: PartnerInput!) {
      updatePartner(code: "UNIB", input: $input) { code name endpointUrl lendingLibraryCode }
    }"""
    retyped = {"code": "UNIB", "name": "Renamed", "endpointUrl": "https://elsewhere.test",
               "lendingLibraryCode": "LAW"}  # fmt: skip
    updated = (await node.gql(update, {"input": retyped}, token=manager))["updatePartner"]
    assert updated == {
        "code": "UNIB",
        "name": "University UNIB",
        "endpointUrl": "http://unib.test/iso18626",
        "lendingLibraryCode": "LAW",
    }
    rota = {"code": "DEF", "name": "Default", "partnerCodes": ["UNIC", "UNIB"], "isDefault": True}
    saved = (await node.gql(q.SAVE_ROTA, {"input": rota}, token=manager))["saveRota"]
    assert saved == {"code": "DEF", "isDefault": True, "partnerCodes": ["UNIC", "UNIB"]}
    assert (await node.gql(q.ROTAS, token=operator))["rotas"] == [saved]
    bad = {"input": {**rota, "partnerCodes": ["EXT1"]}}  # inactive
    assert await _codes(node, q.SAVE_ROTA, bad, manager) == ["NOT_FOUND"]


async def test_the_borrowing_story_through_the_staff_api(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await _node(node_factory, db_url)
    token = await node.token(api_key("unia-rs-manager"))
    made = (
        await node.gql(
            q.CREATE,
            {
                "input": {
                    "patronPrimaryId": "P1",
                    "pickupLibraryCode": "MAIN",
                    "recordId": "rs-2",
                    "neededBy": "2030-01-31",
                    "partnerCodes": ["UNIB", "UNIC"],
                    "note": "for my thesis",
                }
            },
            token=token,
        )
    )["createBorrowingRequest"]
    assert (made["status"], made["title"], made["rota"]) == (
        "READY_TO_SEND",
        "Shared Title Two",  # from the catalogue's record
        ["UNIB", "UNIC"],
    )
    assert made["availableActions"] == ["SEND", "CANCEL", "ADD_NOTE", "QUERY_PATRON", "ASSIGN"]
    rid = made["id"]

    async def step(field: str, arguments: str = "", variables: str = "", **values: Any) -> Any:
        data = await node.gql(
            q.borrowing_step(field, arguments, variables), {"id": rid, **values}, token=token
        )
        return data[field]

    sent = await step("sendBorrowingRequest")
    assert (sent["status"], sent["partnerCode"]) == ("REQUEST_SENT", "UNIB")
    out = [h for h in sent["history"] if h["category"] == "MESSAGE_OUT"]
    assert [(h["kind"], h["partnerCode"], h["delivery"]) for h in out] == [
        ("REQUEST", "UNIB", "PENDING")
    ]
    # The first partner cannot: the rota moves on by itself.
    unib = await _partner(node, "UNIB")
    async with node.runtime.sessions() as session:
        await borrowing.partner_unfilled(
            session, actor=unib, request_id=int(rid), reason="not on shelf"
        )
        await session.commit()
    unic = await _partner(node, "UNIC")
    shipped = now()
    async with node.runtime.sessions() as session:
        await borrowing.partner_will_supply(session, actor=unic, request_id=int(rid))
        await borrowing_loans.partner_shipped(
            session,
            actor=unic,
            request_id=int(rid),
            due_at=shipped + timedelta(days=14),
            shipped_at=shipped,
        )
        await session.commit()
    one = (await node.gql(q.BORROWING_ONE, {"id": rid}, token=token))["borrowingRequest"]
    assert (one["status"], one["partnerCode"]) == ("SHIPPED", "UNIC")
    assert "CANCEL" not in one["availableActions"]
    assert await _codes(
        node, q.borrowing_step("cancelBorrowingRequest", 'reason: "no"'), {"id": rid}, token
    ) == ["ILLEGAL_TRANSITION"]
    # Not received yet: the desk is not even asked.
    loan = q.borrowing_step("loanBorrowingRequest", 'deskCode: "MAIN-DESK"')
    assert await _codes(node, loan, {"id": rid}, token) == ["ILLEGAL_TRANSITION"]
    received = await step("receiveBorrowingRequest", 'deskCode: "MAIN-DESK"')
    assert received["status"] == "RECEIVED"
    loaned = await step("loanBorrowingRequest", 'deskCode: "MAIN-DESK"')
    assert loaned["status"] == "LOANED_TO_PATRON"
    renewing = await step("renewBorrowingRequest")
    assert renewing["status"] == "RENEW_REQUESTED"
    async with node.runtime.sessions() as session:
        await borrowing_loans.partner_renewal_answer(
            session, actor=unic, request_id=int(rid), approved=True
        )
        await session.commit()
    noted = await step("addBorrowingNote", "text: $text", ", $text: String!", text="call first")
    assert noted["activeNotes"] == 1
    assigned = await step(
        "assignBorrowingRequest", "assignee: $who", ", $who: String", who="unia-rs-main"
    )
    assert assigned["assignee"] == "unia-rs-main"
    message = await step("sendBorrowingMessage", 'note: "thanks"')
    assert message["history"][-1]["kind"] == "REQUESTER_NOTE"
    returned = await step("returnBorrowingRequest", 'deskCode: "MAIN-DESK"')
    assert returned["status"] == "RETURNED_BY_PATRON"
    back = await step("returnBorrowingRequestToPartner")
    assert back["status"] == "RETURNED_TO_PARTNER"
    kinds = [h["kind"] for h in back["history"] if h["category"] == "STATUS"]
    assert kinds == [
        "CREATED",
        "SEND",
        "ADVANCE_ROTA",
        "PARTNER_WILL_SUPPLY",
        "PARTNER_SHIPPED",
        "RECEIVE",
        "LOAN_TO_PATRON",
        "REQUEST_RENEWAL",
        "PARTNER_RENEWED",
        "RETURN_BY_PATRON",
        "SHIP_RETURN",
    ]
    listed = (
        await node.gql(q.BORROWING_LIST, {"filter": {"assignees": ["unia-rs-main"]}}, token=token)
    )["borrowingRequests"]
    assert [n["id"] for n in listed["nodes"]] == [rid]
    assert listed["facets"]["partner"] == [{"value": "UNIC", "count": 1}]
    assert listed["facets"]["hasActiveNote"] == [{"value": "true", "count": 1}]


async def test_the_lending_story_through_the_staff_api(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await _node(node_factory, db_url)
    token = await node.token(api_key("unia-rs-manager"))
    unib = await _partner(node, "UNIB")
    assert unib.partner is not None
    async with node.runtime.sessions() as session:
        request, _ = await lending.receive_request(
            session,
            partner=unib.partner,
            ask=PartnerAsk(
                partner_request_id="UNIB-7-1",
                bibliographic=Bibliographic(title="Shared Title One", record_id="rs-1"),
                pickup_location="Their Main",
            ),
        )
        await session.commit()
    rid = str(request.id)

    async def step(field: str, arguments: str = "") -> Any:
        data = await node.gql(q.lending_step(field, arguments), {"id": rid}, token=token)
        return data[field]

    first = (await node.gql(q.LENDING_ONE, {"id": rid}, token=token))["lendingRequest"]
    assert first["status"] == "NEW"
    assert first["availableActions"][:4] == ["WILL_SUPPLY", "ADD_CONDITIONS", "UNFILL", "SHIP"]
    supplying = await step("willSupplyLendingRequest")
    assert (supplying["status"], supplying["itemBarcode"]) == ("WILL_SUPPLY", "UNIA-R1")
    assert supplying["alerts"] == 1  # move request in process
    shipped = await step("shipLendingRequest", 'deskCode: "MAIN-DESK"')
    assert shipped["status"] == "SHIPPED"
    assert shipped["dueAt"] is not None
    recalled = await step("recallLendingRequest", 'note: "needed back"')
    assert recalled["history"][-1]["kind"] == "RECALLED"
    done = await step("checkInLendingRequest", 'deskCode: "MAIN-DESK"')
    assert done["status"] == "COMPLETED"
    out = [h["kind"] for h in done["history"] if h["category"] == "MESSAGE_OUT"]
    assert out == ["WILL_SUPPLY", "LOANED", "RECALLED", "LOAN_COMPLETED"]
    cleared = await step("dismissLendingAlerts")
    assert cleared["alerts"] == 0
    listed = (await node.gql(q.LENDING_LIST, token=token))["lendingRequests"]
    assert listed["totalCount"] == 1
    assert listed["facets"]["pickupLocation"] == [{"value": "Their Main", "count": 1}]
    assert listed["facets"]["status"] == [{"value": "COMPLETED", "count": 1}]


async def _make(node: NodeHarness, pickup: str, count: int, **extra: Any) -> list[int]:
    """``count`` borrowing requests for P1 at ``pickup`` (its library works them)."""
    staff = Actor(principal=staff_principal("UNIA"))
    ids = []
    async with node.runtime.sessions() as session:
        for n in range(count):
            row = await borrowing.create_request(
                session,
                actor=staff,
                ask=borrowing.BorrowingAsk(
                    patron_primary_id="P1",
                    pickup_library_code=pickup,
                    bibliographic=Bibliographic(title=f"Wanted {pickup} {n}"),
                    partner_codes=("UNIB",),
                ),
                **extra,
            )
            ids.append(row.id)
        await session.commit()
    return ids


async def test_library_scope_decides_what_operators_see(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await _node(node_factory, db_url, fulfillment_independence_model="FULL")
    main_ids = await _make(node, "MAIN", 2)
    law_ids = await _make(node, "LAW", 1)
    main = await node.token(api_key("unia-rs-main"))
    law = await node.token(api_key("unia-rs-law"))
    manager = await node.token(api_key("unia-rs-manager"))

    async def ids(token: str) -> list[int]:
        page = (await node.gql(q.BORROWING_LIST, token=token))["borrowingRequests"]
        return sorted(int(n["id"]) for n in page["nodes"])

    assert await ids(main) == main_ids
    assert await ids(law) == law_ids
    assert await ids(manager) == sorted(main_ids + law_ids)
    # Another library's request and a missing one answer alike, reading or acting.
    foreign = {"id": str(main_ids[0])}
    missing = {"id": "999999"}
    answers = []
    for variables in (foreign, missing):
        for query in (q.BORROWING_ONE, q.borrowing_step("sendBorrowingRequest")):
            body = await node.gql_raw(query, variables, token=law)
            answers.append([(e["message"], e["extensions"]["code"]) for e in body["errors"]])
    assert answers[:2] == answers[2:]
    assert {code for answer in answers for _, code in answer} == {"NOT_FOUND"}
    # An operator without a resource sharing role is refused outright.
    desk = await node.token(api_key("unia-main-op"))
    assert await _codes(node, q.BORROWING_LIST, {}, desk) == ["FORBIDDEN"]


async def test_bad_input_is_refused_with_codes(node_factory: NodeFactory, db_url: str) -> None:
    node = await _node(node_factory, db_url)
    token = await node.token(api_key("unia-rs-manager"))
    await _make(node, "MAIN", 1)
    cases: list[tuple[str, dict[str, Any], str]] = [
        (q.BORROWING_LIST, {"first": 0}, "INVALID_INPUT"),
        (q.BORROWING_LIST, {"first": 201}, "INVALID_INPUT"),
        (q.BORROWING_LIST, {"after": "not-a-cursor"}, "INVALID_INPUT"),
        (q.BORROWING_LIST, {"filter": {"status": ["BOGUS"]}}, "GRAPHQL_VALIDATION_FAILED"),
        (q.LENDING_LIST, {"filter": {"status": ["READY_TO_SEND"]}}, "GRAPHQL_VALIDATION_FAILED"),
        (q.BORROWING_ONE, {"id": "abc"}, "NOT_FOUND"),
        (q.BORROWING_ONE, {"id": "99999999999"}, "NOT_FOUND"),
        (q.LENDING_ONE, {"id": "1"}, "NOT_FOUND"),
        (
            q.CREATE,
            {"input": {"patronPrimaryId": "P1", "pickupLibraryCode": "MAIN"}},
            "INVALID_INPUT",
        ),
        (
            q.CREATE,
            {"input": {"patronPrimaryId": "NOBODY", "pickupLibraryCode": "MAIN", "title": "T"}},
            "NOT_FOUND",
        ),
        (
            q.CREATE,
            {
                "input": {
                    "patronPrimaryId": "P1",
                    "pickupLibraryCode": "MAIN",
                    "title": "T",
                    "partnerCodes": ["NOPE"],
                }
            },
            "NOT_FOUND",
        ),
        (
            q.CREATE,
            {"input": {"patronPrimaryId": "P1", "pickupLibraryCode": "MAIN", "title": "x" * 600}},
            "INVALID_INPUT",
        ),
    ]
    for query, variables, code in cases:
        assert await _codes(node, query, variables, token) == [code], variables
    # A step the state does not allow names the state.
    with pytest.raises(GraphQLErrors) as caught:
        await node.gql(
            q.borrowing_step("receiveBorrowingRequest", 'deskCode: "MAIN-DESK"'),
            {"id": "1"},
            token=token,
        )
    assert caught.value.codes == ["ILLEGAL_TRANSITION"]
    assert "ready to send" in caught.value.errors[0]["message"]
    body = await node.gql_raw(q.BORROWING_LIST, {})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("query", [q.BORROWING_LIST, q.LENDING_LIST])
async def test_a_page_costs_the_same_statements_however_long(
    node_factory: NodeFactory, sqlite_url: str, query: str
) -> None:
    node = await _node(node_factory, sqlite_url)
    token = await node.token(api_key("unia-rs-manager"))
    ids = await _make(node, "MAIN", 30, send=True)
    unib = await _partner(node, "UNIB")
    assert unib.partner is not None
    async with node.runtime.sessions() as session:
        for n in range(30):
            await lending.receive_request(
                session,
                partner=unib.partner,
                ask=PartnerAsk(
                    partner_request_id=f"UNIB-{n}-1",
                    bibliographic=Bibliographic(title=f"Asked {n}", record_id="rs-1"),
                    note="please",
                ),
            )
        await session.commit()
    assert len(ids) == 30

    async def statements(first: int) -> int:
        with count_statements(node.runtime.engine) as seen:
            page = await node.gql(query, {"first": first}, token=token)
        assert len(next(iter(page.values()))["nodes"]) == first
        return len(seen)

    few, many = await statements(3), await statements(30)
    assert few == many, (few, many)
    assert many <= 10, many


async def test_lending_requests_follow_the_owning_library(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await _node(node_factory, db_url, fulfillment_independence_model="FULL")
    unib = await _partner(node, "UNIB")
    assert unib.partner is not None
    made = {}
    async with node.runtime.sessions() as session:
        for record in ("rs-1", "rs-2"):  # held by MAIN, by LAW
            request, _ = await lending.receive_request(
                session,
                partner=unib.partner,
                ask=PartnerAsk(
                    partner_request_id=f"UNIB-{record}",
                    bibliographic=Bibliographic(title=record, record_id=record),
                ),
            )
            made[record] = str(request.id)
        await session.commit()
    main = await node.token(api_key("unia-rs-main"))
    law = await node.token(api_key("unia-rs-law"))

    async def ids(token: str) -> list[str]:
        page = (await node.gql(q.LENDING_LIST, token=token))["lendingRequests"]
        return [n["id"] for n in page["nodes"]]

    assert await ids(main) == [made["rs-1"]]
    assert await ids(law) == [made["rs-2"]]
    step = q.lending_step("willSupplyLendingRequest")
    assert await _codes(node, step, {"id": made["rs-1"]}, law) == ["NOT_FOUND"]
    supplied = (await node.gql(step, {"id": made["rs-1"]}, token=main))["willSupplyLendingRequest"]
    assert (supplied["status"], supplied["itemBarcode"]) == ("WILL_SUPPLY", "UNIA-R1")
