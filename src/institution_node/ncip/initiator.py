"""The node as NCIP initiator: the outbox's ``ncip`` channel (seed 004, DOMAIN §8).

The lending services queue protocol-neutral messages for a broker partner (only the
kinds a broker is sent, ``outgoing.NCIP_KINDS``); this sender renders and posts them to
the broker's NCIP URL from the partner record, presenting the secret the broker gave us
(in the partner's outbound header, and as ``FromAgencyAuthentication``):

- ``RENEW_REQUEST`` → ``RenewItem`` with the desired due date (the borrower asked us for a
  renewal; the broker decides). A ``DateDue`` in the answer approves the renewal to that
  date; a Problem rejects it; ``Pending`` leaves it asked;
- ``RECALLED`` → ``RecallItem`` (a local patron wants the copy). The answer is noted; a
  ``DateDue`` earlier than ours becomes the loan's due date.

The outbox retries with its backoff what did not arrive (no connection, a timeout, an HTTP
error, an answer that is not NCIP, a Temporary Processing Failure) and never sends a
message again once answered; an answer is applied once (``answers``). What the message
and its answer said is in the request's history.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..outbox import DeliveryError, OutboundMessage, Sender
from ..services.resource_sharing.borrowing_steps import parse_requester_request_id
from ..services.resource_sharing.messages import MessageKind, PartnerMessage
from ..store.models import BorrowingRequest, Item, LendingRequest, Partner, User
from . import answers, responses
from .endpoint import NcipMetrics
from .messages import Ident
from .problems import NcipProblem, ProblemType
from .wire import parse, q, serialize

log = logging.getLogger("institution_node.ncip")

SERVICES = {
    MessageKind.RENEW_REQUEST: "RenewItem",
    MessageKind.RENEW: "RenewItem",
    MessageKind.RECALLED: "RecallItem",
}


def lending_id_of(message: PartnerMessage) -> int | None:
    """Our lending request id from our wire id (``<code>-L<n>``)."""
    _, _, tail = (message.supplier_request_id or "").rpartition("-L")
    return int(tail) if tail.isdigit() else None


def request_id_of(message: PartnerMessage) -> int | None:
    """The request the message is about: a borrowing request (RENEW, our patron's renewal)
    or a lending request (the others)."""
    if message.kind is MessageKind.RENEW:
        parsed = parse_requester_request_id(message.requester_request_id, message.requester[1])
        return parsed[0] if parsed else None
    return lending_id_of(message)


class NcipSender(Sender):
    channel = "ncip"
    concurrency = 4
    #: Brokers see the same RenewItem / RecallItem again after an interrupted send; the
    #: answer is applied once whatever they answer the second time.
    retry_interrupted = True

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        http: httpx.AsyncClient,
        metrics: NcipMetrics | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.sessions = sessions
        self.http = http
        self.metrics = metrics
        self.timeout = timeout

    async def send(self, message: OutboundMessage) -> None:
        partner_message = PartnerMessage.from_payload(message.payload)
        service = SERVICES.get(partner_message.kind)
        request_id = request_id_of(partner_message)
        if service is None or request_id is None:
            log.warning("ncip: outbox message %s has nothing to send", message.id)
            return
        async with self.sessions() as session:
            partner = await session.get(Partner, partner_message.partner_id)
            root = None
            if partner is not None:
                root = await _render(session, partner_message, partner, request_id)
        if partner is None or root is None:
            log.warning("ncip: the request of outbox message %s is gone", message.id)
            return
        response = await self._post(message.destination, service, serialize(root), partner)
        answer = read_answer(response.content, service)
        outcome = "ok" if answer.problem is None else answer.problem.name.lower()
        self._count(service, outcome)
        if answer.problem is ProblemType.TEMPORARY_PROCESSING_FAILURE:
            raise DeliveryError("The broker asked to try again later")
        await answers.apply(
            self.sessions,
            kind=partner_message.kind,
            request_id=request_id,
            answer=answer,
            outbox_id=message.id,
        )

    async def _post(self, url: str, service: str, body: bytes, partner: Partner) -> httpx.Response:
        headers = {"content-type": "application/xml; charset=utf-8"}
        if secret := partner.outbound_secret:
            header = partner.outbound_header or "authorization"
            headers[header] = f"Bearer {secret}" if header == "authorization" else secret
        try:
            response = await self.http.post(
                url, content=body, headers=headers, timeout=self.timeout
            )
        except httpx.HTTPError as exc:
            self._count(service, "unreachable")
            raise DeliveryError(f"The broker could not be reached: {type(exc).__name__}") from exc
        if response.status_code != 200:
            self._count(service, f"http_{response.status_code // 100}xx")
            raise DeliveryError(f"The broker answered HTTP {response.status_code}")
        return response

    def _count(self, service: str, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.count("out", service, outcome)


async def _render(
    session: AsyncSession, message: PartnerMessage, partner: Partner, request_id: int
) -> Any:
    """The NCIP message for ``message`` (None when its request is gone)."""
    secret = partner.outbound_secret
    if message.kind is MessageKind.RENEW:  # our patron's renewal of a borrowed item
        borrowed = await session.get(BorrowingRequest, request_id)
        if borrowed is None or borrowed.renewal_wanted_due is None:
            return None
        ours = message.requester[1]
        patron = await session.scalar(select(User.primary_id).where(User.id == borrowed.user_id))
        item = (
            Ident(borrowed.partner_item_id, agency=partner.agency_value)
            if borrowed.partner_item_id
            else Ident(borrowed.item_barcode or str(borrowed.id), agency=ours)
        )
        return responses.renew_item_request(
            responses.Parties(ours=ours, theirs=partner.agency_value),
            authentication=secret,
            user_id=Ident(patron or str(borrowed.user_id), agency=ours),
            item_id=item,
            desired_due=borrowed.renewal_wanted_due,
        )
    request = await session.get(LendingRequest, request_id)
    if request is None or request.item_id is None:
        return None
    barcode = await session.scalar(select(Item.barcode).where(Item.id == request.item_id))
    assert barcode is not None
    parties = responses.Parties(ours=message.supplier[1], theirs=partner.agency_value)
    item_id = Ident(barcode, agency=message.supplier[1])
    if message.kind is MessageKind.RENEW_REQUEST:
        desired = datetime.fromisoformat(message.extra["desired_due"])
        user = Ident(request.patron_reference or partner.code, agency=partner.agency_value)
        return responses.renew_item_request(
            parties, authentication=secret, user_id=user, item_id=item_id, desired_due=desired
        )
    return responses.recall_item_request(
        parties, authentication=secret, item_id=item_id, desired_due=None
    )


def read_answer(body: bytes, service: str) -> answers.Answer:
    """What the broker answered: its due date, pending, or its problem (the answer is parsed
    as safely as a message to us). Not NCIP: DeliveryError (tried again)."""
    try:
        parsed = parse(body)
    except NcipProblem as exc:
        raise DeliveryError("The broker's answer is not an NCIP message") from exc
    top = parsed.service
    name = parsed.service_name
    problem_node = top if name == "Problem" else top.find(q("Problem"))
    if problem_node is not None:
        text = (problem_node.findtext(q("ProblemType")) or "").strip()
        try:
            kind = ProblemType(text)
        except ValueError:
            kind = ProblemType.ELEMENT_RULE_VIOLATED  # a problem we have no name for: final
        detail = (problem_node.findtext(q("ProblemDetail")) or "").strip()[:200] or None
        return answers.Answer(problem=kind, detail=detail or text[:200])
    if name != f"{service}Response":
        raise DeliveryError(f"The broker answered {name[:64]}, not {service}Response")
    due_text = (top.findtext(q("DateDue")) or "").strip()
    due = None
    if due_text:
        try:
            due = datetime.fromisoformat(due_text)
        except ValueError as exc:
            raise DeliveryError("The broker's DateDue is not a date") from exc
    return answers.Answer(due=due, pending=top.find(q("Pending")) is not None)
