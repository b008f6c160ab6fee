"""Sending to a partner: the message joins the outbox in the step's own transaction.

Messages of one request share an ordering key, so a partner that is down receives them
later in the order they were written (``institution_node.outbox``); the request's history
line names the outbox row, whose state (pending, sent, failed) the history shows.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import InvalidInput

from ...domain.partners import NETWORK_AGENCY_TYPE, PartnerProtocol
from ...outbox import enqueue
from ...store.models import Partner
from . import common
from .messages import MessageKind, PartnerMessage

#: What an NCIP broker is sent (docs/NCIP.md): the borrower's renewal (RenewItem: on a
#: lending request, the borrower asked us; on a borrowing request, our patron asks) and a
#: recall (RecallItem). The broker drives the other steps itself and learns of them from
#: the answers to its own messages, so nothing else is queued.
NCIP_KINDS = frozenset({MessageKind.RENEW_REQUEST, MessageKind.RENEW, MessageKind.RECALLED})


def carries(partner: Partner, kind: MessageKind) -> bool:
    """Whether the partner's protocol has a message for ``kind``."""
    return partner.protocol != PartnerProtocol.NCIP.value or kind in NCIP_KINDS


def channel_of(partner: Partner) -> str:
    """The outbox channel of a partner's protocol (its sender is registered under it)."""
    return partner.protocol.lower()


def ordering_key(*, borrowing_id: int | None = None, lending_id: int | None = None) -> str:
    return (
        f"rs-borrowing-{borrowing_id}" if borrowing_id is not None else f"rs-lending-{lending_id}"
    )


def own_agency(partner: Partner, own_code: str) -> tuple[str, str]:
    """Our agency id as partners know us: the network's scheme and our member code (an
    outside partner records us under it too; docs/RESOURCE_SHARING.md)."""
    return NETWORK_AGENCY_TYPE, own_code


def partner_agency(partner: Partner) -> tuple[str, str]:
    return partner.agency_type, partner.agency_value


async def send_to_partner(
    session: AsyncSession,
    *,
    partner: Partner,
    message: PartnerMessage,
    actor: common.Actor,
    borrowing_id: int | None = None,
    lending_id: int | None = None,
) -> None:
    """Queue ``message`` for ``partner`` and note it in the request's history (no commit);
    a kind the partner's protocol does not carry is not queued."""
    if not carries(partner, message.kind):
        return
    if not partner.endpoint_url:
        raise InvalidInput(f"Partner {partner.code} has no endpoint to send to")
    payload = message.to_payload()
    row = await enqueue(
        session,
        channel=channel_of(partner),
        destination=partner.endpoint_url,
        payload=payload,
        ordering_key=ordering_key(borrowing_id=borrowing_id, lending_id=lending_id),
    )
    common.history(
        session,
        category=common.HistoryCategory.MESSAGE_OUT,
        kind=message.kind.value,
        actor=actor,
        lending_id=lending_id,
        borrowing_id=borrowing_id,
        note=message.note,
        partner_id=partner.id,
        outbox_message_id=row.id,
    )
