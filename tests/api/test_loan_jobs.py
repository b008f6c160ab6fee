"""Overdue fines, courtesy/overdue notices and lost loans at a moved clock (issue 11).

The node's own clock is moved with time-machine (desk loans and returns happen "then"),
and the jobs get the same moment as their explicit ``now``. Each job run twice at one
moment changes nothing the second time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select

from institution_node.cli import main as cli_main
from institution_node.services.fulfilment.jobs import run_overdue_and_lost
from institution_node.store.models import Fee, FeeTransaction, Item, Library, Loan, Notification
from institution_node.store.models import Request as RequestRow
from tests.conftest import NodeFactory
from tests.support.builders import api_key, two_library_institution
from tests.support.circ_queries import LOAN, PAY_FEE, RETURN
from tests.support.nodes import NodeHarness
from tests.support.request_queries import PLACE_REQUEST

T0 = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
RULE = {
    "name": "Stacks", "loan_period_days": 21, "fine_per_day": "0.50", "fine_grace_days": 2,
    "fine_maximum": "10.00", "lost_after_days_overdue": 30, "lost_replacement_fee": "50.00",
    "lost_processing_fee": "10.00", "lost_fee_refunded": True,
}  # fmt: skip


@contextmanager
def at(days: float) -> Iterator[datetime]:
    """Run the node's clock at T0 + ``days`` (ticking from there). Loans are made at day 0
    and everything else at a half day, so counting started days never hangs on seconds."""
    moment = T0 + timedelta(days=days)
    with time_machine.travel(moment, tick=True):
        yield moment


def _data() -> dict[str, Any]:
    data = two_library_institution("UNIA", separate_patron_notifications_by_library=True)
    data["fulfilment_rules"] = [RULE]
    return data


async def _jobs(node: NodeHarness, moment: datetime) -> Any:
    return await run_overdue_and_lost(node.runtime.sessions, now=moment)


async def _snapshot(node: NodeHarness) -> tuple[Any, ...]:
    async with node.runtime.sessions() as s:
        fees = (
            await s.execute(
                select(
                    Fee.id, Fee.fee_type, Fee.original_minor, Fee.balance_minor, Fee.status
                ).order_by(Fee.id)
            )
        ).all()
        letters = await s.scalar(select(func.count(Notification.id)))
        loans = (await s.execute(select(Loan.id, Loan.status).order_by(Loan.id))).all()
    return tuple(fees), letters, tuple(loans)


async def _letters(node: NodeHarness, letter: str) -> list[tuple[str | None, str | None, str]]:
    async with node.runtime.sessions() as s:
        rows = await s.execute(
            select(Library.code, Notification.reply_to, Notification.body)
            .outerjoin(Library, Library.id == Notification.owner_library_id)
            .where(Notification.letter == letter)
            .order_by(Notification.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def _fees(node: NodeHarness, barcode: str) -> dict[str, tuple[str | None, int, int, str]]:
    async with node.runtime.sessions() as s:
        rows = await s.execute(
            select(Fee.fee_type, Library.code, Fee.original_minor, Fee.balance_minor, Fee.status)
            .join(Loan, Loan.id == Fee.loan_id)
            .join(Item, Item.id == Loan.item_id)
            .outerjoin(Library, Library.id == Fee.owner_library_id)
            .where(Item.barcode == barcode)
        )
        return {r[0]: tuple(r[1:]) for r in rows}  # type: ignore[misc]


async def _twice(node: NodeHarness, moment: datetime) -> None:
    await _jobs(node, moment)
    before = await _snapshot(node)
    await _jobs(node, moment)
    assert await _snapshot(node) == before


async def test_fines_notices_lost_and_refund_at_a_moved_clock(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await node_factory(_data(), db_url=db_url)
    with at(0):
        main = await node.token(api_key("unia-main-op"))
        law = await node.token(api_key("unia-law-op"))
        for barcode in ("M-1", "M-2"):
            await node.gql(
                LOAN, {"desk": "MAIN-DESK", "patron": "P1", "barcode": barcode}, token=main
            )
        await node.gql(LOAN, {"desk": "LAW-DESK", "patron": "P1", "barcode": "L-1"}, token=law)
        admin = await node.token(api_key("unia-admin"))
        await node.gql(
            PLACE_REQUEST,
            {"input": {"patronPrimaryId": "P2", "pickupLibraryCode": "LAW", "barcode": "L-1"}},
            token=admin,
        )

    with at(20.5) as moment:  # due tomorrow: one Courtesy letter per owning library
        await _twice(node, moment)
    assert sorted((o, r) for o, r, _ in await _letters(node, "Courtesy")) == [
        ("LAW", "law@lib.example.edu"),
        ("MAIN", "main@lib.example.edu"),
    ]
    assert any("M-1" in body for _, _, body in await _letters(node, "Courtesy"))

    with at(22.5) as moment:  # two started days late: M-1 back within the grace period
        main = await node.token(api_key("unia-main-op"))
        await node.gql(RETURN, {"desk": "MAIN-DESK", "barcode": "M-1"}, token=main)
    assert await _fees(node, "M-1") == {}

    with at(25.5) as moment:  # five started days overdue: fines accrue, Overdue Notice per library
        await _twice(node, moment)
    assert await _fees(node, "M-2") == {"OVERDUE": ("MAIN", 250, 250, "OPEN")}
    overdue = await _letters(node, "Overdue Notice")
    assert sorted((o, r) for o, r, _ in overdue) == [
        ("LAW", "law@lib.example.edu"),
        ("MAIN", "main@lib.example.edu"),
    ]
    assert any("M-2" in body and "fine so far 2.50 USD" in body for _, _, body in overdue)

    with at(26.5) as moment:  # returned six started days late: the final fine, as the job would say
        main = await node.token(api_key("unia-main-op"))
        await node.gql(RETURN, {"desk": "MAIN-DESK", "barcode": "M-2"}, token=main)
        await _twice(node, moment)
    assert await _fees(node, "M-2") == {"OVERDUE": ("MAIN", 300, 300, "OPEN")}
    assert any("3.00 USD" in body for _, _, body in await _letters(node, "Fines/Fees Notification"))

    with at(50.5) as moment:  # 30 started days overdue: not lost yet; the fine has met its maximum
        await _twice(node, moment)
    assert await _fees(node, "L-1") == {"OVERDUE": ("LAW", 1000, 1000, "OPEN")}

    with at(51.5) as moment:  # past 30 days overdue: declared lost by the job
        await _twice(node, moment)
    assert await _fees(node, "L-1") == {
        "OVERDUE": ("LAW", 1000, 1000, "OPEN"),
        "LOST_ITEM": ("LAW", 5000, 5000, "OPEN"),
        "LOST_ITEM_PROCESSING": ("LAW", 1000, 1000, "OPEN"),
    }
    lost = await _letters(node, "Lost Loan Notification")
    assert [(o, r) for o, r, _ in lost] == [("LAW", "law@lib.example.edu")]
    assert "lost item replacement fee 50.00 USD" in lost[0][2]
    async with node.runtime.sessions() as s:
        assert await s.scalar(select(Item.status).where(Item.barcode == "L-1")) == "LOST"
        waiting = (await s.execute(select(RequestRow.status, RequestRow.cancel_reason))).one()
    assert tuple(waiting) == ("CANCELLED", "The item was declared lost")
    assert [o for o, _, _ in await _letters(node, "Cancel Request")] == ["LAW"]

    with at(55.5):  # the patron pays 20.00 of the replacement fee, then finds the book
        law = await node.token(api_key("unia-law-op"))
        async with node.runtime.sessions() as s:
            fee_id = await s.scalar(select(Fee.id).where(Fee.fee_type == "LOST_ITEM"))
        await node.gql(
            PAY_FEE, {"id": str(fee_id), "amount": "20.00", "desk": "LAW-DESK"}, token=law
        )
    with at(60.5) as moment:
        law = await node.token(api_key("unia-law-op"))
        back = await node.gql(RETURN, {"desk": "LAW-DESK", "barcode": "L-1"}, token=law)
        assert back["return"]["loan"]["status"] == "RETURNED"
        await _twice(node, moment)
    fees = await _fees(node, "L-1")
    assert fees["LOST_ITEM"] == ("LAW", 5000, 0, "CLOSED")
    assert fees["LOST_ITEM_PROCESSING"] == ("LAW", 1000, 1000, "OPEN")  # not refunded
    async with node.runtime.sessions() as s:
        moves = (
            await s.execute(
                select(FeeTransaction.kind, FeeTransaction.amount_minor)
                .join(Fee, Fee.id == FeeTransaction.fee_id)
                .where(Fee.fee_type == "LOST_ITEM")
                .order_by(FeeTransaction.id)
            )
        ).all()
        assert await s.scalar(select(Item.status).where(Item.barcode == "L-1")) == "ON_SHELF"
    assert [tuple(m) for m in moves] == [("PAYMENT", 2000), ("CREDIT", 3000), ("REFUND", 2000)]
    refund = await _letters(node, "Lost Refund Fee")
    assert [(o, r) for o, r, _ in refund] == [("LAW", "law@lib.example.edu")]
    assert "30.00 USD" in refund[0][2]
    assert "20.00 USD" in refund[0][2]


async def test_notices_are_one_per_patron_and_institution_owned_when_not_separated(
    node_factory: NodeFactory,
) -> None:
    data = two_library_institution("UNIA")
    data["fulfilment_rules"] = [RULE]
    node = await node_factory(data)
    with at(0):
        main = await node.token(api_key("unia-main-op"))
        law = await node.token(api_key("unia-law-op"))
        await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "P1", "barcode": "M-1"}, token=main)
        await node.gql(LOAN, {"desk": "LAW-DESK", "patron": "P1", "barcode": "L-1"}, token=law)
    with at(23.5) as moment:
        await _twice(node, moment)
    overdue = await _letters(node, "Overdue Notice")
    assert [(o, r) for o, r, _ in overdue] == [(None, "circ@unia.example.edu")]
    assert "M-1" in overdue[0][2]
    assert "L-1" in overdue[0][2]


async def test_staff_declare_lost_sends_the_lost_loan_letter(node_factory: NodeFactory) -> None:
    from tests.support.rules_data import DECLARE_LOST

    node = await node_factory(_data())
    main = await node.token(api_key("unia-main-op"))
    loan = await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "P1", "barcode": "M-1"}, token=main)
    declared = (await node.gql(DECLARE_LOST, {"id": loan["loan"]["id"]}, token=main))["declareLost"]
    assert declared["status"] == "LOST"
    assert await _fees(node, "M-1") == {
        "LOST_ITEM": ("MAIN", 5000, 5000, "OPEN"),
        "LOST_ITEM_PROCESSING": ("MAIN", 1000, 1000, "OPEN"),
    }
    assert [(o, r) for o, r, _ in await _letters(node, "Lost Loan")] == [
        ("MAIN", "main@lib.example.edu")
    ]


async def test_the_loan_jobs_run_as_commands(
    node_factory: NodeFactory, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node = await node_factory(_data(), db_url=db_url)
    with at(0):
        main = await node.token(api_key("unia-main-op"))
        await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "P1", "barcode": "M-1"}, token=main)
    url = str(node.runtime.engine.url.render_as_string(hide_password=False))
    argv = ["--data-dir", str(tmp_path / "job"), "--database-url", url]
    later = (T0 + timedelta(days=52.5)).isoformat()
    for command in ("accrue-fines", "loan-notices", "declare-lost", "overdue-and-lost"):
        assert await asyncio.to_thread(cli_main, [*argv, command, "--now", later]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "fines: 1 started, 0 grown over 1 overdue loan(s)"
    assert out[1] == "sent 0 courtesy and 1 overdue notice(s)"
    assert out[2] == "declared 1 loan(s) lost, charged 2 fee(s), cancelled 0 request(s)"
    assert out[3].startswith("declared 0 loan(s) lost")  # nothing twice
    assert await _fees(node, "M-1") == {
        "OVERDUE": ("MAIN", 1000, 1000, "OPEN"),
        "LOST_ITEM": ("MAIN", 5000, 5000, "OPEN"),
        "LOST_ITEM_PROCESSING": ("MAIN", 1000, 1000, "OPEN"),
    }


@pytest.mark.parametrize("now", ["yesterday", "2026-01-31T12:00:00"])
def test_loan_job_commands_refuse_a_bad_now(
    tmp_path: Path, now: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'job.db'}"
    argv = ["--data-dir", str(tmp_path), "--database-url", url, "overdue-and-lost", "--now", now]
    assert cli_main(argv) == 2
    assert "--now needs a date and time with a timezone" in capsys.readouterr().err
