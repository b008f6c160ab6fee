"""A pickup-anywhere loan follows the owner's terms at a moved clock (issue 11): home UNIA,
owner UNIB (rules, jobs), pickup member UNIC. The clock of every app is moved with
time-machine; the owner's jobs run with the same moment as their ``now``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from institution_node.services.fulfilment.jobs import run_overdue_and_lost
from institution_node.store.models import Fee, Item, Library, Loan, Notification
from tests.network.conftest import NetworkFactory
from tests.network.test_getit import patron_token
from tests.support.builders import two_library_institution
from tests.support.fulfilment_queries import HUB_LOAN, HUB_REQUEST, HUB_RETURN
from tests.support.network import LiveNetwork
from tests.support.pickup_network import b_sends, c_receives, owner_data, staff

pytestmark = pytest.mark.network

T0 = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)


@contextmanager
def at(days: float) -> Iterator[datetime]:
    moment = T0 + timedelta(days=days)
    with time_machine.travel(moment, tick=True):
        yield moment


def _owner() -> dict[str, Any]:
    data = owner_data()
    data["institution"]["settings"]["separate_patron_notifications_by_library"] = True
    data["institution"]["settings"]["return_anywhere"] = True
    data["fulfilment_rules"] = [
        {"name": "Network patrons", "network_patrons": True, "loan_period_days": 14,
         "fine_per_day": "1.00", "fine_grace_days": 1, "fine_maximum": "8.00",
         "lost_after_days_overdue": 20, "lost_replacement_fee": "40.00",
         "lost_processing_fee": "5.00"},
    ]  # fmt: skip
    return data


async def _jobs_twice(net: LiveNetwork, moment: datetime) -> None:
    sessions = net.nodes["UNIB"].runtime.sessions
    await run_overdue_and_lost(sessions, now=moment)
    before = await _state(net)
    await run_overdue_and_lost(sessions, now=moment)
    assert await _state(net) == before  # the second run changes nothing


async def _state(net: LiveNetwork) -> tuple[Any, ...]:
    async with net.nodes["UNIB"].runtime.sessions() as s:
        fees = (await s.execute(select(Fee.fee_type, Fee.balance_minor).order_by(Fee.id))).all()
        letters = (await s.execute(select(Notification.id))).all()
    return tuple(fees), len(letters)


async def _fees(net: LiveNetwork) -> dict[str, tuple[str | None, int, int, str]]:
    async with net.nodes["UNIB"].runtime.sessions() as s:
        rows = await s.execute(
            select(Fee.fee_type, Library.code, Fee.original_minor, Fee.balance_minor, Fee.status)
            .outerjoin(Library, Library.id == Fee.owner_library_id)
            .where(Fee.loan_id.is_not(None))
        )
        return {r[0]: tuple(r[1:]) for r in rows}  # type: ignore[misc]


async def _letters(
    net: LiveNetwork, letter: str
) -> list[tuple[str | None, str | None, str | None]]:
    async with net.nodes["UNIB"].runtime.sessions() as s:
        rows = await s.execute(
            select(Library.code, Notification.reply_to, Notification.sender_institution)
            .outerjoin(Library, Library.id == Notification.owner_library_id)
            .where(Notification.letter == letter)
            .order_by(Notification.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def _pickup_loan(net: LiveNetwork, barcode: str) -> None:
    patron = await patron_token(net, "P1")
    ask = {"owner": "UNIB", "pi": "UNIC", "pl": "MAIN", "barcode": barcode, "key": f"q-{barcode}"}
    await net.hub_gql(HUB_REQUEST, ask, token=patron)
    await b_sends(net, barcode)
    await c_receives(net, barcode, f"c-{barcode}")
    loan = {"owner": "UNIB", "barcode": barcode, "desk": "MAIN-DESK", "home": "UNIA",
            "user": "P1", "key": f"l-{barcode}"}  # fmt: skip
    await net.hub_gql(HUB_LOAN, loan, token=await staff(net, "UNIC", "main-op"))


async def _return_at_c(net: LiveNetwork, barcode: str) -> dict[str, Any]:
    back = {"owner": "UNIB", "barcode": barcode, "desk": "MAIN-DESK", "key": f"r-{barcode}"}
    data = await net.hub_gql(HUB_RETURN, back, token=await staff(net, "UNIC", "main-op"))
    step: dict[str, Any] = data["returnForOwner"]
    return step


async def test_a_pickup_anywhere_loan_is_fined_lost_and_refunded_by_the_owner(
    network_factory: NetworkFactory,
) -> None:
    with at(0):
        net = await network_factory(
            [two_library_institution("UNIA"), _owner(), two_library_institution("UNIC")]
        )
        await _pickup_loan(net, "S-1")  # returned late at C
        await _pickup_loan(net, "C-1")  # lost, then found at C
    async with net.nodes["UNIB"].runtime.sessions() as s:
        terms = (await s.execute(select(Loan.loan_institution, Loan.terms))).all()
    assert {(inst, t["rule_name"], t["loan_period_days"]) for inst, t in terms} == {
        ("UNIC", "Network patrons", 14)
    }  # B's rules govern the loan made at C's desk

    with at(13.5) as moment:  # due tomorrow: Courtesy from B's owning library
        await _jobs_twice(net, moment)
    assert await _letters(net, "Courtesy") == [("MAIN", "main@lib.example.edu", None)]
    with at(17.5) as moment:  # four started days overdue
        await _jobs_twice(net, moment)
    assert await _letters(net, "Overdue Notice") == [("MAIN", "main@lib.example.edu", None)]
    with at(19.5) as moment:  # S-1 back at C six days late: 6.00 (grace 1, from the due date)
        step = await _return_at_c(net, "S-1")
        assert step["loanStatus"] == "RETURNED"
        await _jobs_twice(net, moment)
    fees = await _fees(net)
    assert fees["OVERDUE"][0] == "MAIN"
    async with net.nodes["UNIB"].runtime.sessions() as s:
        fine_s1 = await s.scalar(
            select(Fee.original_minor)
            .join(Loan, Loan.id == Fee.loan_id)
            .join(Item, Item.id == Loan.item_id)
            .where(Item.barcode == "S-1")
        )
    assert fine_s1 == 600
    # The return receipt is C's (where the patron stood); the fine and notices are B's.
    assert (await _letters(net, "Return Receipt"))[0][2] == "UNIC"

    with at(34.5) as moment:  # C-1 past 20 days overdue: lost, fees owned by B's MAIN
        await _jobs_twice(net, moment)
    async with net.nodes["UNIB"].runtime.sessions() as s:
        c1 = (
            await s.execute(
                select(Fee.fee_type, Library.code, Fee.original_minor, Fee.balance_minor)
                .join(Library, Library.id == Fee.owner_library_id)
                .join(Loan, Loan.id == Fee.loan_id)
                .join(Item, Item.id == Loan.item_id)
                .where(Item.barcode == "C-1")
            )
        ).all()
        assert await s.scalar(select(Item.status).where(Item.barcode == "C-1")) == "LOST"
    assert sorted(tuple(r) for r in c1) == [
        ("LOST_ITEM", "MAIN", 4000, 4000),
        ("LOST_ITEM_PROCESSING", "MAIN", 500, 500),
        ("OVERDUE", "MAIN", 800, 800),  # capped at the maximum
    ]
    assert await _letters(net, "Lost Loan Notification") == [("MAIN", "main@lib.example.edu", None)]

    with at(40.5) as moment:  # found: returned at C; the replacement fee is credited
        step = await _return_at_c(net, "C-1")
        assert (step["loanStatus"], step["destinationInstitution"]) == ("RETURNED", "UNIB")
        await _jobs_twice(net, moment)
    async with net.nodes["UNIB"].runtime.sessions() as s:
        lost_fee = (
            await s.execute(
                select(Fee.balance_minor, Fee.status).where(Fee.fee_type == "LOST_ITEM")
            )
        ).one()
    assert tuple(lost_fee) == (0, "CLOSED")
    assert await _letters(net, "Lost Refund Fee") == [("MAIN", "main@lib.example.edu", None)]
