"""Fulfillment library independence (DOMAIN §7), case by case, through the staff API.

One node per model (NONE / FULL / PARTIAL), loaded once per module and reused. Four
libraries play the roles of §7: MAIN owns the items, LAW is the pickup library, SCI is
a library managing a request right now (an item in transit from there), ART is unrelated;
``inst`` is an institution-wide operator. Each row of ``SEES`` says which operators see a
record; hidden records must be absent from every list and its count.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select

from institution_node.services.requests import lifecycle as requests_service
from institution_node.store.models import Item, Library, Loan
from tests.support import builders as b
from tests.support.nodes import GraphQLErrors, NodeHarness, start_node
from tests.support.request_queries import (
    CANCEL_REQUEST,
    MONITOR,
    PATRON_REQUESTS,
    PICK_FROM_SHELF,
    PLACE_REQUEST,
    REQUEST,
    SCAN_IN,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

OPERATORS = ("main", "law", "sci", "art", "inst")
MODELS = ("NONE", "FULL", "PARTIAL")
EVERYONE = frozenset(OPERATORS)

# record -> (patron, closed?) ; the records are built in ``_build`` below.
RECORDS = {
    "pick": ("P1", False),  # PICK_FROM_SHELF: MAIN's item, pickup LAW
    "transit": ("P2", False),  # IN_TRANSIT from SCI (returned there) to LAW; MAIN owns it
    "waiting": ("P3", False),  # title level, no copy free yet (MAIN's is on loan), pickup LAW
    "completed": ("P4", True),  # MAIN's item loaned at LAW
    "cancelled": ("P5", True),  # title level, cancelled before a copy was chosen
    "transit_home": (None, False),  # non-patron: MAIN's item going home from SCI
}

# Who sees each record under FULL and PARTIAL (NONE: everyone). Held against DOMAIN §7:
# active requests: candidate owner (only the chosen item's owner once itemized), pickup
# library, managing library; closed: FULL owner only, PARTIAL owner or pickup; non-patron
# requests: unrestricted.
SEES: dict[str, dict[str, frozenset[str]]] = {
    "FULL": {
        "pick": frozenset({"main", "law", "inst"}),
        # ART owns another copy of this title, but the request chose MAIN's.
        "transit": frozenset({"main", "law", "sci", "inst"}),
        "waiting": frozenset({"main", "law", "inst"}),
        "completed": frozenset({"main", "inst"}),
        "cancelled": frozenset({"main", "inst"}),
        "transit_home": EVERYONE,
    },
    "PARTIAL": {
        "pick": frozenset({"main", "law", "inst"}),
        "transit": frozenset({"main", "law", "sci", "inst"}),
        "waiting": frozenset({"main", "law", "inst"}),
        "completed": frozenset({"main", "law", "inst"}),
        "cancelled": frozenset({"main", "law", "inst"}),
        "transit_home": EVERYONE,
    },
    "NONE": {name: EVERYONE for name in RECORDS},
}


def sees(model: str, record: str, operator: str) -> bool:
    return operator in SEES[model][record]


@dataclass
class World:
    model: str
    node: NodeHarness
    tokens: dict[str, str]
    ids: dict[str, str]  # record name -> request id
    names: dict[str, str]  # request id -> record name


def _data(model: str) -> dict[str, Any]:
    libraries = [b.library(code) for code in ("MAIN", "LAW", "SCI", "ART")]
    staff = [
        b.staff(f"op-{code.lower()}", role="REQUESTS_OPERATOR", libraries=[code])
        for code in ("MAIN", "LAW", "SCI", "ART")
    ]
    staff.append(b.staff("op-inst", role="REQUESTS_OPERATOR", libraries=None))
    patrons = [b.patron(f"P{n}") for n in range(1, 10)]
    now = datetime.now(UTC)
    return {
        "institution": b.institution("UNIA", fulfillment_independence_model=model),
        "libraries": libraries,
        "users": staff + patrons,
        "records": [
            b.record("rec-pick", holdings=[b.holding("MAIN", "P-MAIN")]),
            b.record(
                "rec-transit",
                holdings=[b.holding("MAIN", "T-MAIN"), b.holding("ART", "T-ART")],
            ),
            b.record("rec-wait", holdings=[b.holding("MAIN", "W-MAIN")]),
            b.record("rec-done", holdings=[b.holding("MAIN", "C-MAIN")]),
            b.record("rec-cancel", holdings=[b.holding("MAIN", "X-MAIN")]),
            b.record("rec-home", holdings=[b.holding("MAIN", "H-MAIN")]),
        ],
        "loans": [
            {
                "barcode": code,
                "patron": "P9",
                "desk": "MAIN-DESK",
                "loaned_at": (now - timedelta(days=1)).isoformat(),
                "due_at": (now + timedelta(days=20)).isoformat(),
            }
            for code in ("T-MAIN", "W-MAIN", "X-MAIN")
        ],
    }


async def _place(node: NodeHarness, token: str, **input_: Any) -> str:
    data = await node.gql(PLACE_REQUEST, {"input": input_}, token=token)
    return str(data["placeRequest"]["id"])


async def _build(node: NodeHarness, inst: str) -> dict[str, str]:
    ids: dict[str, str] = {}
    ids["pick"] = await _place(
        node, inst, patronPrimaryId="P1", barcode="P-MAIN", pickupLibraryCode="LAW"
    )
    ids["transit"] = await _place(
        node, inst, patronPrimaryId="P2", barcode="T-MAIN", pickupLibraryCode="LAW"
    )
    ids["waiting"] = await _place(
        node, inst, patronPrimaryId="P3", recordId="rec-wait", pickupLibraryCode="LAW"
    )
    ids["completed"] = await _place(
        node, inst, patronPrimaryId="P4", barcode="C-MAIN", pickupLibraryCode="LAW"
    )
    ids["cancelled"] = await _place(
        node, inst, patronPrimaryId="P5", recordId="rec-cancel", pickupLibraryCode="LAW"
    )
    await node.gql(CANCEL_REQUEST, {"id": ids["cancelled"], "reason": "x"}, token=inst)
    for desk in ("MAIN-DESK", "LAW-DESK"):
        await node.gql(SCAN_IN, {"barcode": "C-MAIN", "desk": desk}, token=inst)
    home = await node.gql(SCAN_IN, {"barcode": "H-MAIN", "desk": "SCI-DESK"}, token=inst)
    ids["transit_home"] = str(home["scanIn"]["request"]["id"])
    async with node.runtime.sessions() as s:
        # T-MAIN comes back at SCI: P2's request takes it, in transit from SCI to LAW.
        t_main = await s.scalar(select(Item).where(Item.barcode == "T-MAIN"))
        sci = await s.scalar(select(Library.id).where(Library.code == "SCI"))
        assert t_main is not None
        assert sci is not None
        loan = await s.scalar(select(Loan).where(Loan.item_id == t_main.id))
        assert loan is not None
        loan.status, t_main.status = "RETURNED", "ON_SHELF"
        assert await requests_service.take_over_returned_item(s, item=t_main, at_library_id=sci)
        # C-MAIN is loaned to P4 at the LAW desk: the request completes.
        c_main = await s.scalar(select(Item).where(Item.barcode == "C-MAIN"))
        assert c_main is not None
        held = await requests_service.hold_for_item(s, item_id=c_main.id)
        assert held is not None
        assert held.user_id is not None
        c_loan = Loan(
            item_id=c_main.id,
            user_id=held.user_id,
            owning_library_id=c_main.library_id,
            due_at=datetime.now(UTC) + timedelta(days=28),
        )
        s.add(c_loan)
        c_main.status = "ON_LOAN"
        await requests_service.complete_on_loan(s, item=c_main, patron_id=held.user_id, loan=c_loan)
        await s.commit()
    return ids


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=MODELS)
async def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    model = str(request.param)
    data_dir: Path = tmp_path_factory.mktemp(f"matrix-{model.lower()}")
    node = await start_node(_data(model), data_dir=data_dir)
    try:
        tokens = {op: await node.token(b.api_key(f"op-{op}")) for op in OPERATORS}
        ids = await _build(node, tokens["inst"])
        yield World(model, node, tokens, ids, {v: k for k, v in ids.items()})
    finally:
        await node.close()


@pytest.mark.parametrize("operator", OPERATORS)
async def test_requests_monitor(world: World, operator: str) -> None:
    page = (await world.node.gql(MONITOR, {"first": 100}, token=world.tokens[operator]))[
        "requestsMonitor"
    ]
    seen = {world.names[n["id"]] for n in page["nodes"]}
    expected = {r for r in RECORDS if sees(world.model, r, operator)}
    assert seen == expected
    assert page["totalCount"] == len(expected)


@pytest.mark.parametrize("operator", OPERATORS)
async def test_single_request_hidden_as_not_found(world: World, operator: str) -> None:
    for record, request_id in world.ids.items():
        body = await world.node.gql_raw(REQUEST, {"id": request_id}, token=world.tokens[operator])
        if sees(world.model, record, operator):
            assert body["data"]["request"]["id"] == request_id, record
        else:
            assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"], record


@pytest.mark.parametrize("operator", OPERATORS)
async def test_patron_record_active_and_closed_requests(world: World, operator: str) -> None:
    for record, (patron, closed) in RECORDS.items():
        if patron is None:
            continue
        rows = (
            await world.node.gql(
                PATRON_REQUESTS,
                {"patron": patron, "closed": closed},
                token=world.tokens[operator],
            )
        )["patronRequests"]
        visible = [r["id"] for r in rows] == [world.ids[record]]
        assert visible == sees(world.model, record, operator), record
        assert len(rows) == int(visible)


@pytest.mark.parametrize("operator", OPERATORS)
async def test_pick_from_shelf_list_of_the_owning_library(world: World, operator: str) -> None:
    token = world.tokens[operator]
    may_work_main = world.model == "NONE" or operator in ("main", "inst")
    if not may_work_main:
        with pytest.raises(GraphQLErrors) as caught:
            await world.node.gql(PICK_FROM_SHELF, {"lib": "MAIN"}, token=token)
        assert caught.value.codes == ["FORBIDDEN"]
        return
    tasks = (await world.node.gql(PICK_FROM_SHELF, {"lib": "MAIN"}, token=token))["pickFromShelf"]
    assert [(t["id"], t["pickupLibraryCode"]) for t in tasks] == [(world.ids["pick"], "LAW")]


@pytest.mark.parametrize("operator", OPERATORS)
async def test_monitor_filters_keep_counts_consistent(world: World, operator: str) -> None:
    token = world.tokens[operator]
    page = (
        await world.node.gql(
            MONITOR,
            {"status": ["CANCELLED", "COMPLETED"], "pickup": "LAW", "first": 1},
            token=token,
        )
    )["requestsMonitor"]
    expected = {r for r in ("completed", "cancelled") if sees(world.model, r, operator)}
    assert page["totalCount"] == len(expected)
    assert page["hasNextPage"] == (len(expected) > 1)
    if expected:
        rest = (
            await world.node.gql(
                MONITOR,
                {
                    "status": ["CANCELLED", "COMPLETED"],
                    "pickup": "LAW",
                    "first": 1,
                    "after": page["endCursor"],
                },
                token=token,
            )
        )["requestsMonitor"]["nodes"]
        assert {world.names[n["id"]] for n in page["nodes"] + rest} == expected
