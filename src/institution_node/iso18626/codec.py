"""ISO 18626 messages to and from the services' protocol-neutral ``PartnerMessage``.

Reading (:func:`decode`): a parsed message (``wire.parse``) becomes an :class:`Incoming`
— a ``PartnerMessage`` (``partner_id`` 0 until the sender is authenticated) plus what the
wire adds (who sent it, the key it is deduplicated by). What cannot be understood raises
``IsoError``: a missing header field or a date that is no date is BadlyFormedMessage, an
unknown action UnsupportedActionType, an unknown reasonForMessage
UnsupportedReasonForMessageType, a status outside the standard's list
UnrecognisedDataValue, a confirmation sent as if it were a message
UnrecognisedDataElement.

Writing (:func:`encode`): every ``MessageKind`` becomes its Request,
RequestingAgencyMessage or SupplyingAgencyMessage (``tests/unit/test_iso18626_codec.py``
validates each against the XSD and reads it back). The standard has no word for three of
the services' steps; they travel as notes with a tag at the start, as ReShare does:

- conditions: a Notification, status ExpectToSupply, note ``#ReShareAddLoanCondition#
  CODE | text``; their acceptance: a requester Notification, note
  ``#ReShareLoanConditionAgreeResponse# text``;
- a borrower reporting the item lost: a requester Notification, note ``#ReportedLost# text``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ..domain.money import exponent, from_minor
from ..services.resource_sharing.messages import FROM_REQUESTER, Bibliographic, MessageKind
from ..services.resource_sharing.messages import PartnerMessage as PM
from .errors import ErrorType, IsoError
from .wire import Parsed, element, find_text, local, q, text_element

K = MessageKind
CONDITION_TAG = "#ReShareAddLoanCondition#"
AGREE_TAG = "#ReShareLoanConditionAgreeResponse#"
LOST_TAG = "#ReportedLost#"

ACTIONS = {
    "StatusRequest": K.STATUS_REQUEST,
    "Received": K.RECEIVED,
    "Cancel": K.CANCEL,
    "Renew": K.RENEW,
    "ShippedReturn": K.SHIPPED_RETURN,
    "Notification": K.REQUESTER_NOTE,
}
ACTION_OF = {
    K.STATUS_REQUEST: "StatusRequest",
    K.RECEIVED: "Received",
    K.CANCEL: "Cancel",
    K.RENEW: "Renew",
    K.SHIPPED_RETURN: "ShippedReturn",
    K.REQUESTER_NOTE: "Notification",
    K.ACCEPT_CONDITIONS: "Notification",
    K.REPORT_LOST: "Notification",
}
REASONS = frozenset(
    {
        "RequestResponse",
        "StatusRequestResponse",
        "RenewResponse",
        "CancelResponse",
        "StatusChange",
        "Notification",
    }
)
#: A supplier's status (statusInfo/status) as the step it reports.
STATUS_KINDS: dict[str, MessageKind] = {
    "RequestReceived": K.SUPPLIER_NOTE,
    "ExpectToSupply": K.WILL_SUPPLY,
    "WillSupply": K.WILL_SUPPLY,
    "Loaned": K.LOANED,
    "Overdue": K.OVERDUE,
    "Recalled": K.RECALLED,
    "RetryPossible": K.UNFILLED,  # we do not retry: the rota moves on
    "Unfilled": K.UNFILLED,
    "CopyCompleted": K.LOAN_COMPLETED,
    "LoanCompleted": K.LOAN_COMPLETED,
    "CompletedWithoutReturn": K.LOST,
    "Cancelled": K.CANCEL_RESPONSE,
}
#: Our lending status as the standard's status.
LENDING_STATUS = {
    "NEW": "RequestReceived",
    "WILL_SUPPLY": "WillSupply",
    "CONDITIONAL": "ExpectToSupply",
    "SHIPPED": "Loaned",
    "RENEW_REQUESTED": "Loaned",
    "RETURNED": "Loaned",
    "COMPLETED": "LoanCompleted",
    "UNFILLED": "Unfilled",
    "CANCELLED": "Cancelled",
    "LOST_AND_FEE_COMMUNICATED": "CompletedWithoutReturn",
}
#: What each supplier kind says, when the kind decides it.
KIND_STATUS = {
    K.WILL_SUPPLY: "WillSupply",
    K.CONDITIONAL: "ExpectToSupply",
    K.UNFILLED: "Unfilled",
    K.LOANED: "Loaned",
    K.OVERDUE: "Overdue",
    K.RECALLED: "Recalled",
    K.LOAN_COMPLETED: "LoanCompleted",
    K.LOST: "CompletedWithoutReturn",
    K.RENEW_RESPONSE: "Loaned",
}
KIND_REASON = {
    K.WILL_SUPPLY: "RequestResponse",
    K.UNFILLED: "RequestResponse",
    K.CONDITIONAL: "Notification",
    K.SUPPLIER_NOTE: "Notification",
    K.RENEW_RESPONSE: "RenewResponse",
    K.CANCEL_RESPONSE: "CancelResponse",
    K.STATUS_RESPONSE: "StatusRequestResponse",
}
#: Kinds with no ISO 18626 counterpart (a broker's renewal question, NCIP only): the
#: sender does not transmit them.
NOT_ON_THE_WIRE = frozenset({K.RENEW_REQUEST})
FAMILY_REQUEST = "request"
FAMILY_REQUESTER = "requestingAgencyMessage"
FAMILY_SUPPLIER = "supplyingAgencyMessage"


@dataclass(frozen=True, slots=True)
class Facts:
    """What a confirmation echoes, read as far as the message allows (never raises)."""

    family: str
    supplier: tuple[str, str] | None = None
    requester: tuple[str, str] | None = None
    request_id: str | None = None
    action: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Incoming:
    family: str
    message: PM
    #: The agency the message comes from (requester or supplier, by family).
    sender: tuple[str, str]
    #: What identifies it on the wire: family, action or reason/status.
    label: str
    timestamp: str
    #: The supplier's status (statusInfo/status), for supplier messages.
    status: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def dedup_digest(self) -> str:
        """The same message again (sender, request, kind, timestamp) has the same digest."""
        key = "\x1f".join(
            (
                self.sender[0].lower(),
                self.sender[1],
                self.message.requester_request_id,
                self.label,
                self.timestamp,
            )
        )
        return hashlib.sha256(key.encode()).hexdigest()


# ---- reading ----------------------------------------------------------------------------


def _agency(node: Any, name: str) -> tuple[str, str] | None:
    found = node.find(q(name)) if node is not None else None
    if found is None:
        return None
    kind, value = find_text(found, "agencyIdType"), find_text(found, "agencyIdValue")
    if not kind or not value:
        return None
    return kind, value


def facts(parsed: Parsed | None) -> Facts:
    """The echo for a confirmation (a request's when nothing can be read)."""
    if parsed is None:
        return Facts(family=FAMILY_REQUEST)
    family = parsed.kind.removesuffix("Confirmation")
    header = parsed.message.find(q("header"))
    if header is None:
        header = parsed.message.find(q("confirmationHeader"))
    return Facts(
        family=family,
        supplier=_agency(header, "supplyingAgencyId"),
        requester=_agency(header, "requestingAgencyId"),
        request_id=find_text(header, "requestingAgencyRequestId") if header is not None else None,
        action=find_text(parsed.message, "action"),
        reason=find_text(parsed.message, "messageInfo", "reasonForMessage"),
    )


def _bad(value: str) -> IsoError:
    return IsoError(ErrorType.BADLY_FORMED_MESSAGE, value)


def parse_datetime(text: str | None, name: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise _bad(f"{name}: '{text[:40]}' is not a date and time") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _yes_no(text: str | None) -> bool | None:
    if text is None:
        return None
    value = text.strip().upper()
    if value in ("Y", "TRUE"):
        return True
    if value in ("N", "FALSE"):
        return False
    raise IsoError(ErrorType.UNRECOGNISED_DATA_VALUE, f"answerYesNo: '{text[:20]}'")


def _costs(node: Any) -> tuple[int | None, str | None]:
    if node is None:
        return None, None
    currency = (find_text(node, "currencyCode") or "").upper()
    amount = find_text(node, "monetaryValue")
    if amount is None or len(currency) != 3 or not currency.isalpha():
        return None, None
    try:
        value = Decimal(amount)
        if not value.is_finite() or value < 0 or value > 10**9:
            raise InvalidOperation
        minor = int((value * 10 ** exponent(currency)).to_integral_value())
    except (InvalidOperation, ValueError) as exc:
        raise _bad(f"monetaryValue: '{amount[:20]}' is not an amount") from exc
    return minor, currency


def decode(parsed: Parsed) -> Incoming:
    """The message as the services' words; IsoError for what cannot be understood."""
    kind = parsed.kind
    if kind.endswith("Confirmation"):
        raise IsoError(
            ErrorType.UNRECOGNISED_DATA_ELEMENT,
            f"{kind}: a confirmation answers a message; it is not sent on its own",
        )
    header = parsed.message.find(q("header"))
    if header is None:
        raise _bad(f"{kind}: the header is missing")
    requester = _agency(header, "requestingAgencyId")
    supplier = _agency(header, "supplyingAgencyId")
    if requester is None:
        raise _bad("header: requestingAgencyId (agencyIdType and agencyIdValue) is missing")
    request_id = find_text(header, "requestingAgencyRequestId")
    if request_id is None or len(request_id) > 128:
        raise _bad("header: requestingAgencyRequestId must be 1 to 128 characters")
    stamp = find_text(header, "timestamp")
    sent_at = parse_datetime(stamp, "timestamp")
    if stamp is None or sent_at is None:
        raise _bad("header: timestamp is missing")
    supplier_request_id = find_text(header, "supplyingAgencyRequestId")
    common = {
        "partner_id": 0,
        "requester": requester,
        "requester_request_id": request_id,
        "sent_at": sent_at,
        "supplier_request_id": supplier_request_id,
    }
    if kind == FAMILY_REQUEST:
        message = _decode_request(parsed.message, supplier or ("", ""), common)
        return Incoming(kind, message, requester, "Request", stamp)
    if supplier is None:
        raise _bad("header: supplyingAgencyId (agencyIdType and agencyIdValue) is missing")
    if kind == FAMILY_REQUESTER:
        message, action = _decode_requester(parsed.message, supplier, common)
        return Incoming(kind, message, requester, action, stamp)
    message, status, reason = _decode_supplier(parsed.message, supplier, common)
    return Incoming(kind, message, supplier, f"{reason}/{status}", stamp, status=status)


def _decode_request(node: Any, supplier: tuple[str, str], common: dict[str, Any]) -> PM:
    bib = node.find(q("bibliographicInfo"))
    if bib is None:
        raise _bad("request: bibliographicInfo is missing")
    ids: dict[str, str] = {}
    for item_id in bib.findall(q("bibliographicItemId")):
        code = (find_text(item_id, "bibliographicItemIdentifierCode") or "").upper()
        value = find_text(item_id, "bibliographicItemIdentifier")
        if value and code in ("ISBN", "ISSN"):
            ids.setdefault(code, value)
    service = node.find(q("serviceInfo"))
    service_type = find_text(service, "serviceType") if service is not None else None
    if service_type is not None and service_type not in ("Loan", "Copy", "CopyOrLoan"):
        raise IsoError(ErrorType.UNRECOGNISED_DATA_VALUE, f"serviceType: '{service_type[:20]}'")
    needed = parse_datetime(find_text(service, "needBeforeDate"), "needBeforeDate")
    title = find_text(bib, "title")
    article = find_text(bib, "titleOfComponent")
    publication = node.find(q("publicationInfo"))
    kind_text = (find_text(publication, "publicationType") or "").lower()
    fmt = "ARTICLE" if article or kind_text == "article" or service_type == "Copy" else "BOOK"
    bibliographic = Bibliographic(
        title=title or article or "",
        author=find_text(bib, "author"),
        isbn=ids.get("ISBN"),
        issn=ids.get("ISSN"),
        publication_date=find_text(publication, "publicationDate"),
        volume=find_text(bib, "volume"),
        issue=find_text(bib, "issue"),
        pages=find_text(bib, "pagesRequested"),
        article_title=article,
        article_author=find_text(bib, "authorOfComponent"),
        record_id=find_text(bib, "supplierUniqueRecordId"),
        format=fmt,
    )
    patron = node.find(q("patronInfo"))
    pickup = None
    for delivery in node.findall(q("requestedDeliveryInfo")):
        pickup = find_text(delivery, "address", "physicalAddress", "line1") or find_text(
            delivery, "address", "electronicAddress", "electronicAddressData"
        )
        if pickup:
            break
    return PM(
        kind=K.REQUEST,
        supplier=supplier,
        note=find_text(service, "note"),
        bibliographic=bibliographic,
        patron_id=find_text(patron, "patronId"),
        patron_surname=find_text(patron, "surname"),
        patron_given_name=find_text(patron, "givenName"),
        pickup_location=pickup,
        needed_by=needed.astimezone(UTC).date() if needed else None,
        extra={
            "service_type": {"Copy": "COPY", "CopyOrLoan": "COPY_OR_LOAN"}.get(
                service_type or "", "LOAN"
            )
        },
        **common,
    )


def _decode_requester(
    node: Any, supplier: tuple[str, str], common: dict[str, Any]
) -> tuple[PM, str]:
    action = find_text(node, "action")
    if action is None:
        raise _bad("requestingAgencyMessage: action is missing")
    if action not in ACTIONS:
        raise IsoError(
            ErrorType.UNSUPPORTED_ACTION_TYPE, f"action: '{action[:40]}' is not supported"
        )
    kind = ACTIONS[action]
    note = find_text(node, "note")
    if kind is K.REQUESTER_NOTE and note:
        if note.startswith(AGREE_TAG):
            kind, note = K.ACCEPT_CONDITIONS, note.removeprefix(AGREE_TAG).strip() or None
        elif note.startswith(LOST_TAG):
            kind, note = K.REPORT_LOST, note.removeprefix(LOST_TAG).strip() or None
    return PM(kind=kind, supplier=supplier, note=note, **common), action


def _decode_supplier(
    node: Any, supplier: tuple[str, str], common: dict[str, Any]
) -> tuple[PM, str, str]:
    info = node.find(q("messageInfo"))
    reason = find_text(info, "reasonForMessage")
    if reason is None:
        raise _bad("supplyingAgencyMessage: messageInfo/reasonForMessage is missing")
    if reason not in REASONS:
        raise IsoError(
            ErrorType.UNSUPPORTED_REASON_FOR_MESSAGE_TYPE, f"reasonForMessage: '{reason[:40]}'"
        )
    status_info = node.find(q("statusInfo"))
    status = find_text(status_info, "status")
    if status is None:
        raise _bad("supplyingAgencyMessage: statusInfo/status is missing")
    if status not in STATUS_KINDS:
        raise IsoError(ErrorType.UNRECOGNISED_DATA_VALUE, f"status: '{status[:40]}'")
    note = find_text(info, "note")
    answer = _yes_no(find_text(info, "answerYesNo"))
    reason_text = find_text(info, "reasonUnfilled") or find_text(info, "reasonRetry")
    if reason == "Notification":
        kind = K.SUPPLIER_NOTE
    elif reason == "CancelResponse":
        kind = K.CANCEL_RESPONSE
        answer = answer if answer is not None else status == "Cancelled"
    elif reason == "RenewResponse":
        kind = K.RENEW_RESPONSE
        answer = bool(answer)
    else:
        kind = STATUS_KINDS[status]
        if kind is K.CANCEL_RESPONSE:
            answer = True
    if note and note.startswith(CONDITION_TAG):
        kind = K.CONDITIONAL
        body = note.removeprefix(CONDITION_TAG).strip()
        code, sep, rest = body.partition(" | ")
        if sep and code.replace("_", "").isalnum() and code.upper() == code:
            reason_text, note = code, rest.strip() or None
        else:
            reason_text, note = "CONDITIONAL", body or None
    delivery = node.find(q("deliveryInfo"))
    fee, currency = _costs(info.find(q("offeredCosts")) if info is not None else None)
    extra: dict[str, str] = {"iso_status": status}
    shipped = parse_datetime(find_text(delivery, "dateSent"), "dateSent")
    if shipped is not None:
        extra["shipped_at"] = shipped.isoformat()
    message = PM(
        kind=kind,
        supplier=supplier,
        note=note,
        due_at=parse_datetime(find_text(status_info, "dueDate"), "dueDate"),
        reason=reason_text,
        answer=answer,
        fee_minor=fee,
        currency=currency,
        item_id=find_text(delivery, "itemId"),
        extra=extra,
        **common,
    )
    return message, status, reason


# ---- writing ----------------------------------------------------------------------------


def wire_time(moment: datetime) -> str:
    """xs:dateTime in UTC with microseconds (a resent message has the very same text)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _agency_element(name: str, agency: tuple[str, str]) -> Any:
    return element(
        name,
        element("agencyIdType", text=agency[0]),
        element("agencyIdValue", text=agency[1]),
    )


def _header(m: PM) -> Any:
    return element(
        "header",
        _agency_element("supplyingAgencyId", m.supplier),
        _agency_element("requestingAgencyId", m.requester),
        element("multipleItemRequestId", text=""),
        element("timestamp", text=wire_time(m.sent_at)),
        element("requestingAgencyRequestId", text=m.requester_request_id),
        text_element("supplyingAgencyRequestId", m.supplier_request_id),
    )


def encode(m: PM) -> Any:
    """The message element (request, requestingAgencyMessage or supplyingAgencyMessage);
    ValueError for a kind in :data:`NOT_ON_THE_WIRE`."""
    if m.kind in NOT_ON_THE_WIRE:
        raise ValueError(f"{m.kind} has no ISO 18626 message")
    if m.kind is K.REQUEST:
        return _encode_request(m)
    if m.kind in FROM_REQUESTER:
        note = m.note
        if m.kind is K.ACCEPT_CONDITIONS:
            note = f"{AGREE_TAG} {note or ''}".strip()
        elif m.kind is K.REPORT_LOST:
            note = f"{LOST_TAG} {note or ''}".strip()
        return element(
            "requestingAgencyMessage",
            _header(m),
            element("action", text=ACTION_OF[m.kind]),
            text_element("note", note),
        )
    return _encode_supplier(m)


def _encode_request(m: PM) -> Any:
    bib = m.bibliographic or Bibliographic(title="")
    article = bib.format == "ARTICLE"
    service_type = {"COPY": "Copy", "COPY_OR_LOAN": "CopyOrLoan", "LOAN": "Loan"}.get(
        m.extra.get("service_type", ""), "Copy" if article else "Loan"
    )
    item_ids = [
        element(
            "bibliographicItemId",
            element("bibliographicItemIdentifier", text=value),
            element("bibliographicItemIdentifierCode", text=code),
        )
        for code, value in (("ISBN", bib.isbn), ("ISSN", bib.issn))
        if value
    ]
    needed = f"{m.needed_by.isoformat()}T00:00:00Z" if isinstance(m.needed_by, date) else None
    patron = None
    if m.patron_id or m.patron_surname or m.patron_given_name:
        patron = element(
            "patronInfo",
            text_element("patronId", m.patron_id),
            text_element("surname", m.patron_surname),
            text_element("givenName", m.patron_given_name),
        )
    delivery = None
    if m.pickup_location:
        delivery = element(
            "requestedDeliveryInfo",
            element(
                "address",
                element("physicalAddress", element("line1", text=m.pickup_location)),
            ),
        )
    return element(
        "request",
        _header(m),
        element(
            "bibliographicInfo",
            text_element("supplierUniqueRecordId", bib.record_id),
            text_element("title", bib.title or None),
            text_element("author", bib.author),
            text_element("titleOfComponent", bib.article_title),
            text_element("authorOfComponent", bib.article_author),
            text_element("volume", bib.volume),
            text_element("issue", bib.issue),
            text_element("pagesRequested", bib.pages),
            *item_ids,
        ),
        element(
            "publicationInfo",
            element("publicationType", text="Article" if article else "Book"),
            text_element("publicationDate", bib.publication_date),
        ),
        element(
            "serviceInfo",
            element("requestType", text="New"),
            element("serviceType", text=service_type),
            text_element("needBeforeDate", needed),
            text_element("note", m.note),
        ),
        delivery,
        patron,
    )


def _encode_supplier(m: PM) -> Any:
    status = KIND_STATUS.get(m.kind) or LENDING_STATUS.get(m.supplier_status or "", "")
    if m.kind is K.CANCEL_RESPONSE and m.answer:
        status = "Cancelled"
    if not status:
        status = "RequestReceived"
    reason = KIND_REASON.get(m.kind, "StatusChange")
    note = m.note
    if m.kind is K.CONDITIONAL:
        reply = f"Reply by {wire_time(m.reply_by)}" if m.reply_by else None
        text = " ".join(t for t in (reply, m.note) if t)
        note = f"{CONDITION_TAG} {m.reason or 'CONDITIONAL'}" + (f" | {text}" if text else "")
    answer = None
    if m.kind in (K.CANCEL_RESPONSE, K.RENEW_RESPONSE):
        answer = "Y" if m.answer else "N"
    unfilled = m.reason if m.kind is K.UNFILLED else None
    costs = None
    if m.kind is K.LOST and m.fee_minor is not None and m.currency:
        costs = element(
            "offeredCosts",
            element("currencyCode", text=m.currency),
            element("monetaryValue", text=str(from_minor(m.fee_minor, m.currency))),
        )
    delivery = None
    if m.kind is K.LOANED:
        delivery = element(
            "deliveryInfo",
            element("dateSent", text=wire_time(m.sent_at)),
            text_element("itemId", m.item_id),
        )
    due = m.due_at if status in ("Loaned", "Overdue", "Recalled") else None
    return element(
        "supplyingAgencyMessage",
        _header(m),
        element(
            "messageInfo",
            element("reasonForMessage", text=reason),
            text_element("answerYesNo", answer),
            text_element("note", note),
            text_element("reasonUnfilled", unfilled),
            costs,
        ),
        element(
            "statusInfo",
            element("status", text=status),
            text_element("dueDate", wire_time(due) if due else None),
            element("lastChange", text=wire_time(m.sent_at)),
        ),
        delivery,
    )


# ---- confirmations ----------------------------------------------------------------------


def confirmation(
    echo: Facts,
    *,
    now: datetime,
    received_at: datetime,
    error: IsoError | None = None,
) -> Any:
    """The confirmation of one message: OK, or ERROR with its errorData."""
    family = echo.family if echo.family in (FAMILY_REQUESTER, FAMILY_SUPPLIER) else "request"
    header = element(
        "confirmationHeader",
        _agency_element("supplyingAgencyId", echo.supplier) if echo.supplier else None,
        _agency_element("requestingAgencyId", echo.requester) if echo.requester else None,
        element("timestamp", text=wire_time(now)),
        text_element("requestingAgencyRequestId", echo.request_id),
        element("timestampReceived", text=wire_time(received_at)),
        element("messageStatus", text="OK" if error is None else "ERROR"),
    )
    error_data = None
    if error is not None:
        error_data = element(
            "errorData",
            element("errorType", text=error.error_type.value),
            element("errorValue", text=error.value),
        )
    if family == FAMILY_REQUESTER:
        action = echo.action if echo.action in ACTIONS or echo.action == "ShippedForward" else None
        return element(
            "requestingAgencyMessageConfirmation",
            header,
            text_element("action", action),
            error_data,
        )
    if family == FAMILY_SUPPLIER:
        reason = echo.reason if echo.reason in REASONS else None
        return element(
            "supplyingAgencyMessageConfirmation",
            header,
            text_element("reasonForMessage", reason),
            error_data,
        )
    return element("requestConfirmation", header, error_data)


@dataclass(frozen=True, slots=True)
class ConfirmationRead:
    """A partner's confirmation of a message we sent."""

    kind: str
    ok: bool
    error_type: str | None = None
    error_value: str | None = None


def read_confirmation(root: Any) -> ConfirmationRead | None:
    """The partner's confirmation (None when the answer is no confirmation at all)."""
    if root is None or local(root) != "ISO18626Message":
        return None
    children = [c for c in root if isinstance(c.tag, str)]
    if len(children) != 1 or not local(children[0]).endswith("Confirmation"):
        return None
    node = children[0]
    status = find_text(node, "confirmationHeader", "messageStatus")
    if status not in ("OK", "ERROR"):
        return None
    return ConfirmationRead(
        kind=local(node),
        ok=status == "OK",
        error_type=find_text(node, "errorData", "errorType"),
        error_value=find_text(node, "errorData", "errorValue"),
    )
