"""POST /iso18626 through the node app: every sample gets a confirmation, what cannot be
understood an ERROR confirmation (never a crash), strangers are refused, and one message
sent many times changes state once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from institution_node.iso18626 import codec, wire
from institution_node.services.resource_sharing import lending
from institution_node.services.resource_sharing.common import Actor, now
from institution_node.store.models import History, LendingRequest, OutboxMessage
from tests.conftest import NodeFactory
from tests.support.iso18626 import counts, outside_partner, post, samples
from tests.support.nodes import NodeHarness
from tests.support.resource_sharing import rs_institution, staff_principal
from tests.support.statements import count_statements

PARTNER = ("ISIL", "XX-PART")


def request_xml(
    request_id: str = "PART-1",
    *,
    agency: tuple[str, str] = PARTNER,
    timestamp: str = "2026-11-30T10:00:00.000Z",
    record_id: str = "rs-1",
) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ISO18626Message xmlns="http://illtransactions.org/2013/iso18626"
    xmlns:ill="http://illtransactions.org/2013/iso18626" ill:version="1.2">
  <request>
    <header>
      <supplyingAgencyId><agencyIdType>NETWORK</agencyIdType>
        <agencyIdValue>UNIB</agencyIdValue></supplyingAgencyId>
      <requestingAgencyId><agencyIdType>{agency[0]}</agencyIdType>
        <agencyIdValue>{agency[1]}</agencyIdValue></requestingAgencyId>
      <multipleItemRequestId></multipleItemRequestId>
      <timestamp>{timestamp}</timestamp>
      <requestingAgencyRequestId>{request_id}</requestingAgencyRequestId>
    </header>
    <bibliographicInfo>
      <supplierUniqueRecordId>{record_id}</supplierUniqueRecordId>
      <title>Shared Title One</title>
    </bibliographicInfo>
    <serviceInfo><serviceType>Loan</serviceType></serviceInfo>
    <patronInfo><patronId>P-77</patronId><surname>Reader</surname></patronInfo>
  </request>
</ISO18626Message>""".encode()


def requester_xml(action: str, *, request_id: str = "PART-1", stamp: str = "T1") -> bytes:
    minute = {"T1": "01", "T2": "02", "T3": "03"}[stamp]
    return f"""<ISO18626Message xmlns="http://illtransactions.org/2013/iso18626"
    xmlns:ill="http://illtransactions.org/2013/iso18626" ill:version="1.2">
  <requestingAgencyMessage>
    <header>
      <supplyingAgencyId><agencyIdType>NETWORK</agencyIdType>
        <agencyIdValue>UNIB</agencyIdValue></supplyingAgencyId>
      <requestingAgencyId><agencyIdType>ISIL</agencyIdType>
        <agencyIdValue>XX-PART</agencyIdValue></requestingAgencyId>
      <multipleItemRequestId/>
      <timestamp>2026-11-30T11:{minute}:00Z</timestamp>
      <requestingAgencyRequestId>{request_id}</requestingAgencyRequestId>
    </header>
    <action>{action}</action>
    <note>from the test</note>
  </requestingAgencyMessage>
</ISO18626Message>""".encode()


async def _lender(node_factory: NodeFactory, db_url: str) -> tuple[NodeHarness, str]:
    node = await node_factory(rs_institution("UNIB"), db_url=db_url)
    secret = await outside_partner(node.runtime, "UNIB", code="PART", agency=PARTNER)
    return node, secret


async def test_a_partner_request_creates_one_lending_request(
    node_factory: NodeFactory, db_url: str
) -> None:
    node, secret = await _lender(node_factory, db_url)
    answer = await post(node.client, request_xml(), secret=secret)
    assert (answer.status, answer.kind, answer.message_status) == (
        200,
        "requestConfirmation",
        "OK",
    )
    async with node.runtime.sessions() as session:
        row = await session.scalar(select(LendingRequest))
    assert row is not None
    assert (row.status, row.partner_request_id, row.patron_reference, row.bib_id is not None) == (
        "NEW",
        "PART-1",
        "P-77",
        True,
    )


async def test_strangers_are_refused_and_nothing_changes(
    node_factory: NodeFactory, db_url: str
) -> None:
    node, secret = await _lender(node_factory, db_url)
    before = await counts(node.runtime)
    for credentials in (None, "lfnrs_not-a-secret", "a.b.c", secret[:-2]):
        answer = await post(node.client, request_xml(), secret=credentials)
        assert (answer.status, answer.message_status) == (401, "ERROR")
        assert answer.error_type == "UnrecognisedDataValue"
    # A partner's secret does not let it speak as another agency.
    other = await post(node.client, request_xml(agency=("ISIL", "XX-OTHER")), secret=secret)
    assert (other.status, other.message_status) == (401, "ERROR")
    assert await counts(node.runtime) == before


async def test_a_peers_own_extension_elements_are_ignored(
    node_factory: NodeFactory, db_url: str
) -> None:
    node, secret = await _lender(node_factory, db_url)
    extended = request_xml().replace(
        b"<title>",
        b'<x:shelfmark xmlns:x="http://peer.example/ext">QA 76</x:shelfmark><title>',
    )
    answer = await post(node.client, extended, secret=secret)
    assert (answer.status, answer.message_status) == (200, "OK")


async def test_an_outside_partner_may_put_its_secret_in_the_header(
    node_factory: NodeFactory, db_url: str
) -> None:
    node, secret = await _lender(node_factory, db_url)
    credentials = (
        "<requestingAgencyAuthentication><accountId>PART</accountId>"
        f"<securityCode>{secret}</securityCode></requestingAgencyAuthentication></header>"
    ).encode()
    body = request_xml().replace(b"</header>", credentials)
    answer = await post(node.client, body)
    assert (answer.status, answer.message_status) == (200, "OK")
    wrong = body.replace(secret.encode(), b"lfnrs_wrong")
    assert (await post(node.client, wrong)).status == 401
    assert (await counts(node.runtime))[0] == 1


@pytest.mark.parametrize(
    ("body", "error_type"),
    [
        (b"<ISO18626Message><request>", "BadlyFormedMessage"),
        (b"not xml at all", "BadlyFormedMessage"),
        (b"", "BadlyFormedMessage"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
            b'<ISO18626Message xmlns="http://illtransactions.org/2013/iso18626">&a;'
            b"</ISO18626Message>",
            "BadlyFormedMessage",
        ),
        (
            request_xml().replace(
                b'xmlns="http://illtransactions.org/2013/iso18626"',
                b'xmlns="http://example.org/not-iso18626"',
            ),
            "BadlyFormedMessage",
        ),
        (b"<a>" * 400 + b"</a>" * 400, "BadlyFormedMessage"),  # deeper than lxml allows
        (
            b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://127.0.0.1:9/x.dtd">'
            b'<ISO18626Message xmlns="http://illtransactions.org/2013/iso18626"/>',
            "BadlyFormedMessage",
        ),
        (requester_xml("Teleport"), "UnsupportedActionType"),
        (requester_xml("ShippedForward"), "UnsupportedActionType"),
        (request_xml(timestamp="yesterday"), "BadlyFormedMessage"),
        (requester_xml("Cancel", request_id="NOBODY-9"), "UnrecognisedDataValue"),
    ],
)
async def test_what_cannot_be_understood_gets_an_error_confirmation(
    node_factory: NodeFactory, db_url: str, body: bytes, error_type: str
) -> None:
    node, secret = await _lender(node_factory, db_url)
    before = await counts(node.runtime)
    answer = await post(node.client, body, secret=secret)
    assert (answer.status, answer.message_status, answer.error_type) == (
        200,
        "ERROR",
        error_type,
    )
    assert await counts(node.runtime) == before


async def test_a_10_mb_body_is_an_error_confirmation(
    sqlite_url: str, node_factory: NodeFactory
) -> None:
    node, secret = await _lender(node_factory, sqlite_url)
    huge = request_xml().replace(b"<title>", b"<title>" + b"x" * (10 * 1024 * 1024))
    answer = await post(node.client, huge, secret=secret)
    assert (answer.status, answer.message_status, answer.error_type) == (
        413,
        "ERROR",
        "BadlyFormedMessage",
    )

    async def chunks():  # type: ignore[no-untyped-def]  # no Content-Length: counted as it comes
        for _ in range(11):
            yield b"x" * (1024 * 1024)

    response = await node.client.post(
        "/iso18626", content=chunks(), headers={"authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 413
    assert b"ERROR" in response.content
    assert await counts(node.runtime) == (0, 0)


def _sender(path_bytes: bytes) -> tuple[str, str] | None:
    try:
        parsed = wire.parse(path_bytes)
    except Exception:
        return None
    echo = codec.facts(parsed)
    return echo.supplier if echo.family == codec.FAMILY_SUPPLIER else echo.requester


async def test_every_sample_message_gets_a_confirmation(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await node_factory(rs_institution("UNIB"), db_url=db_url)
    files = samples()
    assert len(files) >= 14
    secrets: dict[tuple[str, str], str] = {}
    for path in files:
        agency = _sender(path.read_bytes())
        if agency is not None and agency not in secrets:
            secrets[agency] = await outside_partner(
                node.runtime, "UNIB", code=f"S{len(secrets)}", agency=agency
            )
    outcomes: dict[str, str] = {}
    for path in files:
        body = path.read_bytes()
        stranger = await post(node.client, body)
        assert (stranger.status, stranger.message_status) in ((401, "ERROR"), (200, "ERROR"))
        agency = _sender(body)
        answer = await post(node.client, body, secret=secrets.get(agency) if agency else None)
        assert answer.status in (200, 401), path.name
        assert answer.kind.endswith("Confirmation")
        outcomes[path.name] = answer.message_status + (
            f" {answer.error_type}" if answer.error_type else ""
        )
    # The real requests are taken; templates with placeholders, confirmations sent as
    # messages and messages about requests we do not have are errors, never crashes.
    assert outcomes["request.okapi-script.xml"] == "OK"
    assert outcomes["request.protocol-test-case1.xml"] == "OK"
    assert outcomes["patronRequest.template.xml"] == "OK"
    assert outcomes["request.schema-skeleton.xml"] == "OK"
    assert outcomes["statusChangeUnfilledTemplate.template.xml"] == "ERROR BadlyFormedMessage"
    assert outcomes["supplyingAgencyMessage_statusChange.template.xml"] == (
        "ERROR UnrecognisedDataValue"
    )
    assert outcomes["requestConfirmation.schema-skeleton.xml"] == "ERROR UnrecognisedDataElement"
    # The skeleton's status request names the skeleton request taken just before.
    assert outcomes["requestingAgencyMessage.schema-skeleton.xml"] == "OK"
    assert outcomes["supplyingAgencyMessage.schema-skeleton.xml"] == "ERROR UnrecognisedDataValue"
    async with node.runtime.sessions() as session:
        taken = await session.scalar(select(func.count()).select_from(LendingRequest))
    assert taken == 4


async def test_the_same_message_twenty_times_changes_state_once(
    node_factory: NodeFactory, db_url: str
) -> None:
    node, secret = await _lender(node_factory, db_url)
    assert (await post(node.client, request_xml(), secret=secret)).message_status == "OK"
    cancel = requester_xml("Cancel")
    sequential = [await post(node.client, cancel, secret=secret) for _ in range(10)]
    concurrent = await asyncio.gather(
        *(post(node.client, cancel, secret=secret) for _ in range(10))
    )
    answers = sequential + list(concurrent)
    assert {(a.status, a.message_status) for a in answers} == {(200, "OK")}
    # Every copy got the very same confirmation (the one stored for the first).
    assert len({wire.serialize(a.root) for a in answers}) == 1
    async with node.runtime.sessions() as session:
        row = await session.scalar(select(LendingRequest))
        assert row is not None
        assert row.status == "CANCELLED"
        changes = await session.scalar(
            select(func.count())
            .select_from(History)
            .where(History.lending_request_id == row.id, History.kind == "PARTNER_CANCEL")
        )
        responses = await session.scalar(select(func.count()).select_from(OutboxMessage))
    assert (changes, responses) == (1, 1)  # one state change, one cancel response queued
    registry = node.runtime.metrics.registry
    labels = {"direction": "in", "message": "requestingAgencyMessage", "outcome": "ok"}
    assert registry.get_sample_value("iso18626_messages_total", labels) == 20
    # The same action with another timestamp is another message: answered, not repeated.
    again = await post(node.client, requester_xml("Cancel", stamp="T2"), secret=secret)
    assert again.message_status == "OK"


async def test_the_borrower_accepts_our_conditions(node_factory: NodeFactory, db_url: str) -> None:
    node, secret = await _lender(node_factory, db_url)
    await post(node.client, request_xml(), secret=secret)
    async with node.runtime.sessions() as session:
        row = await session.scalar(select(LendingRequest))
        assert row is not None
        await lending.add_conditions(
            session,
            actor=Actor(principal=staff_principal("UNIB")),
            request_id=row.id,
            code="LIBRARY_USE_ONLY",
            note="Reading room only",
            reply_by=now() + timedelta(days=3),
        )
        await session.commit()
    agree = requester_xml("Notification").replace(
        b"from the test", codec.AGREE_TAG.encode() + b" fine by us"
    )
    answer = await post(node.client, agree, secret=secret)
    assert answer.message_status == "OK"
    async with node.runtime.sessions() as session:
        row = await session.get_one(LendingRequest, row.id)
    assert (row.status, row.reply_by) == ("WILL_SUPPLY", None)


async def test_a_repeat_writes_nothing_and_a_step_costs_a_fixed_number_of_statements(
    node_factory: NodeFactory, db_url: str
) -> None:
    node, secret = await _lender(node_factory, db_url)
    await post(node.client, request_xml("PART-0"), secret=secret)  # warm caches
    costs = {}
    for label, body in (
        ("request", request_xml()),
        ("cancel", requester_xml("Cancel")),
        ("repeat", requester_xml("Cancel")),
    ):
        with count_statements(node.runtime.engine) as seen:
            assert (await post(node.client, body, secret=secret)).message_status == "OK"
        costs[label] = [s.split()[0].upper() for s in seen]
    assert not {"INSERT", "UPDATE", "DELETE"} & set(costs["repeat"])
    writes = {
        label: sum(w in ("INSERT", "UPDATE") for w in kinds) for label, kinds in costs.items()
    }
    # request: the dedup row, the lending request, its history line; cancel: the dedup
    # row, the state, two history lines, the queued cancel response.
    assert writes == {"request": 3, "cancel": 5, "repeat": 0}


async def test_a_status_request_is_answered_through_the_outbox(
    node_factory: NodeFactory, db_url: str
) -> None:
    node, secret = await _lender(node_factory, db_url)
    await post(node.client, request_xml(), secret=secret)
    answer = await post(node.client, requester_xml("StatusRequest"), secret=secret)
    assert (answer.kind, answer.message_status) == ("requestingAgencyMessageConfirmation", "OK")
    async with node.runtime.sessions() as session:
        kinds = list(await session.scalars(select(OutboxMessage.payload)))
    assert [k["kind"] for k in kinds] == ["STATUS_RESPONSE"]
    assert datetime.fromisoformat(kinds[0]["sent_at"]) <= datetime.now(UTC)
