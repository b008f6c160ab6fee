"""Fulfillment library independence (DOMAIN §7) on the patron record, through the staff API.

The companion of ``test_visibility_matrix.py`` (requests, monitor, pick lists): loans,
returns, fees and balance (and paying), blocks, notes, statistical categories,
notifications, attachments, patron role renewal and user search. Libraries: MAIN owns
items, LAW is where a loan was made (the pickup/loan library), SCI is where one was
returned, ART is unrelated; ``inst`` is institution-wide. ``law`` holds the token that made
the LAW loan; ``law2`` is the same operator with a new token, i.e. another session (the FULL
model's "loans performed in the current session" exception is per token).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.support import builders as b
from tests.support.nodes import GraphQLErrors, NodeHarness, start_node

pytestmark = pytest.mark.asyncio(loop_scope="module")

MODELS = ("NONE", "FULL", "PARTIAL")
OPERATORS = ("main", "law", "law2", "sci", "art", "inst")
LIBS_OF = {"main": "MAIN", "law": "LAW", "law2": "LAW", "sci": "SCI", "art": "ART"}
ALL = frozenset(OPERATORS)
LIBRARIES = ("MAIN", "LAW", "SCI", "ART")

# Who sees each loan (FULL / PARTIAL; NONE: everyone), held against DOMAIN §7.
LOANS: dict[str, dict[str, frozenset[str]]] = {
    "FULL": {
        "M-1": frozenset({"main", "law", "inst"}),  # MAIN's item loaned at LAW by `law`
        "L-1": frozenset({"law", "law2", "inst"}),  # LAW's item loaned at MAIN by `inst`
    },
    "PARTIAL": {
        "M-1": frozenset({"main", "law", "law2", "inst"}),
        "L-1": frozenset({"law", "law2", "main", "inst"}),
    },
    "NONE": {"M-1": ALL, "L-1": ALL},
}
RETURNS: dict[str, dict[str, frozenset[str]]] = {
    # M-2: MAIN's item loaned at MAIN, returned at the SCI desk by `sci` (its own session);
    # M-4: the same, returned at the SCI desk by `inst`: under FULL the library where it was
    # returned does not see the owner's returned loan, under PARTIAL it does.
    "FULL": {"M-2": frozenset({"main", "sci", "inst"}), "M-4": frozenset({"main", "inst"})},
    "PARTIAL": {
        "M-2": frozenset({"main", "sci", "inst"}),
        "M-4": frozenset({"main", "sci", "inst"}),
    },
    "NONE": {"M-2": ALL, "M-4": ALL},
}
FEES = {"MAIN": "5.00", "LAW": "3.00", None: "2.00"}  # owner -> amount


def owned_visible(model: str, operator: str, owner: str | None) -> bool:
    """Fees, blocks, notes, statistics, notifications, attachments: owned by the
    operator's libraries or by the institution."""
    if model == "NONE" or operator == "inst" or owner is None:
        return True
    return LIBS_OF[operator] == owner


@dataclass
class World:
    model: str
    node: NodeHarness
    tokens: dict[str, str]


def _data(model: str) -> dict[str, Any]:
    staff = [
        b.staff(
            f"op-{code.lower()}",
            roles=[{"role": "CIRCULATION_DESK_MANAGER", "libraries": [code]}],
        )
        for code in ("MAIN", "LAW", "SCI", "ART")
    ]
    staff.append(
        b.staff("op-inst", roles=[{"role": "CIRCULATION_DESK_MANAGER", "libraries": None}])
    )
    return {
        "institution": b.institution(
            "UNIA",
            fulfillment_independence_model=model,
            limit_user_search_by_library_scope=True,
        ),
        "libraries": [b.library(code) for code in LIBRARIES],
        "users": [
            *staff,
            b.staff("fa-main", role="FULFILLMENT_ADMINISTRATOR", libraries=["MAIN"]),
            # P1 and P2 hold a role at every library, so every operator may look them up
            # (limit_user_search_by_library_scope is on) and visibility alone decides.
            b.patron("P1", patron_roles=[{"library": c} for c in LIBRARIES]),
            b.patron("P2", patron_roles=[{"library": c} for c in LIBRARIES]),
            b.patron("PL", library="LAW"),
            b.patron("PM", library="MAIN"),
        ],
        "records": [
            b.record("rec-m", holdings=[b.holding("MAIN", "M-1", "M-2", "M-3", "M-4")]),
            b.record("rec-l", holdings=[b.holding("LAW", "L-1", "L-2")]),
        ],
    }


LOAN = """
mutation($d: String!, $p: String!, $b: String!) { loan(desk: $d, patron: $p, barcode: $b) { id } }
"""
RETURN = "mutation($d: String!, $b: String!) { return(desk: $d, barcode: $b) { nextStep } }"
CREATE_FEE = """
mutation($p: String!, $a: String!, $o: String) {
  createFee(patron: $p, type: OTHER, amount: $a, ownerLibrary: $o) { id }
}
"""
_ADD = (
    "mutation($p: String!, $o: String) {{ {field}(patron: $p, {args}, ownerLibrary: $o) {{ id }} }}"
)
ADD = {
    "blocks": _ADD.format(field="addBlock", args='description: "x"'),
    "notes": _ADD.format(field="addNote", args='text: "x"'),
    "statCategories": _ADD.format(field="addStatCategory", args='category: "c", value: "v"'),
}
USER = """
query($p: String!) {
  user(primaryId: $p) {
    loans { itemBarcode } loanHistory { itemBarcode }
    fees { ownerLibraryCode balance } feeBalance { amount }
    blocks { ownerLibraryCode } notes { ownerLibraryCode } statCategories { ownerLibraryCode }
    notifications { id ownerLibraryCode } attachments { id ownerLibraryCode }
    patronRoles { id libraryCode }
  }
}
"""
PAY = """
mutation($f: ID!, $d: String!) { payFee(feeId: $f, amount: "1.00", desk: $d) { balance } }
"""
WAIVE = 'mutation($f: ID!) { waiveFee(feeId: $f, amount: "1.00") { balance } }'
UPDATE_LIBRARY = """
mutation($l: String!) { updateLibrary(libraryCode: $l, replyToEmail: "x@lib.example.edu") { code } }
"""
RENEW_ROLE = "mutation($r: ID!) { renewPatronRole(roleId: $r) { id } }"
SEARCH = 'query { searchUsers(text: "reader", limit: 50) { primaryId } }'


async def _build(node: NodeHarness, t: dict[str, str]) -> None:
    inst = t["inst"]
    await node.gql(LOAN, {"d": "LAW-DESK", "p": "P1", "b": "M-1"}, token=t["law"])
    await node.gql(LOAN, {"d": "MAIN-DESK", "p": "P1", "b": "L-1"}, token=inst)
    await node.gql(LOAN, {"d": "MAIN-DESK", "p": "P1", "b": "M-2"}, token=inst)
    await node.gql(RETURN, {"d": "SCI-DESK", "b": "M-2"}, token=t["sci"])
    await node.gql(LOAN, {"d": "MAIN-DESK", "p": "P1", "b": "M-4"}, token=inst)
    await node.gql(RETURN, {"d": "SCI-DESK", "b": "M-4"}, token=inst)
    for owner, amount in FEES.items():
        await node.gql(CREATE_FEE, {"p": "P1", "a": amount, "o": owner}, token=inst)
    for query in ADD.values():
        for owner in ("LAW", "MAIN", None):
            await node.gql(query, {"p": "P1", "o": owner}, token=inst)
    await node.gql(ADD["blocks"], {"p": "P2", "o": "LAW"}, token=inst)


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=MODELS)
async def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    model = str(request.param)
    data_dir: Path = tmp_path_factory.mktemp(f"records-{model.lower()}")
    node = await start_node(_data(model), data_dir=data_dir)
    try:
        keys = {op: f"op-{LIBS_OF.get(op, 'inst').lower()}" for op in OPERATORS}
        tokens = {op: await node.token(b.api_key(key)) for op, key in keys.items()}
        await _build(node, tokens)
        yield World(model, node, tokens)
    finally:
        await node.close()


async def _user(world: World, operator: str, patron: str = "P1") -> dict[str, Any]:
    data = await world.node.gql(USER, {"p": patron}, token=world.tokens[operator])
    user: dict[str, Any] = data["user"]
    return user


@pytest.mark.parametrize("operator", OPERATORS)
async def test_loans_and_returns(world: World, operator: str) -> None:
    user = await _user(world, operator)
    loans = {x["itemBarcode"] for x in user["loans"]}
    returns = {x["itemBarcode"] for x in user["loanHistory"]}
    assert loans == {bc for bc, who in LOANS[world.model].items() if operator in who}
    assert returns == {bc for bc, who in RETURNS[world.model].items() if operator in who}


@pytest.mark.parametrize("operator", OPERATORS)
async def test_fees_and_balance_agree(world: World, operator: str) -> None:
    user = await _user(world, operator)
    visible = {o: a for o, a in FEES.items() if owned_visible(world.model, operator, o)}
    assert len(user["fees"]) == len(visible)
    assert {f["ownerLibraryCode"]: f["balance"] for f in user["fees"]} == visible
    total = sum(float(a) for a in visible.values())
    assert float(user["feeBalance"]["amount"]) == pytest.approx(total)


@pytest.mark.parametrize("operator", OPERATORS)
async def test_paying_a_main_fee(world: World, operator: str) -> None:
    fee = await world.node.gql(
        CREATE_FEE, {"p": "P2", "a": "4.00", "o": "MAIN"}, token=world.tokens["inst"]
    )
    desk = f"{LIBS_OF.get(operator, 'MAIN')}-DESK"
    args = {"f": fee["createFee"]["id"], "d": desk}
    if owned_visible(world.model, operator, "MAIN"):
        paid = await world.node.gql(PAY, args, token=world.tokens[operator])
        assert paid["payFee"]["balance"] == "3.00"
    else:
        with pytest.raises(GraphQLErrors) as caught:
            await world.node.gql(PAY, args, token=world.tokens[operator])
        assert caught.value.codes == ["NOT_FOUND"]


@pytest.mark.parametrize("operator", OPERATORS)
async def test_waiving_a_main_fee(world: World, operator: str) -> None:
    fee = await world.node.gql(
        CREATE_FEE, {"p": "P2", "a": "4.00", "o": "MAIN"}, token=world.tokens["inst"]
    )
    args = {"f": fee["createFee"]["id"]}
    if owned_visible(world.model, operator, "MAIN"):
        waived = await world.node.gql(WAIVE, args, token=world.tokens[operator])
        assert waived["waiveFee"]["balance"] == "3.00"
    else:
        with pytest.raises(GraphQLErrors) as caught:
            await world.node.gql(WAIVE, args, token=world.tokens[operator])
        assert caught.value.codes == ["NOT_FOUND"]


async def test_library_scoped_fulfillment_administrator(world: World) -> None:
    token = await world.node.token(b.api_key("fa-main"))
    await world.node.gql(UPDATE_LIBRARY, {"l": "MAIN"}, token=token)
    with pytest.raises(GraphQLErrors) as caught:
        await world.node.gql(UPDATE_LIBRARY, {"l": "LAW"}, token=token)
    assert caught.value.codes == ["NOT_FOUND"]


@pytest.mark.parametrize("operator", OPERATORS)
@pytest.mark.parametrize("field", ["blocks", "notes", "statCategories"])
async def test_owned_user_records(world: World, operator: str, field: str) -> None:
    user = await _user(world, operator)
    owners = sorted(x["ownerLibraryCode"] or "-" for x in user[field])
    expected = sorted(
        o or "-" for o in ("LAW", "MAIN", None) if owned_visible(world.model, operator, o)
    )
    assert owners == expected


@pytest.mark.parametrize("operator", OPERATORS)
@pytest.mark.parametrize("field", ["notifications", "attachments"])
async def test_notifications_and_attachments(world: World, operator: str, field: str) -> None:
    everything = (await _user(world, "inst"))[field]
    mine = (await _user(world, operator))[field]
    expected = {
        x["id"] for x in everything if owned_visible(world.model, operator, x["ownerLibraryCode"])
    }
    assert {x["id"] for x in mine} == expected
    # The setup sent letters owned by several libraries, so hiding is really exercised.
    assert len({x["ownerLibraryCode"] for x in everything}) >= 3


async def test_library_block_stops_only_that_librarys_loans(world: World) -> None:
    law = world.tokens["law"]
    with pytest.raises(GraphQLErrors) as caught:
        await world.node.gql(LOAN, {"d": "LAW-DESK", "p": "P2", "b": "L-2"}, token=law)
    assert caught.value.codes == ["PATRON_BLOCKED"]
    await world.node.gql(LOAN, {"d": "LAW-DESK", "p": "P2", "b": "M-3"}, token=law)


@pytest.mark.parametrize("operator", OPERATORS)
async def test_patron_role_renewal_within_scope(world: World, operator: str) -> None:
    role_id = (await _user(world, "inst", "PL"))["patronRoles"][0]["id"]
    if owned_visible(world.model, operator, "LAW"):
        await world.node.gql(RENEW_ROLE, {"r": role_id}, token=world.tokens[operator])
    else:
        with pytest.raises(GraphQLErrors) as caught:
            await world.node.gql(RENEW_ROLE, {"r": role_id}, token=world.tokens[operator])
        assert caught.value.codes == ["FORBIDDEN"]


SEARCH_FINDS = {
    "main": {"P1", "P2", "PM"},
    "law": {"P1", "P2", "PL"},
    "law2": {"P1", "P2", "PL"},
    "sci": {"P1", "P2"},
    "art": {"P1", "P2"},
    "inst": {"P1", "P2", "PL", "PM"},
}


@pytest.mark.parametrize("operator", OPERATORS)
async def test_user_search_limited_to_library_scope(world: World, operator: str) -> None:
    found = (await world.node.gql(SEARCH, token=world.tokens[operator]))["searchUsers"]
    assert {u["primaryId"] for u in found} == SEARCH_FINDS[operator]
