"""Two real nodes on loopback speaking ISO 18626 over HTTP: UNIA's borrowing request
reaches UNIB as a lending request; UNIB's WillSupply and Loaned reach UNIA, also when
UNIA was down meanwhile (the messages wait in UNIB's outbox, then arrive in order, once);
then the rest of the story: received, loaned to the patron, one renewal granted by UNIB
and the next refused at UNIA (42 days), returned, checked in, completed on both sides.

Each node signs its messages with its own key; the other checks them against the keys it
publishes (the partner record's JWKS URL). Delivery runs by hand (jobs are off), with a
``now`` past any backoff, so nothing waits on a timer."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from institution_node.app import create_app
from institution_node.iso18626.sender import render
from institution_node.jobs import retry_policy
from institution_node.loader.load import load
from institution_node.outbox import deliver_due
from institution_node.runtime import NodeRuntime
from institution_node.services.circulation import loans
from institution_node.services.requests import holdshelf
from institution_node.services.resource_sharing import (
    borrowing,
    borrowing_loans,
    lending,
    lending_loans,
)
from institution_node.services.resource_sharing.borrowing import BorrowingAsk
from institution_node.services.resource_sharing.common import Actor, now
from institution_node.services.resource_sharing.messages import Bibliographic, PartnerMessage
from institution_node.settings import NodeSettings
from institution_node.store.migrate import upgrade
from institution_node.store.models import BorrowingRequest, History, LendingRequest, OutboxMessage
from tests.support.resource_sharing import add_network_partners, rs_institution, staff_principal


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _socket(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


@dataclass
class Node:
    code: str
    runtime: NodeRuntime
    app: Any
    port: int
    server: uvicorn.Server | None = None
    task: asyncio.Task[None] | None = None
    # Held from creation to the first start: a port closed in between could come back from
    # the next bind to port 0 (the other node's).
    sock: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Serve on the node's port (again); the runtime lives on across restarts."""
        config = uvicorn.Config(self.app, lifespan="off", log_level="warning", access_log=False)
        self.server = _QuietServer(config)
        sock, self.sock = self.sock or _socket(self.port), None
        self.task = asyncio.create_task(self.server.serve(sockets=[sock]))
        while not self.server.started:
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        """Stop serving: connections to the port are refused from now on."""
        if self.server is not None and self.task is not None:
            self.server.should_exit = True
            await self.task
        self.server = self.task = None
        if self.sock is not None:  # never started
            self.sock.close()
            self.sock = None

    async def deliver(self, *, later: timedelta = timedelta(0)) -> Any:
        """One outbox run, ``later`` after now (past any backoff when given)."""
        policy = retry_policy(self.runtime)
        return await deliver_due(
            self.runtime.sessions, self.runtime.senders, now=now() + later, policy=policy
        )


async def _node(tmp_path: Path, code: str, database_url: str | None = None) -> Node:
    sock = _socket()
    port = sock.getsockname()[1]
    settings = NodeSettings(
        data_dir=tmp_path / code,
        database_url=database_url,
        jobs_enabled=False,
        public_url=f"http://127.0.0.1:{port}",
    )
    runtime = NodeRuntime.create(settings)
    await upgrade(runtime.engine)
    async with runtime.sessions() as session:
        await load(session, json.dumps(rs_institution(code)))
    return Node(code, runtime, create_app(settings, runtime=runtime), port, sock=sock)


@pytest.fixture
async def pair(tmp_path: Path, db_url: str) -> AsyncIterator[tuple[Node, Node]]:
    """UNIA on SQLite, UNIB on each backend."""
    unia, unib = await _node(tmp_path, "UNIA"), await _node(tmp_path, "UNIB", db_url)
    await add_network_partners(unia.runtime, "UNIA", {"UNIB": unib.url})
    await add_network_partners(unib.runtime, "UNIB", {"UNIA": unia.url})
    await unia.start()
    await unib.start()
    try:
        yield unia, unib
    finally:
        for node in (unia, unib):
            await node.stop()
            await node.runtime.close()


async def _status(node: Node, model: type[Any], request_id: int) -> str:
    async with node.runtime.sessions() as session:
        row = await session.get_one(model, request_id)
        return str(row.status)


async def _history(node: Node, **where: int) -> list[str]:
    column = History.borrowing_request_id if "borrowing" in where else History.lending_request_id
    async with node.runtime.sessions() as session:
        rows = await session.scalars(
            select(History.kind)
            .where(column == next(iter(where.values())), History.category == "STATUS")
            .order_by(History.id)
        )
        return list(rows)


async def _outbox(node: Node) -> list[tuple[str, str, int]]:
    async with node.runtime.sessions() as session:
        rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(str(r.payload["kind"]), r.status, r.attempts) for r in rows]


async def test_a_borrowing_request_travels_and_a_down_partner_gets_its_messages_later(
    pair: tuple[Node, Node],
) -> None:
    unia, unib = pair
    a_staff = Actor(principal=staff_principal("UNIA"))
    b_staff = Actor(principal=staff_principal("UNIB"))

    # UNIA asks UNIB for its record rs-1, for patron P1.
    async with unia.runtime.sessions() as session:
        asked = await borrowing.create_request(
            session,
            actor=a_staff,
            ask=BorrowingAsk(
                patron_primary_id="P1",
                pickup_library_code="MAIN",
                bibliographic=Bibliographic(title="Shared Title One", record_id="rs-1"),
                partner_codes=["UNIB"],
            ),
            send=True,
        )
        await session.commit()
    report = await unia.deliver()
    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    async with unib.runtime.sessions() as session:
        lent = await session.scalar(select(LendingRequest))
    assert lent is not None
    assert (lent.status, lent.partner_request_id, lent.bib_id is not None) == (
        "NEW",
        f"UNIA-{asked.id}-1",
        True,
    )
    assert await _status(unia, BorrowingRequest, asked.id) == "REQUEST_SENT"

    # UNIB will supply; UNIA is down: the message waits.
    async with unib.runtime.sessions() as session:
        await lending.will_supply(session, actor=b_staff, request_id=lent.id)
        await session.commit()
    await unia.stop()
    report = await unib.deliver()
    assert (report.sent, report.retried) == (0, 1)
    # UNIB ships meanwhile: Loaned waits behind WillSupply (one request, in order).
    async with unib.runtime.sessions() as session:
        await holdshelf.scan_in(
            session, actor=staff_principal("UNIB"), barcode="UNIB-R1", desk_code="MAIN-DESK"
        )
    async with unib.runtime.sessions() as session:
        await lending_loans.ship(
            session,
            actor=b_staff,
            request_id=lent.id,
            desk_code="MAIN-DESK",
            due_at=now() + timedelta(days=14),
        )
        await session.commit()
    report = await unib.deliver(later=timedelta(hours=1))
    assert (report.sent, report.retried) == (0, 1)
    assert [k for k, *_ in await _outbox(unib)] == ["WILL_SUPPLY", "LOANED"]
    assert await _status(unia, BorrowingRequest, asked.id) == "REQUEST_SENT"

    # UNIA is back: both arrive, in order, once.
    await unia.start()
    report = await unib.deliver(later=timedelta(days=1))
    assert (report.sent, report.failed) == (2, 0)
    assert [(k, s) for k, s, _ in await _outbox(unib)] == [
        ("WILL_SUPPLY", "SENT"),
        ("LOANED", "SENT"),
    ]
    assert await _status(unia, BorrowingRequest, asked.id) == "SHIPPED"
    assert await _history(unia, borrowing=asked.id) == [
        "CREATED",
        "SEND",
        "PARTNER_WILL_SUPPLY",
        "PARTNER_SHIPPED",
    ]
    async with unia.runtime.sessions() as session:
        row = await session.get_one(BorrowingRequest, asked.id)
        b_due = await _lending_due(unib, lent.id)
        assert row.due_at == b_due
        assert row.partner_request_id == f"UNIB-L{lent.id}"

    # Nothing more to send, and the same bytes again (a retry) change nothing.
    assert (await unib.deliver(later=timedelta(days=2))).handled == 0
    async with unib.runtime.sessions() as session:
        payloads = list(await session.scalars(select(OutboxMessage.payload)))
    token_headers = await unib.runtime.senders.get("iso18626")._credentials(  # type: ignore[union-attr]
        PartnerMessage.from_payload(payloads[1])
    )
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{unia.url}/iso18626",
            content=render(PartnerMessage.from_payload(payloads[1])),
            headers=token_headers,
        )
    assert response.status_code == 200
    assert b"<ill:messageStatus>OK</ill:messageStatus>" in response.content
    assert await _history(unia, borrowing=asked.id) == [
        "CREATED",
        "SEND",
        "PARTNER_WILL_SUPPLY",
        "PARTNER_SHIPPED",
    ]

    # UNIA receives the item: UNIB hears of it (a note on its request, no state change).
    async with unia.runtime.sessions() as session:
        await borrowing_loans.receive(
            session, actor=a_staff, request_id=asked.id, desk_code="MAIN-DESK"
        )
        await session.commit()
    assert (await unia.deliver()).sent == 1
    async with unib.runtime.sessions() as session:
        received = await session.scalar(
            select(func.count())
            .select_from(History)
            .where(History.lending_request_id == lent.id, History.kind == "RECEIVED")
        )
    assert received == 1
    assert await _status(unib, LendingRequest, lent.id) == "SHIPPED"

    # The rest of the story over the wire: the patron borrows it, one renewal is granted by
    # UNIB, the next would pass 42 days and is refused at UNIA without asking; the item
    # goes back, UNIB checks it in, and UNIA's request completes without its temporary
    # records.
    barcode = f"RS-UNIA-{asked.id}"
    await loans.loan_item(
        unia.runtime.sessions(),
        actor=staff_principal("UNIA"),
        desk_code="MAIN-DESK",
        patron_primary_id="P1",
        barcode=barcode,
    )
    assert await _status(unia, BorrowingRequest, asked.id) == "LOANED_TO_PATRON"
    async with unia.runtime.sessions() as session:
        await borrowing_loans.request_renewal(session, actor=a_staff, request_id=asked.id)
        await session.commit()
    assert (await unia.deliver()).sent == 1
    assert await _status(unib, LendingRequest, lent.id) == "RENEW_REQUESTED"
    renewed_due = now().replace(microsecond=0) + timedelta(days=30)
    async with unib.runtime.sessions() as session:
        await lending_loans.respond_renewal(
            session, actor=b_staff, request_id=lent.id, approve=True, due_at=renewed_due
        )
        await session.commit()
    assert (await unib.deliver()).sent == 1
    async with unia.runtime.sessions() as session:
        row = await session.get_one(BorrowingRequest, asked.id)
        assert (row.status, row.due_at) == ("RENEWED_BY_PARTNER", renewed_due)
        await borrowing_loans.request_renewal(session, actor=a_staff, request_id=asked.id)
        await session.commit()
    assert await _status(unia, BorrowingRequest, asked.id) == "RENEWAL_REJECTED"
    assert (await unia.deliver()).handled == 0  # refused here: nothing asked

    await loans.return_item(
        unia.runtime.sessions(),
        actor=staff_principal("UNIA"),
        desk_code="MAIN-DESK",
        barcode=barcode,
    )
    async with unia.runtime.sessions() as session:
        await borrowing_loans.return_to_partner(session, actor=a_staff, request_id=asked.id)
        await session.commit()
    assert (await unia.deliver()).sent == 1
    assert await _status(unib, LendingRequest, lent.id) == "RETURNED"
    async with unib.runtime.sessions() as session:
        await lending_loans.check_in(
            session, actor=b_staff, request_id=lent.id, desk_code="MAIN-DESK"
        )
        await session.commit()
    assert (await unib.deliver()).sent == 1
    assert await _status(unib, LendingRequest, lent.id) == "COMPLETED"
    async with unia.runtime.sessions() as session:
        row = await session.get_one(BorrowingRequest, asked.id)
        assert (row.status, row.temp_item_id, row.temp_bib_id) == ("COMPLETED", None, None)
    assert [(k, s) for k, s, _ in await _outbox(unia)] == [
        ("REQUEST", "SENT"),
        ("RECEIVED", "SENT"),
        ("RENEW", "SENT"),
        ("SHIPPED_RETURN", "SENT"),
    ]
    assert [k for k, *_ in await _outbox(unib)] == [
        "WILL_SUPPLY",
        "LOANED",
        "RENEW_RESPONSE",
        "LOAN_COMPLETED",
    ]


async def _lending_due(node: Node, request_id: int) -> Any:
    async with node.runtime.sessions() as session:
        row = await session.get_one(LendingRequest, request_id)
        return row.due_at


async def test_a_member_token_for_another_node_or_a_staff_token_is_refused(
    pair: tuple[Node, Node],
) -> None:
    unia, unib = pair
    from institution_node.iso18626.auth import network_token
    from network_common.tokens import issue
    from network_common.vocabulary import PrincipalKind

    body = b"""<ISO18626Message xmlns="http://illtransactions.org/2013/iso18626"><request><header>
      <supplyingAgencyId><agencyIdType>NETWORK</agencyIdType><agencyIdValue>UNIB</agencyIdValue>
      </supplyingAgencyId><requestingAgencyId><agencyIdType>NETWORK</agencyIdType>
      <agencyIdValue>UNIA</agencyIdValue></requestingAgencyId><multipleItemRequestId/>
      <timestamp>2026-11-30T10:00:00Z</timestamp><requestingAgencyRequestId>UNIA-99-1
      </requestingAgencyRequestId></header><bibliographicInfo><title>T</title>
      </bibliographicInfo></request></ISO18626Message>"""
    key = unia.runtime.signing_key
    elsewhere = network_token(key, own_code="UNIA", audience="UNIC")
    staff_token, _ = issue(
        key,
        institution="UNIA",
        kind=PrincipalKind.STAFF,
        primary_id="unia-admin",
        user_id=1,
        ttl_seconds=60,
    )
    good = network_token(key, own_code="UNIA", audience="UNIB")
    async with httpx.AsyncClient() as http:
        for token in (elsewhere, staff_token):
            refused = await http.post(
                f"{unib.url}/iso18626", content=body, headers={"authorization": f"Bearer {token}"}
            )
            assert refused.status_code == 401
        taken = await http.post(
            f"{unib.url}/iso18626", content=body, headers={"authorization": f"Bearer {good}"}
        )
    assert taken.status_code == 200
    assert b"<ill:messageStatus>OK</ill:messageStatus>" in taken.content
    async with unib.runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(LendingRequest)) == 1
