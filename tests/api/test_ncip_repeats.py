"""Brokers retry: each service sent 20 times, one after the other and all at once, changes
the request once and answers the same every time (checked in the database)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from institution_node.store.models import History, LendingRequest, Loan, OutboxMessage, Request
from tests.conftest import NodeFactory
from tests.support import ncip
from tests.support.nodes import NodeHarness
from tests.support.resource_sharing import rs_institution

COPIES = 20


async def twenty(node: NodeHarness, body: bytes, *, together: bool) -> set[bytes]:
    async def one() -> bytes:
        response = await node.client.post(
            "/ncip", content=body, headers={"content-type": "application/xml"}
        )
        assert response.status_code == 200
        ncip.read(response)
        return response.content

    if together:
        answers = await asyncio.gather(*(one() for _ in range(COPIES)))
    else:
        answers = [await one() for _ in range(COPIES)]
    return set(answers)


async def state(node: NodeHarness) -> dict[str, object]:
    async with node.runtime.sessions() as session:
        steps = Counter(
            await session.scalars(
                select(History.kind).where(History.category.in_(["STATUS", "MESSAGE_IN"]))
            )
        )
        return {
            "steps": dict(steps),
            "requests": [
                tuple(r)
                for r in await session.execute(
                    select(LendingRequest.status, LendingRequest.version).order_by(
                        LendingRequest.id
                    )
                )
            ],
            "loans": [tuple(r) for r in await session.execute(select(Loan.status, Loan.due_at))],
            "holds": await session.scalar(select(func.count()).select_from(Request)),
            "outbox": await session.scalar(select(func.count()).select_from(OutboxMessage)),
        }


@pytest.mark.parametrize("together", [False, True], ids=["in-turn", "concurrent"])
async def test_each_service_twenty_times_changes_once(
    node_factory: NodeFactory, db_url: str, together: bool
) -> None:
    node = await node_factory(rs_institution("UNIB"), db_url=db_url)
    secret = await ncip.add_broker(node.runtime, "UNIB")

    async def repeated(body: bytes) -> bytes:
        answers = await twenty(node, body, together=together)
        assert len(answers) == 1, answers
        answer = answers.pop()
        assert b"Problem" not in answer, answer
        return answer

    await repeated(ncip.request_item("BRK-1", "UNIB-R1", auth=secret))
    after_request = await state(node)
    assert after_request["holds"] == 1
    assert after_request["steps"]["NCIP:RequestItem"] == 1
    assert after_request["steps"]["WILL_SUPPLY"] == 1

    await repeated(ncip.check_out_item("UNIB-R1", request_id="BRK-1", auth=secret))
    shipped = await state(node)
    assert shipped["steps"]["SHIP"] == 1
    assert len(shipped["loans"]) == 1  # type: ignore[arg-type]

    async with node.runtime.sessions() as session:
        due = await session.scalar(select(Loan.due_at))
    assert due is not None
    wanted = (due + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    await repeated(ncip.renew_item("UNIB-R1", desired=wanted, auth=secret))
    renewed = await state(node)
    assert renewed["steps"]["APPROVE_RENEWAL"] == 1
    assert renewed["steps"]["NCIP:RenewItem"] == 1

    await repeated(ncip.check_in_item("UNIB-R1", auth=secret))
    done = await state(node)
    assert done["steps"]["CHECK_IN"] == 1
    assert done["steps"]["NCIP:CheckInItem"] == 1
    assert done["requests"][0][0] == "COMPLETED"  # type: ignore[index]

    await repeated(ncip.request_item("BRK-2", "UNIB-R1", auth=secret))
    await repeated(ncip.cancel_request_item("BRK-2", auth=secret))
    cancelled = await state(node)
    assert cancelled["steps"]["PARTNER_CANCEL"] == 1
    assert cancelled["steps"]["NCIP:CancelRequestItem"] == 1
    assert cancelled["outbox"] == 0  # a broker is sent none of these steps
    # One more copy later still changes nothing.
    await repeated(ncip.check_in_item("UNIB-R1", auth=secret))
    assert await state(node) == cancelled


async def test_a_check_out_without_request_id_twenty_at_once_lends_once(
    node_factory: NodeFactory, db_url: str
) -> None:
    """Without a RequestId the request is made on the spot: still one request, one loan."""
    node = await node_factory(rs_institution("UNIB"), db_url=db_url)
    secret = await ncip.add_broker(node.runtime, "UNIB")
    answers = await twenty(node, ncip.check_out_item("UNIB-R2", auth=secret), together=True)
    assert len(answers) == 1
    async with node.runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(LendingRequest)) == 1
        assert await session.scalar(select(func.count()).select_from(Loan)) == 1
