"""Fulfilment rules through the staff API: the rules matrix, administration by scope, and
loans made (and renewed) under the terms they were made under."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from tests.conftest import NodeFactory
from tests.support.builders import api_key
from tests.support.circ_queries import LOAN, RENEW
from tests.support.nodes import GraphQLErrors, NodeHarness
from tests.support.rules_data import (
    CREATE_RULE,
    DELETE_RULE,
    INSTITUTION_RULES,
    LAW_RULES,
    MATRIX,
    RULES,
    TERMS,
    UPDATE_RULE,
    matrix_institution,
)

USER_LOAN_TERMS = """
query($id: String!) {
  user(primaryId: $id) { loans { id lostAt terms { ruleName finePerDay { amount currency } } } }
}"""


async def _with_rules(node: NodeHarness) -> dict[str, str]:
    admin = await node.token(api_key("unia-admin"))
    ids = {}
    for rule in INSTITUTION_RULES + LAW_RULES:
        created = (await node.gql(CREATE_RULE, {"input": rule}, token=admin))[
            "createFulfilmentRule"
        ]
        ids[created["name"]] = created["id"]
    return ids


async def test_rules_matrix_gives_each_patron_and_item_its_terms(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await node_factory(matrix_institution(), db_url=db_url)
    await _with_rules(node)
    admin = await node.token(api_key("unia-admin"))
    listed = (await node.gql(RULES, token=admin))["fulfilmentRules"]
    # Matching order: LAW's own rules, then the institution's by position.
    assert [r["name"] for r in listed] == [
        "Law honours",
        "Law reserve",
        "Faculty",
        "Honours",
        "DVD",
        "Network patrons",
        "Main stacks",
    ]
    got = {}
    for patron, barcode in MATRIX:
        answer = (await node.gql(TERMS, {"patron": patron, "barcode": barcode}, token=admin))[
            "termsOfUse"
        ]
        terms = answer["terms"]
        got[(patron, barcode)] = (terms["ruleName"], terms["loanPeriodDays"], terms["loanable"])
    assert got == MATRIX

    stacks = (await node.gql(TERMS, {"patron": "UG", "barcode": "M-BOOK"}, token=admin))[
        "termsOfUse"
    ]["terms"]
    assert stacks["finePerDay"] == {"amount": "0.25", "currency": "USD"}
    assert stacks["fineMaximum"] == {"amount": "10.00", "currency": "USD"}
    assert (stacks["fineGraceDays"], stacks["lostAfterDaysOverdue"]) == (2, 30)
    assert stacks["lostReplacementFee"] == {"amount": "50.00"}
    assert stacks["holdShelfDays"] == 7  # the institution's setting
    reserve = (await node.gql(TERMS, {"patron": "FAC", "barcode": "L-RES"}, token=admin))[
        "termsOfUse"
    ]
    assert reserve["ruleOwnerLibraryCode"] == "LAW"
    assert (reserve["terms"]["requestable"], reserve["terms"]["pickupAllowed"]) == (False, False)


async def test_library_scoped_administrator_changes_only_its_libraries_rules(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await node_factory(matrix_institution(), db_url=db_url)
    ids = await _with_rules(node)
    law_admin = await node.token(api_key("unia-law-admin"))
    desk = await node.token(api_key("unia-main-op"))

    mine = {**LAW_RULES[1], "loanPeriodDays": 3}
    changed = await node.gql(
        UPDATE_RULE, {"id": ids["Law reserve"], "input": mine}, token=law_admin
    )
    assert changed["updateFulfilmentRule"]["loanPeriodDays"] == 3
    created = await node.gql(
        CREATE_RULE, {"input": {"name": "Law DVD", "ownerLibraryCode": "LAW"}}, token=law_admin
    )
    assert created["createFulfilmentRule"]["ownerLibraryCode"] == "LAW"

    refusals = [
        (UPDATE_RULE, {"id": ids["Faculty"], "input": INSTITUTION_RULES[0]}),  # institution's
        (DELETE_RULE, {"id": ids["Main stacks"]}),
        (CREATE_RULE, {"input": {"name": "Main", "ownerLibraryCode": "MAIN"}}),
        (CREATE_RULE, {"input": {"name": "Everyone"}}),
        # Moving its own rule to another library is changing that library's terms.
        (UPDATE_RULE, {"id": ids["Law reserve"], "input": {**mine, "ownerLibraryCode": "MAIN"}}),
    ]
    for query, variables in refusals:
        with pytest.raises(GraphQLErrors) as caught:
            await node.gql(query, variables, token=law_admin)
        assert caught.value.codes == ["FORBIDDEN"], (query, variables)
    with pytest.raises(GraphQLErrors) as caught:
        await node.gql(CREATE_RULE, {"input": {"name": "Mine"}}, token=desk)
    assert caught.value.codes == ["FORBIDDEN"]
    # Nothing refused was written.
    names = [r["name"] for r in (await node.gql(RULES, token=desk))["fulfilmentRules"]]
    assert names == ["Law DVD", "Law honours", "Law reserve", "Faculty", "Honours", "DVD",
                     "Network patrons", "Main stacks"]  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ({"name": ""}, "INVALID_INPUT"),
        ({"name": "x", "loanPeriodDays": 0}, "INVALID_INPUT"),
        ({"name": "x", "finePerDay": "0.001"}, "INVALID_AMOUNT"),
        ({"name": "x", "finePerDay": "-1"}, "INVALID_AMOUNT"),
        ({"name": "x", "ownerLibraryCode": "LAW", "libraries": ["MAIN"]}, "INVALID_INPUT"),
        ({"name": "x", "libraries": ["NOPE"]}, "NOT_FOUND"),
        ({"name": "x", "userGroups": [""]}, "INVALID_INPUT"),
        ({"name": "x", "lostAfterDaysOverdue": 0}, "INVALID_INPUT"),
    ],
)
async def test_bad_rules_are_refused_clearly(
    node_factory: NodeFactory, rule: dict[str, object], code: str
) -> None:
    node = await node_factory(matrix_institution())
    admin = await node.token(api_key("unia-admin"))
    with pytest.raises(GraphQLErrors) as caught:
        await node.gql(CREATE_RULE, {"input": rule}, token=admin)
    assert caught.value.codes == [code]
    assert (await node.gql(RULES, token=admin))["fulfilmentRules"] == []


async def test_a_loan_keeps_the_terms_it_was_made_under(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await node_factory(matrix_institution(), db_url=db_url)
    ids = await _with_rules(node)
    admin = await node.token(api_key("unia-admin"))
    op = await node.token(api_key("unia-main-op"))
    loan = (
        await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "UG", "barcode": "M-DVD"}, token=op)
    )["loan"]
    due = datetime.fromisoformat(loan["dueAt"])
    assert due - datetime.now(due.tzinfo) == pytest.approx(
        timedelta(days=7), abs=timedelta(minutes=5)
    )
    assert loan["renewalsAllowed"] == 0
    # The rule changes afterwards: the loan still follows the terms it was made under.
    await node.gql(
        UPDATE_RULE,
        {"id": ids["DVD"], "input": {**INSTITUTION_RULES[2], "renewalsAllowed": 3}},
        token=admin,
    )
    with pytest.raises(GraphQLErrors) as caught:
        await node.gql(RENEW, {"id": loan["id"]}, token=op)
    assert caught.value.codes == ["RENEWAL_LIMIT"]

    fac = (
        await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "FAC", "barcode": "M-BOOK"}, token=op)
    )["loan"]
    renewed = (await node.gql(RENEW, {"id": fac["id"]}, token=op))["renew"]
    assert renewed["renewalsAllowed"] == 5
    # Faculty renewal period defaults to its loan period: 90 more days from the due date.
    assert datetime.fromisoformat(renewed["dueAt"]) - datetime.fromisoformat(fac["dueAt"]) == (
        timedelta(days=90)
    )


async def test_terms_refuse_a_loan_the_item_policy_would_allow(
    node_factory: NodeFactory,
) -> None:
    node = await node_factory(matrix_institution())
    admin = await node.token(api_key("unia-admin"))
    await node.gql(
        CREATE_RULE,
        {"input": {"name": "No DVDs for undergrads", "userGroups": ["UNDERGRAD"],
                   "itemPolicies": ["DVD"], "loanable": False}},
        token=admin,
    )  # fmt: skip
    op = await node.token(api_key("unia-main-op"))
    with pytest.raises(GraphQLErrors) as caught:
        await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "UG", "barcode": "M-DVD"}, token=op)
    assert caught.value.codes == ["ITEM_NOT_LOANABLE"]
    done = await node.gql(
        LOAN, {"desk": "MAIN-DESK", "patron": "FAC", "barcode": "M-DVD"}, token=op
    )
    assert done["loan"]["status"] == "ACTIVE"


async def test_the_load_file_carries_rules_and_its_loans_follow_them(
    node_factory: NodeFactory, db_url: str
) -> None:
    data = matrix_institution()
    data["fulfilment_rules"] = [
        {"name": "Stacks", "libraries": ["MAIN"], "loan_period_days": 21, "fine_per_day": "0.25",
         "lost_after_days_overdue": 30, "lost_replacement_fee": "50"},
        {"name": "Law reserve", "owner": "LAW", "locations": ["RESERVE"], "loan_period_days": 2},
    ]  # fmt: skip
    data["loans"] = [
        {"barcode": "M-BOOK", "patron": "UG", "desk": "MAIN-DESK",
         "loaned_at": "2026-01-01T10:00:00Z", "due_at": "2026-01-22T10:00:00Z"},
    ]  # fmt: skip
    node = await node_factory(data, db_url=db_url)
    admin = await node.token(api_key("unia-admin"))
    rules = (await node.gql(RULES, token=admin))["fulfilmentRules"]
    assert [(r["name"], r["ownerLibraryCode"]) for r in rules] == [
        ("Law reserve", "LAW"),
        ("Stacks", None),
    ]
    loans = (await node.gql(USER_LOAN_TERMS, {"id": "UG"}, token=admin))["user"]["loans"]
    assert loans[0]["terms"]["ruleName"] == "Stacks"
    assert loans[0]["terms"]["finePerDay"] == {"amount": "0.25", "currency": "USD"}
    assert loans[0]["lostAt"].startswith("2026-02-21T10:00:00")


async def test_a_bad_rule_in_the_load_file_is_a_located_problem(sqlite_url: str) -> None:
    from institution_node.loader.load import LoadError, load
    from institution_node.store.migrate import upgrade
    from network_common.db import make_engine, make_sessionmaker

    data = matrix_institution()
    data["fulfilment_rules"] = [
        {"name": "ok"},
        {"name": "bad", "owner": "NOWHERE"},
        {"name": "bad fine", "fine_per_day": "abc"},
    ]
    engine = make_engine(sqlite_url)
    try:
        await upgrade(engine)
        async with make_sessionmaker(engine)() as session:
            with pytest.raises(LoadError) as caught:
                await load(session, json.dumps(data))
    finally:
        await engine.dispose()
    joined = "\n".join(caught.value.problems)
    assert "fulfilment_rules[1]: No library NOWHERE" in joined
    assert "fulfilment_rules[2]: fine_per_day 'abc' is not a number" in joined
    assert "fulfilment_rules[0]" not in joined


async def test_requests_follow_the_terms_requestable_pickup_and_hold_shelf_days(
    node_factory: NodeFactory, db_url: str
) -> None:
    from tests.support.request_queries import PLACE_REQUEST, SCAN_IN

    node = await node_factory(matrix_institution(), db_url=db_url)
    admin = await node.token(api_key("unia-admin"))
    await node.gql(
        CREATE_RULE,
        {"input": {"name": "Law books stay home", "ownerLibraryCode": "LAW",
                   "itemPolicies": ["BOOK"], "locations": ["STACKS"], "pickupAllowed": False,
                   "holdShelfDays": 3}},
        token=admin,
    )  # fmt: skip
    await node.gql(CREATE_RULE, {"input": LAW_RULES[1]}, token=admin)  # reserve: not requestable

    async def place(barcode: str, pickup: str) -> dict[str, object]:
        data = {"patronPrimaryId": "UG", "pickupLibraryCode": pickup, "barcode": barcode}
        return (await node.gql(PLACE_REQUEST, {"input": data}, token=admin))["placeRequest"]

    for barcode, pickup, code in (
        ("L-RES", "LAW", "NOT_REQUESTABLE"),
        ("L-BOOK", "MAIN", "PICKUP_NOT_ALLOWED"),
    ):
        with pytest.raises(GraphQLErrors) as caught:
            await place(barcode, pickup)
        assert caught.value.codes == [code]
    request = await place("L-BOOK", "LAW")
    assert request["status"] == "PICK_FROM_SHELF"
    shelved = (await node.gql(SCAN_IN, {"barcode": "L-BOOK", "desk": "LAW-DESK"}, token=admin))[
        "scanIn"
    ]["request"]
    expiry = datetime.fromisoformat(shelved["holdShelfExpiry"])
    assert expiry - datetime.now(expiry.tzinfo) == pytest.approx(
        timedelta(days=3), abs=timedelta(minutes=5)
    )
