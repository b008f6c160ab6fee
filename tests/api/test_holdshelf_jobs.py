"""Hold-shelf expiry (the CLI job), aggregated reminders, the queue taking over an item,
and a loan completing its request."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from institution_node.cli import main as cli_main
from institution_node.services.requests import holdshelf
from institution_node.services.requests import lifecycle as requests_service
from institution_node.store.models import Item, Library, Loan, Notification, Request
from tests.conftest import NodeFactory
from tests.support.builders import api_key, holding, record, two_library_institution
from tests.support.nodes import NodeHarness
from tests.support.request_queries import CANCEL_REQUEST, PICK_FROM_SHELF, PLACE_REQUEST, SCAN_IN

LATER = timedelta(days=8)  # past the default 7-day hold shelf


async def place(node: NodeHarness, token: str, **input_: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await node.gql(PLACE_REQUEST, {"input": input_}, token=token))[
        "placeRequest"
    ]
    return result


async def scan(node: NodeHarness, token: str, barcode: str, desk: str) -> dict[str, Any]:
    data = await node.gql(SCAN_IN, {"barcode": barcode, "desk": desk}, token=token)
    result: dict[str, Any] = data["scanIn"]
    return result


async def letters(node: NodeHarness) -> list[tuple[str, str | None]]:
    async with node.runtime.sessions() as s:
        rows = await s.execute(
            select(Notification.letter, Notification.reply_to).order_by(Notification.id)
        )
        return [(r.letter, r.reply_to) for r in rows]


async def test_expire_holds_command_sends_the_item_home(
    node_factory: NodeFactory, db_url: str, tmp_path: Path
) -> None:
    node = await node_factory(two_library_institution(), db_url=db_url)
    admin = await node.token(api_key("unia-admin"))
    req = await place(node, admin, patronPrimaryId="P1", barcode="M-1", pickupLibraryCode="LAW")
    await scan(node, admin, "M-1", "MAIN-DESK")
    await scan(node, admin, "M-1", "LAW-DESK")
    url = str(node.runtime.engine.url.render_as_string(hide_password=False))
    argv = ["--data-dir", str(tmp_path / "job"), "--database-url", url, "expire-holds"]

    soon = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    assert await asyncio.to_thread(cli_main, [*argv, "--now", soon]) == 0
    async with node.runtime.sessions() as s:
        row = await s.get(Request, int(req["id"]))
        assert row is not None
        assert row.status == "ON_HOLD_SHELF"

    later = (datetime.now(UTC) + LATER).isoformat()
    assert await asyncio.to_thread(cli_main, [*argv, "--now", later]) == 0
    assert await asyncio.to_thread(cli_main, [*argv, "--now", later]) == 0  # nothing twice
    async with node.runtime.sessions() as s:
        row = await s.get(Request, int(req["id"]))
        item = await s.scalar(select(Item).where(Item.barcode == "M-1"))
        main = await s.scalar(select(Library).where(Library.code == "MAIN"))
        assert row is not None
        assert item is not None
        assert main is not None
        assert (row.status, row.cancelled_by, row.cancel_reason) == (
            "CANCELLED",
            "SYSTEM",
            "Hold shelf period expired",
        )
        assert (item.status, item.transit_to_library_id) == ("IN_TRANSIT", main.id)
    assert await letters(node) == [
        ("On Hold Shelf", "main@lib.example.edu"),
        ("Cancel Request", "main@lib.example.edu"),
    ]


@pytest.mark.parametrize("separate", [True, False])
async def test_reminders_are_grouped_per_owning_library_or_institution(
    node_factory: NodeFactory, separate: bool
) -> None:
    data = two_library_institution(separate_patron_notifications_by_library=separate)
    data["records"].append(record("rec-3", holdings=[holding("LAW", "L-3")]))
    node = await node_factory(data)
    admin = await node.token(api_key("unia-admin"))
    await place(node, admin, patronPrimaryId="P1", barcode="M-1", pickupLibraryCode="MAIN")
    await place(node, admin, patronPrimaryId="P1", barcode="L-3", pickupLibraryCode="MAIN")
    await scan(node, admin, "M-1", "MAIN-DESK")
    await scan(node, admin, "L-3", "LAW-DESK")
    await scan(node, admin, "L-3", "MAIN-DESK")
    async with node.runtime.sessions() as s:
        now = datetime.now(UTC) + timedelta(days=6, hours=12)
        assert await holdshelf.send_hold_shelf_reminders(s, now=now) == (2 if separate else 1)
        assert await holdshelf.send_hold_shelf_reminders(s, now=now) == 0
    reminders = sorted(r for r in await letters(node) if r[0] == "On Hold Shelf Reminder")
    if separate:
        assert [r[1] for r in reminders] == ["law@lib.example.edu", "main@lib.example.edu"]
    else:
        assert [r[1] for r in reminders] == ["circ@unia.example.edu"]


@pytest.mark.parametrize(("returned_at", "step"), [("LAW", "HOLD_SHELF"), ("MAIN", "TRANSIT")])
async def test_next_request_takes_over_a_returned_item_and_loan_completes(
    node_factory: NodeFactory, returned_at: str, step: str
) -> None:
    node = await node_factory(two_library_institution())
    admin = await node.token(api_key("unia-admin"))
    first = await place(
        node, admin, patronPrimaryId="P1", recordId="rec-2", pickupLibraryCode="MAIN"
    )
    await scan(node, admin, "M-3", "MAIN-DESK")
    second = await place(
        node, admin, patronPrimaryId="P2", recordId="rec-2", pickupLibraryCode="LAW"
    )
    assert (second["status"], second["managingLibraryCode"]) == ("PLACED", "LAW")

    async with node.runtime.sessions() as s:
        item = await s.scalar(select(Item).where(Item.barcode == "M-3"))
        assert item is not None
        held = await requests_service.hold_for_item(s, item_id=item.id)
        assert held is not None
        assert held.id == int(first["id"])
        loan = Loan(
            item_id=item.id,
            user_id=held.user_id,
            owning_library_id=item.library_id,
            due_at=datetime.now(UTC) + timedelta(days=28),
        )
        s.add(loan)
        item.status = "ON_LOAN"
        done = await requests_service.complete_on_loan(
            s, item=item, patron_id=held.user_id or 0, loan=loan
        )
        await s.commit()
        assert done is not None
        assert (done.status, loan.request_id) == ("COMPLETED", done.id)

        # The loan comes back: the waiting request takes the item.
        lib = await s.scalar(select(Library).where(Library.code == returned_at))
        assert lib is not None
        loan.status = "RETURNED"
        item.status = "ON_SHELF"
        info = await requests_service.take_over_returned_item(s, item=item, at_library_id=lib.id)
        await s.commit()
        assert info is not None
        assert (info.step.value, info.destination_code, info.request_id) == (
            step,
            "LAW",
            int(second["id"]),
        )
        took = await s.get(Request, int(second["id"]))
        assert took is not None
        assert took.status == ("ON_HOLD_SHELF" if step == "HOLD_SHELF" else "IN_TRANSIT")
        assert item.status == took.status


async def test_cancelling_a_pick_gives_the_copy_to_the_next_in_queue(
    node_factory: NodeFactory,
) -> None:
    node = await node_factory(two_library_institution())
    admin = await node.token(api_key("unia-admin"))
    first = await place(
        node, admin, patronPrimaryId="P1", recordId="rec-2", pickupLibraryCode="MAIN"
    )
    await place(node, admin, patronPrimaryId="P2", recordId="rec-2", pickupLibraryCode="LAW")
    await node.gql(CANCEL_REQUEST, {"id": first["id"], "reason": "not needed"}, token=admin)
    tasks = (await node.gql(PICK_FROM_SHELF, {"lib": "MAIN"}, token=admin))["pickFromShelf"]
    assert [(t["patronPrimaryId"], t["pickupLibraryCode"]) for t in tasks] == [("P2", "LAW")]


@pytest.mark.parametrize("now", ["yesterday", "2026-13-45T00:00:00+00:00", "2026-01-31T12:00:00"])
def test_expire_holds_refuses_a_bad_now_without_a_traceback(
    tmp_path: Path, now: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'job.db'}"
    argv = ["--data-dir", str(tmp_path), "--database-url", url, "expire-holds", "--now", now]
    assert cli_main(argv) == 2
    assert "--now needs a date and time with a timezone" in capsys.readouterr().err
