"""networkActivity: what linked accounts have at this member, many patrons per call."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from institution_node.store.models import BibRecord, Fee, Library, Request, User
from tests.conftest import NodeFactory
from tests.support.builders import holding, record
from tests.support.network_data import member_with_linked_patrons
from tests.support.nodes import NodeHarness
from tests.support.postgres import terminate_backends
from tests.support.service_tokens import hub_key, hub_settings, service_token
from tests.support.statements import count_statements

NETWORK = "/network/graphql"
KEY = hub_key()
ACTIVITY = """
query Activity($patrons: [NetworkIdentityInput!]!) {
  networkActivity(patrons: $patrons) {
    homeInstitution homeUserId found localPrimaryId networkLinkId
    loans { title author barcode loanDate dueDate renewals loanInstitution loanLocation
            owningLibrary }
    requests { title status pickupInstitution pickupLocation placedDate managingLibrary
               owningLibrary }
    fees { type original balance currency owner }
  }
}
"""


def who(*ids: str, home: str = "UNIA") -> dict[str, Any]:
    return {"patrons": [{"homeInstitution": home, "homeUserId": i} for i in ids]}


async def activity(node: NodeHarness, variables: dict[str, Any]) -> list[dict[str, Any]]:
    data = await node.gql(ACTIVITY, variables, token=service_token(KEY, "UNIB"), path=NETWORK)
    answer: list[dict[str, Any]] = data["networkActivity"]
    return answer


async def _add_requests(node: NodeHarness, local_primary_id: str) -> None:
    """One active request (pickup at the home member) and one cancelled one."""
    async with node.runtime.sessions() as session:
        user_id = await session.scalar(select(User.id).where(User.primary_id == local_primary_id))
        bib_id = await session.scalar(
            select(BibRecord.id).where(BibRecord.network_record_id == "rec-1")
        )
        main = await session.scalar(select(Library.id).where(Library.code == "MAIN"))
        assert user_id is not None
        assert bib_id is not None
        assert main is not None
        session.add_all(
            [
                Request(
                    user_id=user_id,
                    bib_id=bib_id,
                    status="PLACED",
                    pickup_institution="UNIA",
                    pickup_library_code="A-MAIN",
                    pickup_library_name="Main Library of A",
                    managing_library_id=main,
                ),
                Request(
                    user_id=user_id, bib_id=bib_id, status="CANCELLED", pickup_institution="UNIA"
                ),
            ]
        )
        await session.commit()


async def test_activity_for_several_linked_patrons_in_one_call(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await node_factory(
        member_with_linked_patrons(patrons=2), db_url=db_url, **hub_settings(KEY)
    )
    await _add_requests(node, "UNIA:L1")
    async with node.runtime.sessions() as session:  # a paid fee is not Network Activity
        await session.execute(
            update(Fee)
            .where(
                Fee.user_id == select(User.id).where(User.primary_id == "UNIA:L2").scalar_subquery()
            )
            .values(status="CLOSED")
        )
        await session.commit()

    first, second, stranger = await activity(node, who("L1", "L2", "NOBODY"))

    assert first["found"] is True
    assert first["localPrimaryId"] == "UNIA:L1"
    assert len(first["networkLinkId"]) == 32
    assert first["loans"] == [
        {
            "title": "Networked Title",
            "author": "Author",
            "barcode": "X-1",
            "loanDate": "2026-01-05T10:00:00+00:00",
            "dueDate": "2026-02-02T10:00:00+00:00",
            "renewals": 1,
            "loanInstitution": "UNIB",
            "loanLocation": "Main Library",
            "owningLibrary": "Main Library",
        }
    ]
    assert [r["status"] for r in first["requests"]] == ["PLACED"]
    assert first["requests"][0] | {"placedDate": None} == {
        "title": "Title rec-1",
        "status": "PLACED",
        "pickupInstitution": "UNIA",
        "pickupLocation": "Main Library of A",
        "placedDate": None,
        "managingLibrary": "Main Library",
        "owningLibrary": None,
    }
    assert first["fees"] == [
        {
            "type": "OVERDUE",
            "original": "12.50",
            "balance": "7.25",
            "currency": "USD",
            "owner": "Main Library",
        }
    ]
    assert second["found"] is True
    assert [x["barcode"] for x in second["loans"]] == ["X-2"]
    assert second["requests"] == []
    assert second["fees"] == []
    assert stranger == {
        "homeInstitution": "UNIA",
        "homeUserId": "NOBODY",
        "found": False,
        "localPrimaryId": None,
        "networkLinkId": None,
        "loans": [],
        "requests": [],
        "fees": [],
    }


async def test_only_linked_accounts_answer(node_factory: NodeFactory) -> None:
    node = await node_factory(member_with_linked_patrons(patrons=1), **hub_settings(KEY))
    # P1 is a home patron of UNIB; the L1 pair exists only for home UNIA, not UNIC.
    own, wrong_home, mixed = await activity(
        node,
        {
            "patrons": [
                {"homeInstitution": "UNIB", "homeUserId": "P1"},
                {"homeInstitution": "UNIC", "homeUserId": "L1"},
                {"homeInstitution": "UNIA", "homeUserId": "P1"},
            ]
        },
    )
    assert [own["found"], wrong_home["found"], mixed["found"]] == [False, False, False]


async def test_statement_count_does_not_grow_with_patrons(node_factory: NodeFactory) -> None:
    node = await node_factory(member_with_linked_patrons(patrons=20), **hub_settings(KEY))
    await activity(node, who("L1"))  # warm up (institution code, key cache)

    with count_statements(node.runtime.engine) as one:
        answer = await activity(node, who("L1"))
    with count_statements(node.runtime.engine) as twenty:
        answers = await activity(node, who(*(f"L{n}" for n in range(1, 21))))

    assert answer[0]["found"]
    assert all(a["found"] and len(a["loans"]) == 1 for a in answers)
    assert len(twenty) == len(one)


async def test_one_statement_per_call(node_factory: NodeFactory, db_url: str) -> None:
    node = await node_factory(
        member_with_linked_patrons(patrons=3), db_url=db_url, **hub_settings(KEY)
    )
    await _add_requests(node, "UNIA:L2")
    await activity(node, who("L1"))  # warm up (institution code, key cache)

    with count_statements(node.runtime.engine) as statements:
        answers = await activity(node, who("L1", "L2", "L3", "NOBODY"))

    assert [len(a["loans"]) for a in answers] == [1, 1, 1, 0]
    assert [len(a["requests"]) for a in answers] == [0, 1, 0, 0]
    # SQLite's read-only sessions also send BEGIN (deferred: one WAL snapshot).
    assert len([s for s in statements if s != "BEGIN"]) == 1


async def test_each_list_in_its_order_under_its_patron(
    node_factory: NodeFactory, db_url: str
) -> None:
    data = member_with_linked_patrons(patrons=2)
    dues = {"Y-1": "2026-03-01", "Y-2": "2026-01-20", "Y-3": "2026-02-10", "Y-4": "2026-01-01"}
    data["records"].append(record("rec-y", title="More", holdings=[holding("MAIN", *dues)]))
    data["loans"] += [
        {
            "barcode": barcode,
            "patron": "UNIA:L2" if barcode == "Y-4" else "UNIA:L1",
            "desk": "MAIN-DESK",
            "loaned_at": "2025-12-20T10:00:00Z",
            "due_at": f"{due}T10:00:00Z",
        }
        for barcode, due in dues.items()
    ]
    # A fee the institution owns (no library) after L2's library fee.
    data["fees"].append({"patron": "UNIA:L2", "type": "LOST_ITEM", "amount": "40.00"})
    node = await node_factory(data, db_url=db_url, **hub_settings(KEY))
    await _add_requests(node, "UNIA:L2")
    await _add_requests(node, "UNIA:L2")

    first, second = await activity(node, who("L1", "L2"))

    assert [x["barcode"] for x in first["loans"]] == ["Y-2", "X-1", "Y-3", "Y-1"]
    assert [x["dueDate"][:10] for x in first["loans"]] == [
        "2026-01-20",
        "2026-02-02",
        "2026-02-10",
        "2026-03-01",
    ]
    assert first["requests"] == []
    assert [x["barcode"] for x in second["loans"]] == ["Y-4", "X-2"]
    assert second["loans"][0]["renewals"] == 0
    placed = [r["placedDate"] for r in second["requests"]]
    assert len(placed) == 2
    assert placed == sorted(placed)
    assert [(f["type"], f["owner"], f["balance"]) for f in second["fees"]] == [
        ("OVERDUE", "Main Library", "7.25"),
        ("LOST_ITEM", "University UNIB", "40.00"),
    ]


@pytest.mark.postgres
async def test_activity_answers_after_the_database_dropped_every_connection(
    node_factory: NodeFactory, pg_url: str
) -> None:
    """As after a PostgreSQL restart: the node's pooled connections are all dead; the next
    calls answer as before (no ping per checkout guards them any more)."""
    node = await node_factory(
        member_with_linked_patrons(patrons=2), db_url=pg_url, **hub_settings(KEY)
    )
    before = await activity(node, who("L1", "L2"))
    for _ in range(3):
        assert await terminate_backends(pg_url) >= 1
        assert await activity(node, who("L1", "L2")) == before
    assert before[0]["found"]
    assert before[0]["loans"]
