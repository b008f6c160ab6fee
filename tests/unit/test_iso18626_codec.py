"""Every message the node emits validates against the ISO 18626 v1.2 XSD and reads back as
what the services said; confirmations (OK and each error type) validate too."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from institution_node.iso18626 import codec, wire
from institution_node.iso18626.errors import ErrorType, IsoError
from institution_node.services.resource_sharing.messages import (
    Bibliographic,
    MessageKind,
    PartnerMessage,
)

SENT = datetime(2026, 11, 30, 10, 15, 30, 123456, tzinfo=UTC)
DUE = SENT + timedelta(days=28)


def sample(kind: MessageKind) -> PartnerMessage:
    """A message of ``kind`` with every field the kind carries filled in."""
    fields: dict[str, object] = {}
    if kind is MessageKind.REQUEST:
        fields = {
            "bibliographic": Bibliographic(
                title="Journal of Tests",
                author="A. Author",
                isbn="9780000000001",
                issn="1234-5678",
                publication_date="2020",
                volume="7",
                issue="2",
                pages="10-20",
                article_title="On testing",
                article_author="B. Writer",
                record_id="rec-1",
                format="ARTICLE",
            ),
            "patron_id": "P1",
            "patron_surname": "Reader",
            "patron_given_name": "Pat",
            "pickup_location": "Main Library",
            "needed_by": date(2026, 12, 24),
        }
    return PartnerMessage(
        kind=kind,
        partner_id=3,
        requester=("NETWORK", "UNIA"),
        supplier=("NETWORK", "UNIB"),
        requester_request_id="UNIA-7-1",
        supplier_request_id=None if kind is MessageKind.REQUEST else "UNIB-L4",
        sent_at=SENT,
        note="a note & <markup>",
        supplier_status="SHIPPED",
        due_at=DUE,
        reason="LIBRARY_USE_ONLY" if kind is MessageKind.CONDITIONAL else "Not on shelf",
        answer=True,
        reply_by=SENT + timedelta(days=3),
        fee_minor=4550,
        currency="USD",
        item_id="UNIB-R1",
        **fields,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("kind", sorted(set(MessageKind) - codec.NOT_ON_THE_WIRE))
def test_every_kind_validates_and_reads_back(kind: MessageKind) -> None:
    original = sample(kind)
    body = wire.serialize(wire.message(codec.encode(original)))
    assert wire.schema_errors(wire.parse_own(body)) == []
    incoming = codec.decode(wire.parse(body))
    back = incoming.message
    expected = {
        MessageKind.STATUS_RESPONSE: MessageKind.LOANED,  # a status answer is the status
    }.get(kind, kind)
    assert back.kind is expected
    assert back.requester_request_id == original.requester_request_id
    assert back.sent_at == SENT
    if kind in codec.FROM_REQUESTER:
        assert incoming.sender == original.requester
    else:
        assert incoming.sender == original.supplier
    if kind is MessageKind.REQUEST:
        assert back.bibliographic == original.bibliographic
        assert (back.patron_id, back.pickup_location, back.needed_by) == (
            "P1",
            "Main Library",
            date(2026, 12, 24),
        )
    if kind is MessageKind.LOANED:
        assert (back.due_at, back.item_id) == (DUE, "UNIB-R1")
    if kind is MessageKind.LOST:
        assert (back.fee_minor, back.currency) == (4550, "USD")
    if kind is MessageKind.CONDITIONAL:
        assert back.reason == "LIBRARY_USE_ONLY"
    if kind in (MessageKind.CANCEL_RESPONSE, MessageKind.RENEW_RESPONSE):
        assert back.answer is True
    if kind is MessageKind.UNFILLED:
        assert back.reason == "Not on shelf"
    if kind not in (MessageKind.CONDITIONAL, MessageKind.ACCEPT_CONDITIONS):
        assert back.note == original.note


def test_only_the_brokers_renewal_question_has_no_message() -> None:
    assert codec.NOT_ON_THE_WIRE == {MessageKind.RENEW_REQUEST}
    with pytest.raises(ValueError, match="no ISO 18626 message"):
        codec.encode(sample(MessageKind.RENEW_REQUEST))


def test_the_same_message_has_the_same_digest_and_a_later_one_another() -> None:
    def digest(message: PartnerMessage) -> str:
        body = wire.serialize(wire.message(codec.encode(message)))
        return codec.decode(wire.parse(body)).dedup_digest()

    cancel = sample(MessageKind.CANCEL)
    assert digest(cancel) == digest(cancel)
    assert digest(cancel) != digest(replace(cancel, sent_at=SENT + timedelta(seconds=1)))
    assert digest(cancel) != digest(replace(cancel, kind=MessageKind.RENEW))
    assert digest(cancel) != digest(replace(cancel, requester_request_id="UNIA-7-2"))


@pytest.mark.parametrize("error_type", list(ErrorType))
@pytest.mark.parametrize(
    "family", [codec.FAMILY_REQUEST, codec.FAMILY_REQUESTER, codec.FAMILY_SUPPLIER]
)
def test_confirmations_validate(error_type: ErrorType, family: str) -> None:
    echo = codec.Facts(
        family=family,
        supplier=("NETWORK", "UNIB"),
        requester=("ISIL", "XX-1"),
        request_id="R1",
        action="Cancel",
        reason="StatusChange",
    )
    for error in (None, IsoError(error_type, "what was wrong")):
        root = wire.message(codec.confirmation(echo, now=SENT, received_at=SENT, error=error))
        assert wire.schema_errors(root) == []
        read = codec.read_confirmation(wire.parse_own(wire.serialize(root)))
        assert read is not None
        assert read.ok is (error is None)
        assert read.error_type == (None if error is None else error_type.value)


def test_an_unreadable_message_still_gets_a_valid_confirmation() -> None:
    root = wire.message(codec.confirmation(codec.facts(None), now=SENT, received_at=SENT))
    assert wire.schema_errors(root) == []
