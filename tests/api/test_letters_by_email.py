"""Patron letters leave by e-mail (issue 16): through the outbox to a real SMTP server in
the test's loop, exactly once, with the owner's template, name and reply-to (DOMAIN §7),
delivered after the server was down, and the staff record says sent / failed / pending."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select

from institution_node.domain.letters import Letter
from institution_node.jobs import outbox_delivery
from institution_node.services.notifications import LetterDraft, send_letters
from institution_node.store.models import Library, User
from network_common.jobs import ManualClock
from tests.conftest import NodeFactory
from tests.support.builders import api_key, patron, two_library_institution
from tests.support.circ_queries import LOAN, RETURN
from tests.support.mailserver import MailServer
from tests.support.nodes import GraphQLErrors, NodeHarness

NOTIFICATIONS = """
query($id: String!) {
  user(primaryId: $id) {
    notifications {
      letter ownerLibraryCode replyTo subject
      deliveryStatus deliveryAttempts deliveredAt deliveryError
    }
  }
}"""
SET_TEMPLATE = """
mutation($letter: LetterType!, $library: String, $subject: String!, $body: String!) {
  setLetterTemplate(letter: $letter, libraryCode: $library, subject: $subject, body: $body) {
    letter libraryCode subject
  }
}"""
TEMPLATES = "{ letterTemplates { letter libraryCode subject } }"

MAIN_SUBJECT = "[Main Library] $subject"
MAIN_BODY = "Hello $patron_first_name,\n\n$body\n\nMain Library desk ($reply_to)\n"
INSTITUTION_BODY = "Dear $patron_name,\n\n$body\n\n$owner_name, $institution_name\n"


@pytest.fixture
async def mail() -> AsyncIterator[MailServer]:
    server = MailServer()
    await server.start()
    yield server
    await server.stop()


def _institution() -> dict[str, Any]:
    data = two_library_institution()
    data["users"].append(patron("P3", email=None))
    return data


async def _node(node_factory: NodeFactory, db_url: str, mail: MailServer) -> NodeHarness:
    return await node_factory(
        _institution(),
        db_url=db_url,
        smtp_host="127.0.0.1",
        smtp_port=mail.port,
        mail_from="letters@unia.example.edu",
        outbox_retry_base_seconds=60,
        outbox_retry_max_seconds=600,
    )


async def _deliver(node: NodeHarness, *, at: datetime | None = None) -> Any:
    return await outbox_delivery(node.runtime, now=at or datetime.now(UTC))


def _text(message: EmailMessage) -> str:
    return str(message.get_content()).replace("\r\n", "\n")


async def _letters(node: NodeHarness, token: str, patron_id: str) -> list[dict[str, Any]]:
    data = await node.gql(NOTIFICATIONS, {"id": patron_id}, token=token)
    letters: list[dict[str, Any]] = data["user"]["notifications"]
    return letters


async def test_letters_arrive_once_with_the_owners_template_and_reply_to(
    node_factory: NodeFactory, db_url: str, mail: MailServer
) -> None:
    node = await _node(node_factory, db_url, mail)
    admin = await node.token(api_key("unia-admin"))
    await node.gql(
        SET_TEMPLATE,
        {"letter": "LOAN_RECEIPT", "library": "MAIN", "subject": MAIN_SUBJECT, "body": MAIN_BODY},
        token=admin,
    )
    await node.gql(
        SET_TEMPLATE,
        {"letter": "LOAN_RECEIPT", "subject": "$subject", "body": INSTITUTION_BODY},
        token=admin,
    )
    # Loan Receipt is owned by the pickup library: the desk's.
    for desk, barcode in (("MAIN-DESK", "M-1"), ("LAW-DESK", "L-1")):
        await node.gql(LOAN, {"desk": desk, "patron": "P1", "barcode": barcode}, token=admin)
    pending = await _letters(node, admin, "P1")
    assert [(n["deliveryStatus"], n["deliveryAttempts"]) for n in pending] == [("PENDING", 0)] * 2
    assert mail.messages == []  # nothing leaves before the outbox is delivered

    report = await _deliver(node)
    assert report.sent == 2
    assert [m["Subject"] for m in mail.messages] == [
        "[Main Library] Loan receipt: Title rec-1",
        "Loan receipt: Title rec-1",
    ]
    main, law = mail.messages
    assert main["To"] == law["To"] == "p1@example.edu"
    assert main["Reply-To"] == "main@lib.example.edu"
    assert law["Reply-To"] == "law@lib.example.edu"
    assert main["From"] == "Main Library <letters@unia.example.edu>"
    assert law["From"] == "Law Library <letters@unia.example.edu>"
    assert main["X-Letter-Type"] == "Loan Receipt"
    main_text = _text(main)
    assert main_text.startswith("Hello P1,\n\nTitle rec-1 (barcode M-1) is due back on")
    assert "Main Library desk (main@lib.example.edu)" in main_text
    # LAW has no template of its own: the institution's, with LAW's name.
    assert _text(law).endswith("Law Library, University UNIA\n")
    assert mail.envelopes[0] == ("letters@unia.example.edu", ["p1@example.edu"])

    # Delivered letters are never sent again.
    assert (await _deliver(node, at=datetime.now(UTC) + timedelta(days=2))).sent == 0
    assert len(mail.messages) == 2
    letters = await _letters(node, admin, "P1")
    assert [(n["deliveryStatus"], n["deliveryError"]) for n in letters] == [("SENT", None)] * 2
    assert all(n["deliveredAt"] is not None for n in letters)
    assert [n["replyTo"] for n in letters] == ["main@lib.example.edu", "law@lib.example.edu"]


async def test_letters_wait_while_the_mail_server_is_down_then_arrive_once(
    node_factory: NodeFactory, db_url: str, mail: MailServer
) -> None:
    node = await _node(node_factory, db_url, mail)
    admin = await node.token(api_key("unia-admin"))
    barcodes = ["M-1", "M-2", "L-1"]
    for barcode in barcodes:
        desk = "LAW-DESK" if barcode.startswith("L") else "MAIN-DESK"
        await node.gql(LOAN, {"desk": desk, "patron": "P2", "barcode": barcode}, token=admin)
    assert (await _deliver(node)).sent == 3  # a kept connection is now open

    await mail.stop()
    for barcode in barcodes:
        await node.gql(RETURN, {"desk": "MAIN-DESK", "barcode": barcode}, token=admin)
    t0 = datetime.now(UTC)
    report = await _deliver(node, at=t0)
    assert report.sent == 0
    assert report.unavailable == ["email"]
    letters = await _letters(node, admin, "P2")
    receipts = [n for n in letters if n["letter"] == "Return Receipt"]
    assert [n["deliveryStatus"] for n in receipts] == ["PENDING"] * 3
    # The first one found the server down; the others were not even tried.
    assert [n["deliveryAttempts"] for n in receipts] == [1, 0, 0]
    assert "unreachable" in receipts[0]["deliveryError"]

    # Still down an hour later: still pending, nothing lost.
    report = await _deliver(node, at=t0 + timedelta(hours=1))
    assert report.sent == 0
    await mail.start()
    report = await _deliver(node, at=t0 + timedelta(hours=2))
    assert report.sent == 3
    returned = [m for m in mail.messages if m["X-Letter-Type"] == "Return Receipt"]
    assert sorted(m["Subject"] for m in returned) == sorted(
        f"Return receipt: Title {rid}" for rid in ("rec-1", "rec-1", "rec-1")
    )
    assert len(returned) == 3
    # In the order they were written (one patron's letters are one conversation).
    bodies = [_text(m) for m in returned]
    assert [b.split("(barcode ")[1].split(")")[0] for b in bodies] == barcodes
    assert (await _deliver(node, at=t0 + timedelta(days=1))).sent == 0
    assert len(mail.messages) == 6
    letters = await _letters(node, admin, "P2")
    assert {n["deliveryStatus"] for n in letters} == {"SENT"}


async def test_refused_and_addressless_letters_show_on_the_staff_record(
    node_factory: NodeFactory, db_url: str, mail: MailServer
) -> None:
    node = await _node(node_factory, db_url, mail)
    admin = await node.token(api_key("unia-admin"))
    mail.refuse.add("p1@example.edu")
    await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "P1", "barcode": "M-1"}, token=admin)
    await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "P3", "barcode": "M-2"}, token=admin)
    report = await _deliver(node)
    assert (report.sent, report.failed) == (0, 1)
    refused = (await _letters(node, admin, "P1"))[0]
    assert refused["deliveryStatus"] == "FAILED"
    assert "550" in refused["deliveryError"]
    no_address = (await _letters(node, admin, "P3"))[0]
    assert (no_address["deliveryStatus"], no_address["deliveryAttempts"]) == ("NOT_SENT", 0)
    assert mail.messages == []


async def test_templates_are_checked_and_scoped_to_the_administrators_libraries(
    node_factory: NodeFactory, mail: MailServer
) -> None:
    data = _institution()
    data["users"].append(
        {
            **data["users"][1],
            "primary_id": "unia-law-admin",
            "staff_roles": [{"role": "FULFILLMENT_ADMINISTRATOR", "libraries": ["LAW"]}],
            "api_keys": [{"key": api_key("unia-law-admin"), "label": "test"}],
        }
    )
    node = await node_factory(data, smtp_host="127.0.0.1", smtp_port=mail.port)
    law_admin = await node.token(api_key("unia-law-admin"))
    desk_op = await node.token(api_key("unia-main-op"))
    ok = {"letter": "COURTESY", "subject": "Due soon: $subject", "body": "$body"}
    await node.gql(SET_TEMPLATE, {**ok, "library": "LAW"}, token=law_admin)
    for variables, token, code in (
        ({**ok, "library": "MAIN"}, law_admin, "NOT_FOUND"),  # not their library
        ({**ok, "library": None}, law_admin, "FORBIDDEN"),  # the institution's
        ({**ok, "library": "LAW"}, desk_op, "FORBIDDEN"),
        ({**ok, "library": "LAW", "body": "$patron.__class__"}, law_admin, "INVALID_INPUT"),
        ({**ok, "library": "LAW", "body": "Fee: $5"}, law_admin, "INVALID_INPUT"),
        ({**ok, "library": "LAW", "subject": "a\nBcc: x@y"}, law_admin, "INVALID_INPUT"),
    ):
        with pytest.raises(GraphQLErrors) as refused:
            await node.gql(SET_TEMPLATE, variables, token=token)
        assert refused.value.codes == [code], variables
    templates = (await node.gql(TEMPLATES, token=law_admin))["letterTemplates"]
    assert templates == [
        {"letter": "COURTESY", "libraryCode": "LAW", "subject": "Due soon: $subject"}
    ]


async def test_the_nodes_scheduler_delivers_letters_on_its_own(
    node_factory: NodeFactory, mail: MailServer
) -> None:
    node = await _node(node_factory, None, mail)  # type: ignore[arg-type]
    admin = await node.token(api_key("unia-admin"))
    clock = ManualClock(datetime.now(UTC) + timedelta(seconds=1))
    await node.runtime.start(clock=clock)
    assert node.runtime.scheduler is not None
    jobs = len(node.runtime.scheduler.jobs)
    for _ in range(600):  # every job ran at start-up and sleeps until its next period
        if clock.sleepers == jobs:
            break
        await asyncio.sleep(0.05)
    assert clock.sleepers == jobs
    await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "P1", "barcode": "M-1"}, token=admin)
    await clock.advance(node.runtime.settings.outbox_delivery_seconds)
    await asyncio.wait_for(mail.arrived.wait(), timeout=60)
    assert [m["X-Letter-Type"] for m in mail.messages] == ["Loan Receipt"]
    wanted = 'job_runs_total{job="outbox-delivery",outcome="ok"} 2.0'  # at start-up, then
    for _ in range(600):  # the run that sent it finishes just after the letter arrives
        if wanted in (await node.client.get("/metrics")).text:
            break
        await asyncio.sleep(0.05)
    text = (await node.client.get("/metrics")).text
    assert wanted in text, [ln for ln in text.splitlines() if ln.startswith("job_runs_total{")]


async def test_bulk_letters_of_the_jobs_are_emailed_like_single_ones(
    node_factory: NodeFactory, db_url: str, mail: MailServer
) -> None:
    """The loan jobs write many letters at once (services.notifications.send_letters)."""
    node = await _node(node_factory, db_url, mail)
    admin = await node.token(api_key("unia-admin"))
    await node.gql(
        SET_TEMPLATE,
        {"letter": "COURTESY", "library": "LAW", "subject": "LAW: $subject", "body": MAIN_BODY},
        token=admin,
    )
    async with node.runtime.sessions() as session:
        ids = dict((await session.execute(select(User.primary_id, User.id))).all())
        law = await session.scalar(select(Library.id).where(Library.code == "LAW"))
        drafts = [
            LetterDraft(ids["P1"], Letter.COURTESY, law, "Due soon", "Title rec-1 is due."),
            LetterDraft(ids["P2"], Letter.COURTESY, None, "Due soon", "Title rec-2 is due."),
            LetterDraft(ids["P3"], Letter.COURTESY, law, "Due soon", "No address."),
        ]
        assert await send_letters(session, drafts, created_at=datetime.now(UTC)) == 3
        await session.commit()
    assert (await _deliver(node)).sent == 2
    by_to = {m["To"]: m for m in mail.messages}
    assert by_to["p1@example.edu"]["Subject"] == "LAW: Due soon"
    assert by_to["p1@example.edu"]["Reply-To"] == "law@lib.example.edu"
    assert by_to["p2@example.edu"]["Subject"] == "Due soon"  # the default wording
    assert by_to["p2@example.edu"]["Reply-To"] == "circ@unia.example.edu"
    assert _text(by_to["p2@example.edu"]).startswith("Dear P2 Reader,")
    states = [n["deliveryStatus"] for n in await _letters(node, admin, "P3")]
    assert states == ["NOT_SENT"]
