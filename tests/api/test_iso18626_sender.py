"""The outbox's iso18626 sender: how it reads a partner's answer (OK delivered, ERROR a
permanent failure kept on the row, no answer or a server error tried again later) and what
it presents (an outside partner's own secret, in its header)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from institution_node.iso18626 import codec, wire
from institution_node.iso18626.errors import ErrorType, IsoError
from institution_node.iso18626.sender import Iso18626Sender
from institution_node.outbox import (
    DeliveryError,
    MessageStatus,
    OutboundMessage,
    PermanentFailure,
    RetryPolicy,
    SenderRegistry,
    deliver_due,
    enqueue,
)
from institution_node.services.resource_sharing.messages import MessageKind, PartnerMessage
from institution_node.store.models import OutboxMessage, Partner
from tests.conftest import NodeFactory
from tests.support.iso18626 import outside_partner
from tests.support.nodes import NodeHarness
from tests.support.resource_sharing import rs_institution

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
URL = "http://partner.test/iso18626"


def confirmation(error: IsoError | None = None) -> bytes:
    echo = codec.Facts(family=codec.FAMILY_REQUESTER, request_id="UNIB-1-1")
    return wire.serialize(
        wire.message(codec.confirmation(echo, now=NOW, received_at=NOW, error=error))
    )


async def _setup(
    node_factory: NodeFactory, handler: httpx.MockTransport
) -> tuple[NodeHarness, Iso18626Sender, OutboundMessage, list[httpx.Request]]:
    node = await node_factory(rs_institution("UNIB"))
    await outside_partner(node.runtime, "UNIB", code="PART", agency=("ISIL", "XX-PART"))
    async with node.runtime.sessions() as session:
        partner = await session.scalar(select(Partner).where(Partner.code == "PART"))
        assert partner is not None
        partner.outbound_secret = "their-secret"
        partner.outbound_header = "x-api-key"
        await session.commit()
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler.handle_request(request)  # type: ignore[arg-type]

    sender = Iso18626Sender(
        sessions=node.runtime.sessions,
        http=httpx.AsyncClient(transport=httpx.MockTransport(record)),
        keyring=node.runtime.keyring,
        own_code=node.runtime.institution_code,
    )
    message = PartnerMessage(
        kind=MessageKind.CANCEL,
        partner_id=partner.id,
        requester=("NETWORK", "UNIB"),
        supplier=("ISIL", "XX-PART"),
        requester_request_id="UNIB-1-1",
        sent_at=NOW,
        note="no longer needed",
    )
    outbound = OutboundMessage(
        id=1,
        channel="iso18626",
        destination=URL,
        ordering_key="rs-borrowing-1",
        payload=message.to_payload(),
        attempt=1,
        created_at=NOW,
    )
    return node, sender, outbound, seen


def answering(status: int, body: bytes) -> httpx.MockTransport:
    return httpx.MockTransport(lambda _request: httpx.Response(status, content=body))


async def test_ok_is_delivered_with_the_partners_own_secret(node_factory: NodeFactory) -> None:
    _, sender, outbound, seen = await _setup(node_factory, answering(200, confirmation()))
    await sender.send(outbound)
    (request,) = seen
    assert request.headers["x-api-key"] == "their-secret"
    assert "authorization" not in request.headers
    sent = wire.parse(request.content)
    assert wire.schema_errors(sent.root) == []
    assert codec.decode(sent).message.kind is MessageKind.CANCEL
    await sender.send(outbound)  # a retry sends the very same bytes
    assert seen[0].content == seen[1].content


@pytest.mark.parametrize(
    ("transport", "failure"),
    [
        (
            answering(
                200, confirmation(IsoError(ErrorType.UNRECOGNISED_DATA_VALUE, "no such request"))
            ),
            PermanentFailure,
        ),
        (
            answering(413, confirmation(IsoError(ErrorType.BADLY_FORMED_MESSAGE, "big"))),
            PermanentFailure,
        ),
        (answering(404, b"not here"), PermanentFailure),
        (answering(503, b"busy"), DeliveryError),
        (
            answering(401, confirmation(IsoError(ErrorType.UNRECOGNISED_DATA_VALUE, "who?"))),
            DeliveryError,
        ),
        (answering(200, b"<html>a proxy page</html>"), DeliveryError),
        (answering(200, b"not xml"), DeliveryError),
    ],
)
async def test_how_answers_are_read(
    node_factory: NodeFactory, transport: httpx.MockTransport, failure: type[Exception]
) -> None:
    _, sender, outbound, _ = await _setup(node_factory, transport)
    with pytest.raises(failure) as caught:
        await sender.send(outbound)
    if failure is PermanentFailure:
        assert type(caught.value) is PermanentFailure
    else:
        assert not isinstance(caught.value, PermanentFailure)


async def test_an_error_confirmation_is_kept_on_the_outbox_row(node_factory: NodeFactory) -> None:
    refusal = IsoError(ErrorType.UNRECOGNISED_DATA_VALUE, "no such request")
    node, sender, outbound, _ = await _setup(node_factory, answering(200, confirmation(refusal)))
    async with node.runtime.sessions() as session:
        await enqueue(
            session,
            channel="iso18626",
            destination=URL,
            payload=outbound.payload,
            ordering_key="rs-borrowing-1",
        )
        await session.commit()
    report = await deliver_due(
        node.runtime.sessions,
        SenderRegistry([sender]),
        now=NOW.replace(year=2100),
        policy=RetryPolicy(),
    )
    assert (report.sent, report.failed) == (0, 1)
    async with node.runtime.sessions() as session:
        row = await session.scalar(select(OutboxMessage))
    assert row is not None
    assert row.status == MessageStatus.FAILED.value
    assert row.last_error is not None
    assert "UnrecognisedDataValue" in row.last_error
    assert "no such request" in row.last_error


async def test_an_unreachable_partner_is_retried(node_factory: NodeFactory) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    _, sender, outbound, _ = await _setup(node_factory, httpx.MockTransport(refuse))
    with pytest.raises(DeliveryError) as caught:
        await sender.send(outbound)
    assert not isinstance(caught.value, PermanentFailure)
