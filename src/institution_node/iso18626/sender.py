"""The outbox's ``iso18626`` channel: what the services tell partners, sent as ISO 18626.

Each outbox row holds a ``PartnerMessage`` (``services/resource_sharing/messages.py``);
it is rendered here when it is sent, so a retry sends the very same bytes (the timestamp is
the step's) and the partner recognises the duplicate. The outbox keeps one request's
messages in order (their ordering key) and retries with its backoff.

How an answer is read:

- a Confirmation with messageStatus OK: delivered;
- a Confirmation with ERROR: the partner refused it for good — a permanent failure, its
  errorType and errorValue kept on the outbox row (the request's history shows them);
- no answer (connection refused, timeout), HTTP 5xx, 401/403 (a key being rotated, a
  secret being changed), 408/429, or an answer that is no Confirmation: tried again later;
- HTTP 413 (the partner will never take this size) or another 4xx without a
  Confirmation: a permanent failure.

A partner that is down does not hold back the others: each message is one attempt, and
the channel is not switched off for the run (``ChannelUnavailable`` is for one server).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import httpx
from lxml import etree
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from network_common.keys import KeyRing

from ..domain.partners import PartnerAuth
from ..outbox import DeliveryError, OutboundMessage, PermanentFailure, Sender
from ..services.resource_sharing.messages import PartnerMessage
from ..store.models import Partner
from .auth import network_token
from .codec import NOT_ON_THE_WIRE, encode, read_confirmation
from .metrics import Iso18626Metrics
from .wire import message, parse_own, serialize

log = logging.getLogger("institution_node.iso18626")

MEDIA_TYPE = "application/xml; charset=utf-8"
_RETRY_STATUSES = frozenset({401, 403, 408, 425, 429})


def render(partner_message: PartnerMessage) -> bytes:
    """The ISO 18626 document of one partner message."""
    return serialize(message(encode(partner_message)))


class Iso18626Sender(Sender):
    channel = "iso18626"
    concurrency = 4
    #: Partners deduplicate (the same bytes again change nothing), so an interrupted send
    #: is sent again rather than lost.
    retry_interrupted = True

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        http: httpx.AsyncClient,
        keyring: KeyRing,
        own_code: Callable[[], Awaitable[str]],
        timeout: float = 30.0,
        metrics: Iso18626Metrics | None = None,
    ) -> None:
        self.sessions = sessions
        self.http = http
        self.keyring = keyring
        self.own_code = own_code
        self.timeout = timeout
        self.metrics = metrics

    async def send(self, outbound: OutboundMessage) -> None:
        partner_message = PartnerMessage.from_payload(outbound.payload)
        try:
            await self._send(outbound, partner_message)
        except PermanentFailure:
            self._count(partner_message, "error")
            raise
        except DeliveryError:
            self._count(partner_message, "retry")
            raise
        self._count(partner_message, "ok")

    def _count(self, partner_message: PartnerMessage, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.outgoing(partner_message.kind.value, outcome)

    async def _send(self, outbound: OutboundMessage, partner_message: PartnerMessage) -> None:
        if partner_message.kind in NOT_ON_THE_WIRE:
            log.info("iso18626: outbox message %s has no ISO 18626 form", outbound.id)
            return
        body = render(partner_message)
        headers = {"content-type": MEDIA_TYPE, **await self._credentials(partner_message)}
        try:
            response = await self.http.post(
                outbound.destination, content=body, headers=headers, timeout=self.timeout
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"The partner could not be reached: {type(exc).__name__}") from exc
        status = response.status_code
        if status >= 500 or status in _RETRY_STATUSES:
            raise DeliveryError(f"The partner answered HTTP {status}")
        try:
            confirmation = read_confirmation(parse_own(response.content))
        except (etree.XMLSyntaxError, ValueError):
            confirmation = None
        if status == 413:
            raise PermanentFailure("The partner refused the message as too large (HTTP 413)")
        if confirmation is None:
            if 400 <= status < 500:
                raise PermanentFailure(f"The partner refused the message (HTTP {status})")
            raise DeliveryError(f"The partner's answer (HTTP {status}) is no confirmation")
        if not confirmation.ok:
            raise PermanentFailure(
                f"The partner answered ERROR {confirmation.error_type or ''}: "
                f"{confirmation.error_value or ''}".strip()
            )

    async def _credentials(self, partner_message: PartnerMessage) -> dict[str, str]:
        async with self.sessions() as session:
            partner = await session.get(Partner, partner_message.partner_id)
        if partner is None:
            raise PermanentFailure("The partner is no longer in the directory")
        if partner.auth_kind == PartnerAuth.NETWORK_TOKEN.value:
            token = network_token(
                self.keyring.current, own_code=await self.own_code(), audience=partner.code
            )
            return {"authorization": f"Bearer {token}"}
        if not partner.outbound_secret:
            return {}
        header = partner.outbound_header or "authorization"
        if header == "authorization":
            return {"authorization": f"Bearer {partner.outbound_secret}"}
        return {header: partner.outbound_secret}
