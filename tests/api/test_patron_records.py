"""Blocks, notes, statistical categories, registration, role renewal and user search."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import NodeFactory
from tests.support.builders import api_key, patron, staff, two_library_institution
from tests.support.circ_queries import (
    ADD_BLOCK,
    ADD_NOTE,
    ADD_STAT,
    CREATE_FEE,
    LOAN,
    PAY_FEE,
    REGISTER,
    REMOVE_BLOCK,
    REMOVE_NOTE,
    REMOVE_STAT,
    RENEW_ROLE,
    SEARCH_USERS,
    USER_RECORD,
    WAIVE_FEE,
)
from tests.support.nodes import GraphQLErrors


async def test_add_and_remove_owned_records_under_full(node_factory: NodeFactory) -> None:
    node = await node_factory(two_library_institution(fulfillment_independence_model="FULL"))
    main = await node.token(api_key("unia-main-op"))
    law = await node.token(api_key("unia-law-op"))
    block = (
        await node.gql(
            ADD_BLOCK, {"patron": "P1", "description": "Owes MAIN", "owner": "MAIN"}, token=main
        )
    )["addBlock"]
    note = (
        await node.gql(
            ADD_NOTE, {"patron": "P1", "text": "Prefers e-mail", "owner": None}, token=law
        )
    )["addNote"]
    stat = (
        await node.gql(
            ADD_STAT,
            {"patron": "P1", "category": "DEPT", "value": "LAW", "owner": "LAW"},
            token=law,
        )
    )["addStatCategory"]
    seen_by_main = (await node.gql(USER_RECORD, {"id": "P1"}, token=main))["user"]
    assert [b["description"] for b in seen_by_main["blocks"]] == ["Owes MAIN"]
    assert [n["text"] for n in seen_by_main["notes"]] == ["Prefers e-mail"]  # institution-owned
    assert seen_by_main["statCategories"] == []
    seen_by_law = (await node.gql(USER_RECORD, {"id": "P1"}, token=law))["user"]
    assert seen_by_law["blocks"] == []
    assert [s["value"] for s in seen_by_law["statCategories"]] == ["LAW"]

    # MAIN cannot remove LAW's statistic: the same answer as a missing one.
    for victim in (stat["id"], "424242"):
        with pytest.raises(GraphQLErrors) as err:
            await node.gql(REMOVE_STAT, {"id": victim}, token=main)
        assert err.value.codes == ["NOT_FOUND"]
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(ADD_BLOCK, {"patron": "P1", "description": "x", "owner": "LAW"}, token=main)
    assert err.value.codes == ["NOT_FOUND"]

    # The MAIN block stops MAIN loans only.
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "P1", "barcode": "M-1"}, token=main)
    assert err.value.codes == ["PATRON_BLOCKED"]
    await node.gql(LOAN, {"desk": "LAW-DESK", "patron": "P1", "barcode": "L-1"}, token=law)

    assert (await node.gql(REMOVE_BLOCK, {"id": block["id"]}, token=main))["removeBlock"] == block[
        "id"
    ]
    assert (await node.gql(REMOVE_NOTE, {"id": note["id"]}, token=main))["removeNote"] == note["id"]
    assert (await node.gql(REMOVE_STAT, {"id": stat["id"]}, token=law))["removeStatCategory"]
    after = (await node.gql(USER_RECORD, {"id": "P1"}, token=main))["user"]
    assert (after["blocks"], after["notes"]) == ([], [])


async def test_empty_text_and_role_refusals(node_factory: NodeFactory) -> None:
    data = two_library_institution()
    data["users"].append(  # type: ignore[union-attr]
        {
            "primary_id": "req-only",
            "kind": "STAFF",
            "staff_roles": [{"role": "REQUESTS_OPERATOR", "libraries": None}],
            "api_keys": [{"key": api_key("req-only")}],
        }
    )
    node = await node_factory(data)
    op = await node.token(api_key("unia-main-op"))
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(ADD_NOTE, {"patron": "P1", "text": "  "}, token=op)
    assert err.value.codes == ["INVALID_INPUT"]
    requests_only = await node.token(api_key("req-only"))
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(ADD_NOTE, {"patron": "P1", "text": "hi"}, token=requests_only)
    assert err.value.codes == ["FORBIDDEN"]
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(
            LOAN, {"desk": "MAIN-DESK", "patron": "P1", "barcode": "M-1"}, token=requests_only
        )
    assert err.value.codes == ["FORBIDDEN"]
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(USER_RECORD, {"id": "P1"})
    assert err.value.codes == ["UNAUTHENTICATED"]


@pytest.mark.parametrize(("scope", "library"), [("LIBRARY", "LAW"), ("INSTITUTION", None)])
async def test_register_patron_follows_the_registration_rules(
    node_factory: NodeFactory, scope: str, library: str | None
) -> None:
    data = two_library_institution(registration_role_scope=scope, registration_role_days=30)
    data["libraries"][1]["registration_fee"] = "12.50"  # type: ignore[index]
    node = await node_factory(data)
    law = await node.token(api_key("unia-law-op"))
    new = {"primaryId": "NEW-1", "firstName": "Ada", "lastName": "Walkin", "email": "a@x.org"}
    user = (await node.gql(REGISTER, {"desk": "LAW-DESK", "patron": new}, token=law))[
        "registerPatron"
    ]
    expiry = (date.today() + timedelta(days=30)).isoformat()
    assert user["expiryDate"] == expiry
    assert [(r["libraryCode"], r["expiryDate"]) for r in user["patronRoles"]] == [(library, expiry)]
    assert user["fees"] == [
        {"type": "REGISTRATION", "ownerLibraryCode": "LAW", "originalAmount": "12.50"}
    ]
    letters = {(n["letter"], n["ownerLibraryCode"], n["replyTo"]) for n in user["notifications"]}
    assert ("Registration", "LAW", "law@lib.example.edu") in letters
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(REGISTER, {"desk": "LAW-DESK", "patron": new}, token=law)
    assert err.value.codes == ["CONFLICT"]
    nameless = {"primaryId": "N3", "firstName": " ", "lastName": ""}
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(REGISTER, {"desk": "LAW-DESK", "patron": nameless}, token=law)
    assert err.value.codes == ["INVALID_INPUT"]
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(
            REGISTER, {"desk": "MAIN-DESK", "patron": {**new, "primaryId": "N2"}}, token=law
        )
    assert err.value.codes == ["FORBIDDEN"]


async def test_renew_patron_role_only_within_scope(node_factory: NodeFactory) -> None:
    data = two_library_institution(fulfillment_independence_model="PARTIAL")
    data["users"].append(patron("LAWP", library="LAW"))  # type: ignore[union-attr]
    node = await node_factory(data)
    main = await node.token(api_key("unia-main-op"))
    law = await node.token(api_key("unia-law-op"))
    roles = (await node.gql(USER_RECORD, {"id": "LAWP"}, token=law))["user"]["patronRoles"]
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(RENEW_ROLE, {"id": roles[0]["id"], "expiry": "2099-01-01"}, token=main)
    assert err.value.codes == ["FORBIDDEN"]
    renewed = (
        await node.gql(RENEW_ROLE, {"id": roles[0]["id"], "expiry": "2099-01-01"}, token=law)
    )["renewPatronRole"]
    assert renewed == {"id": roles[0]["id"], "libraryCode": "LAW", "expiryDate": "2099-01-01"}
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(RENEW_ROLE, {"id": roles[0]["id"], "expiry": "2001-01-01"}, token=law)
    assert err.value.codes == ["INVALID_INPUT"]
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(RENEW_ROLE, {"id": "777777"}, token=law)
    assert err.value.codes == ["NOT_FOUND"]


async def test_search_users_honours_library_scope_limit(node_factory: NodeFactory) -> None:
    data = two_library_institution(limit_user_search_by_library_scope=True)
    data["users"] += [patron("READER-LAW", library="LAW"), patron("READER-MAIN", library="MAIN")]  # type: ignore[operator]
    node = await node_factory(data)
    law = await node.token(api_key("unia-law-op"))
    admin = await node.token(api_key("unia-admin"))
    found = (await node.gql(SEARCH_USERS, {"text": "reader", "limit": 10}, token=law))[
        "searchUsers"
    ]
    assert [u["primaryId"] for u in found] == ["READER-LAW"]
    everyone = (await node.gql(SEARCH_USERS, {"text": "READER", "limit": 10}, token=admin))[
        "searchUsers"
    ]
    assert {u["primaryId"] for u in everyone} >= {"P1", "P2", "READER-LAW", "READER-MAIN"}
    by_mail = (await node.gql(SEARCH_USERS, {"text": "p2@example", "limit": 5}, token=admin))[
        "searchUsers"
    ]
    assert [u["primaryId"] for u in by_mail] == ["P2"]
    assert (await node.gql(SEARCH_USERS, {"text": "%_", "limit": 5}, token=admin))[
        "searchUsers"
    ] == []
    for bad in ({"text": "r", "limit": 5}, {"text": "reader", "limit": 0}):
        with pytest.raises(GraphQLErrors) as err:
            await node.gql(SEARCH_USERS, bad, token=admin)
        assert err.value.codes == ["INVALID_INPUT"]


async def test_limited_desk_operator_works_the_desk_only(node_factory: NodeFactory) -> None:
    data = two_library_institution()
    data["users"].append(  # type: ignore[union-attr]
        staff("limited", role="CIRCULATION_DESK_OPERATOR_LIMITED", libraries=["MAIN"])
    )
    node = await node_factory(data)
    admin = await node.token(api_key("unia-admin"))
    limited = await node.token(api_key("limited"))
    await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "P1", "barcode": "M-1"}, token=limited)
    fee = (
        await node.gql(
            CREATE_FEE,
            {"patron": "P1", "type": "DAMAGED_ITEM", "amount": "2.00", "owner": "MAIN"},
            token=admin,
        )
    )["createFee"]
    paid = await node.gql(
        PAY_FEE, {"id": fee["id"], "amount": "1.00", "desk": "MAIN-DESK"}, token=limited
    )
    assert paid["payFee"]["balance"] == "1.00"
    refused = [
        (WAIVE_FEE, {"id": fee["id"]}),
        (CREATE_FEE, {"patron": "P1", "type": "OTHER", "amount": "1.00", "owner": "MAIN"}),
        (ADD_NOTE, {"patron": "P1", "text": "hello"}),
    ]
    for query, variables in refused:
        with pytest.raises(GraphQLErrors) as err:
            await node.gql(query, variables, token=limited)
        assert err.value.codes == ["FORBIDDEN"]


async def test_text_longer_than_its_column_is_invalid_input_not_internal(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await node_factory(two_library_institution(), db_url=db_url)
    admin = await node.token(api_key("unia-admin"))
    refused = [
        (ADD_STAT, {"patron": "P1", "category": "c" * 100, "value": "v"}),
        (ADD_STAT, {"patron": "P1", "category": "c", "value": "v" * 200}),
        (
            'mutation { addBlock(patron: "P1", description: "d", blockType: "%s") { id } }'
            % ("b" * 100),
            {},
        ),
        (
            REGISTER,
            {
                "desk": "MAIN-DESK",
                "patron": {"primaryId": "NEW", "firstName": "f" * 200, "lastName": "l"},
            },
        ),
        (
            REGISTER,
            {
                "desk": "MAIN-DESK",
                "patron": {"primaryId": "N" * 200, "firstName": "f", "lastName": "l"},
            },
        ),
        (
            'mutation { updateLibrary(libraryCode: "MAIN", replyToEmail: "%s") { code } }'
            % ("r" * 300),
            {},
        ),
        (
            'mutation { updateSettings(input: {name: "%s"}) { code } }' % ("n" * 300),
            {},
        ),
        (
            "mutation { updateSettings(input: {registrationRoleDays: 2000000000}) { code } }",
            {},
        ),
        ('mutation { updateSettings(input: {name: "   "}) { code } }', {}),
    ]
    for query, variables in refused:
        with pytest.raises(GraphQLErrors) as err:
            await node.gql(query, variables, token=admin)
        assert err.value.codes == ["INVALID_INPUT"], query
    record = (await node.gql(USER_RECORD, {"id": "P1"}, token=admin))["user"]
    assert record["blocks"] == []
    assert record["statCategories"] == []
