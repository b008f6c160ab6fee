"""The ``ncip`` outbox sender against a broker whose answers the test scripts: what it
sends (XSD-valid, authenticated), what it retries, what the answers do to the request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from lxml import etree
from sqlalchemy import select

from institution_node.ncip.initiator import NcipSender
from institution_node.outbox import RetryPolicy, SenderRegistry, deliver_due
from institution_node.services.resource_sharing import lending_loans
from institution_node.services.resource_sharing.common import Actor
from institution_node.store.models import History, LendingRequest, OutboxMessage, Partner
from tests.conftest import NodeFactory
from tests.support import ncip
from tests.support.resource_sharing import rs_institution

NS = ncip.NS
POLICY = RetryPolicy(base_seconds=10, max_seconds=60, max_attempts=5, claim_seconds=30)


def renew_answer(inner: str) -> httpx.Response:
    text = (
        f'<NCIPMessage xmlns="{NS}" xmlns:n="{NS}" '
        f'n:version="http://www.niso.org/schemas/ncip/v2_02/ncip_v2_02.xsd">'
        f"<RenewItemResponse>{inner}</RenewItemResponse></NCIPMessage>"
    )
    return httpx.Response(200, text=text, headers={"content-type": "application/xml"})


def problem(kind: str) -> str:
    return (
        "<Problem><ProblemType n:Scheme='x'>" + kind + "</ProblemType>"
        "<ProblemDetail>no</ProblemDetail></Problem>"
    )


def due(desired: str) -> str:
    item = "<ItemId><ItemIdentifierValue>UNIB-R1</ItemIdentifierValue></ItemId>"
    return f"{item}<DateDue>{desired}</DateDue>"


Script = list[Callable[[str], httpx.Response]]


def _unreachable(_: str) -> httpx.Response:
    raise httpx.ConnectError("refused")


SCRIPTS: dict[str, tuple[Script, str, int]] = {
    # name: (answers in turn given the desired date, the request's status after, renewals)
    "granted": ([lambda d: renew_answer(due(d))], "SHIPPED", 1),
    "refused": ([lambda d: renew_answer(problem("Item Not Renewable"))], "SHIPPED", 0),
    "pending": ([lambda d: renew_answer("<Pending/>")], "RENEW_REQUESTED", 0),
    "temporary then granted": (
        [
            lambda d: renew_answer(problem("Temporary Processing Failure")),
            lambda d: renew_answer(due(d)),
        ],
        "SHIPPED",
        1,
    ),
    "not NCIP then granted": (
        [lambda d: httpx.Response(200, text="<html/>"), lambda d: renew_answer(due(d))],
        "SHIPPED",
        1,
    ),
    "unreachable then granted": ([_unreachable, lambda d: renew_answer(due(d))], "SHIPPED", 1),
    "HTTP 500 then granted": (
        [lambda d: httpx.Response(500), lambda d: renew_answer(due(d))],
        "SHIPPED",
        1,
    ),
}


@pytest.mark.parametrize("name", list(SCRIPTS))
async def test_renew_item_to_the_broker(
    node_factory: NodeFactory, sqlite_url: str, name: str
) -> None:
    script, status, renewals = SCRIPTS[name]
    node = await node_factory(rs_institution("UNIB"), db_url=sqlite_url)
    secret = await ncip.add_broker(node.runtime, "UNIB", outbound_secret="to-broker")
    await ncip.post(node.client, ncip.check_out_item("UNIB-R1", request_id="B1", auth=secret))
    sent: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == "http://broker.test/ncip"
        assert request.headers["authorization"] == "Bearer to-broker"
        root = etree.fromstring(request.content)
        assert ncip.shared_schema().validate(root)
        assert root.findtext(f".//{{{NS}}}FromAgencyAuthentication") == "to-broker"
        sent.append(request.content)
        desired = root.findtext(f".//{{{NS}}}DesiredDateDue")
        assert desired is not None
        return script[min(len(sent), len(script)) - 1](desired)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    sender = NcipSender(sessions=node.runtime.sessions, http=http)
    async with node.runtime.sessions() as session:
        row = await session.scalar(select(LendingRequest))
        broker = await session.scalar(select(Partner).where(Partner.code == "BROKER"))
        assert row is not None
        await lending_loans.partner_renew_request(
            session, actor=Actor(partner=broker), request_id=row.id
        )
        await session.commit()
    start = datetime.now(UTC) + timedelta(seconds=1)
    for minutes in (0, 10, 20, 30):
        await deliver_due(
            node.runtime.sessions,
            SenderRegistry([sender]),
            now=start + timedelta(minutes=minutes),
            policy=POLICY,
        )
    await http.aclose()
    assert len(sent) == len(script)  # retried until answered, then never again
    assert len(set(sent)) == 1  # the very same message each time
    async with node.runtime.sessions() as session:
        after = await session.get_one(LendingRequest, row.id)
        states = list(await session.scalars(select(OutboxMessage.status)))
        answers = list(
            await session.scalars(
                select(History.kind).where(History.kind == "NCIP:RenewItemResponse")
            )
        )
    assert (after.status, after.renewals) == (status, renewals)
    assert states == ["SENT"]
    assert answers == ["NCIP:RenewItemResponse"]
