"""Messages to partners, in the services' own words (no protocol type here).

A service step that tells the partner something builds a :class:`PartnerMessage` and
hands it to :func:`outgoing.send_to_partner`, which writes it to the outbox in the step's
own transaction, on the channel named after the partner's protocol (``iso18626``,
``ncip``). That protocol's sender renders it (ISO 18626 XML, NCIP) when it delivers:
everything it needs is in the payload, including the time of the step, so a retry sends
the very same bytes and the receiver recognises the duplicate. A protocol may have no
counterpart for some kinds (an NCIP broker drives most steps itself): its sender then
simply does not transmit them.

``requester`` / ``supplier`` are (agency type, agency value) of the two sides as the
partner knows them; ``requester_request_id`` is the borrower's id for the request.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class MessageKind(StrEnum):
    # From us as the requester (borrowing requests).
    REQUEST = "REQUEST"
    CANCEL = "CANCEL"
    RENEW = "RENEW"
    RECEIVED = "RECEIVED"
    SHIPPED_RETURN = "SHIPPED_RETURN"
    ACCEPT_CONDITIONS = "ACCEPT_CONDITIONS"
    REPORT_LOST = "REPORT_LOST"
    REQUESTER_NOTE = "REQUESTER_NOTE"  # a general message
    STATUS_REQUEST = "STATUS_REQUEST"  # where is the request? (a status response follows)
    # From us as the supplier (lending requests).
    WILL_SUPPLY = "WILL_SUPPLY"
    CONDITIONAL = "CONDITIONAL"
    UNFILLED = "UNFILLED"
    LOANED = "LOANED"
    OVERDUE = "OVERDUE"
    RECALLED = "RECALLED"
    RENEW_RESPONSE = "RENEW_RESPONSE"
    #: The borrower asked us for a renewal: passed to a broker, which decides (NCIP).
    RENEW_REQUEST = "RENEW_REQUEST"
    CANCEL_RESPONSE = "CANCEL_RESPONSE"
    LOAN_COMPLETED = "LOAN_COMPLETED"
    LOST = "LOST"  # lost, and what we charge for it
    SUPPLIER_NOTE = "SUPPLIER_NOTE"  # a general message
    STATUS_RESPONSE = "STATUS_RESPONSE"  # our status, answering a status request


FROM_REQUESTER = frozenset(
    {
        MessageKind.REQUEST,
        MessageKind.CANCEL,
        MessageKind.RENEW,
        MessageKind.RECEIVED,
        MessageKind.SHIPPED_RETURN,
        MessageKind.ACCEPT_CONDITIONS,
        MessageKind.REPORT_LOST,
        MessageKind.REQUESTER_NOTE,
        MessageKind.STATUS_REQUEST,
    }
)


@dataclass(frozen=True, slots=True)
class Bibliographic:
    title: str
    author: str | None = None
    isbn: str | None = None
    issn: str | None = None
    publication_date: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    article_title: str | None = None
    article_author: str | None = None
    record_id: str | None = None
    format: str = "BOOK"


@dataclass(frozen=True, slots=True)
class PartnerMessage:
    kind: MessageKind
    partner_id: int
    requester: tuple[str, str]
    supplier: tuple[str, str]
    requester_request_id: str
    sent_at: datetime
    supplier_request_id: str | None = None
    note: str | None = None
    #: The supplier's lending status after the step (``LendingStatus`` value).
    supplier_status: str | None = None
    due_at: datetime | None = None
    reason: str | None = None  # unfilled reason, condition code
    answer: bool | None = None  # cancel / renewal response
    reply_by: datetime | None = None
    fee_minor: int | None = None
    currency: str | None = None
    item_id: str | None = None
    bibliographic: Bibliographic | None = None
    patron_id: str | None = None
    patron_surname: str | None = None
    patron_given_name: str | None = None
    pickup_location: str | None = None
    needed_by: date | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        """JSON for the outbox (dates as ISO text)."""
        data = asdict(self)
        for key, value in list(data.items()):
            if isinstance(value, datetime | date):
                data[key] = value.isoformat()
        data["requester"] = list(self.requester)
        data["supplier"] = list(self.supplier)
        return data

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> PartnerMessage:
        values = dict(data)
        for key in ("sent_at", "due_at", "reply_by"):
            if values.get(key):
                values[key] = datetime.fromisoformat(values[key])
        if values.get("needed_by"):
            values["needed_by"] = date.fromisoformat(values["needed_by"])
        values["kind"] = MessageKind(values["kind"])
        values["requester"] = tuple(values["requester"])
        values["supplier"] = tuple(values["supplier"])
        if values.get("bibliographic"):
            values["bibliographic"] = Bibliographic(**values["bibliographic"])
        return cls(**values)
