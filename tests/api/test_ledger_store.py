"""The privacy ledger's table on both backends: walk-in lookups reserved under a limit, a
retry under the same key is the same entry, refused entries give their key up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from asyncpg.exceptions import NotNullViolationError
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError

from network_common.db import POOL_RECYCLE_SECONDS, make_engine, make_sessionmaker
from network_common.errors import InvalidInput
from network_hub.ledger import entries as ledger
from network_hub.ledger.writer import LedgerWriter
from network_hub.store.migrate import upgrade
from network_hub.store.models import PrivacyLedgerEntry
from tests.support.postgres import terminate_backends


@dataclass
class _Runtime:
    sessions: Any
    ledger_writer: LedgerWriter
    engine: Any


@pytest.fixture
async def runtime(db_url: str) -> AsyncIterator[Any]:
    engine = make_engine(db_url)
    await upgrade(engine)
    sessions = make_sessionmaker(engine)
    writer = LedgerWriter.for_database(db_url, sessions)  # as the hub builds it
    yield _Runtime(sessions, writer, engine)
    await writer.close()
    await engine.dispose()


def lookup(user: str) -> ledger.Crossing:
    return ledger.Crossing(
        kind=ledger.LedgerKind.WALK_IN_LOOKUP,
        patron=("UNIA", user),
        actor=ledger.Actor(ledger.ActorKind.STAFF, "UNIB", "desk"),
        from_member="UNIA",
        to_member="UNIB",
        fields=(),
        purpose="test",
        outcome=ledger.LedgerOutcome.NO_MATCH,
    )


async def test_lookups_are_reserved_under_the_limit(runtime: Any) -> None:
    async def reserve(user: str, key: str) -> int | None:
        return await ledger.reserve_lookup(
            runtime=runtime, crossing=lookup(user), request_key=key, limit=2, window_seconds=60
        )

    first = await reserve("P1", "k1")
    assert first is not None
    assert await reserve("P1", "k1") == first  # a retry: the same entry, not counted again
    second = await reserve("P2", "k2")
    assert second is not None
    assert await reserve("P3", "k3") is None  # over the limit
    assert await reserve("P3", "k3") is None  # its key was given up: refused afresh
    await ledger.settle_lookup(
        runtime=runtime,
        entry_id=second,
        outcome=ledger.LedgerOutcome.MATCHED,
        fields=ledger.PATRON_FIELDS,
    )
    t = PrivacyLedgerEntry
    async with runtime.sessions() as session:
        rows = (
            await session.execute(
                select(t.patron_id, t.outcome, t.fields, t.request_key).order_by(t.id)
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("P1", "NO_MATCH", "", "k1"),
        ("P2", "MATCHED", "firstName,lastName,email,userGroup,expiryDate", "k2"),
        ("P3", "REFUSED", "", None),
        ("P3", "REFUSED", "", None),
    ]


async def test_no_crossing_marks_only_the_named_members(runtime: Any) -> None:
    base = ledger.Crossing(
        kind=ledger.LedgerKind.NETWORK_ACTIVITY,
        patron=("UNIA", "P1"),
        actor=ledger.Actor(ledger.ActorKind.STAFF, "UNIA", "op"),
        from_member="",
        to_member="UNIA",
        fields=ledger.ACTIVITY_FIELDS,
        purpose="test",
    )
    members = ["UNIB", "UNIC", "UNID"]
    ids = await ledger.record(
        runtime=runtime,
        crossings=[replace(base, from_member=m) for m in members],
    )
    await ledger.not_crossed(runtime=runtime, entry_ids=[ids[1]])
    t = PrivacyLedgerEntry
    async with runtime.sessions() as session:
        rows = (await session.execute(select(t.from_member, t.outcome).order_by(t.id))).all()
    assert [tuple(r) for r in rows] == [
        ("UNIB", "MATCHED"),
        ("UNIC", "NO_MATCH"),
        ("UNID", "MATCHED"),
    ]


def activity(user: str, member: str) -> ledger.Crossing:
    return ledger.Crossing(
        kind=ledger.LedgerKind.NETWORK_ACTIVITY,
        patron=("UNIA", user),
        actor=ledger.Actor(ledger.ActorKind.STAFF, "UNIA", "op"),
        from_member=member,
        to_member="UNIA",
        fields=ledger.ACTIVITY_FIELDS,
        purpose="test",
    )


def ledger_row(**changes: object) -> dict[str, object]:
    """A Network Activity row as ``entries`` writes it."""
    row: dict[str, object] = {
        "at": datetime(2026, 1, 2, tzinfo=UTC),
        "kind": "NETWORK_ACTIVITY",
        "patron_institution": "UNIA",
        "patron_id": "P1",
        "actor_kind": "STAFF",
        "actor_institution": "UNIA",
        "actor_id": "op",
        "from_member": "UNIB",
        "to_member": "UNIA",
        "fields": "loans",
        "purpose": "test",
        "outcome": "MATCHED",
    }
    return row | changes


async def _rows(runtime: Any) -> list[tuple[Any, ...]]:
    t = PrivacyLedgerEntry
    async with runtime.sessions() as session:
        rows = await session.execute(select(t.id, t.patron_id, t.from_member, t.outcome))
        return [tuple(r) for r in rows]


async def test_concurrent_callers_share_one_insert_and_each_gets_its_own_rows(
    runtime: Any,
) -> None:
    """Group commit (issue 17): 20 concurrent callers, every row written, fewer INSERT
    statements than callers, each caller's ids its own rows (so NO_MATCH touches only them,
    even for the same patron, operator and members at the same moment)."""
    callers = [[activity("P1", m) for m in ("UNIB", "UNIC")] for _ in range(20)]
    writer = runtime.ledger_writer
    flushes: list[int] = []
    insert = writer._insert

    async def counted(rows: list[dict[str, object]]) -> list[int]:
        flushes.append(len(rows))
        return await insert(rows)

    writer._insert = counted  # on PostgreSQL the INSERT bypasses the engine's events
    ids = await asyncio.gather(*(ledger.record(runtime=runtime, crossings=c) for c in callers))
    assert 1 <= len(flushes) < len(callers)
    assert sum(flushes) == 40
    rows = {r[0]: r for r in await _rows(runtime)}
    assert len(rows) == 40
    assert sorted(i for got in ids for i in got) == sorted(rows)
    for got in ids:
        assert [rows[i][2] for i in got] == ["UNIB", "UNIC"]
    await ledger.not_crossed(runtime=runtime, entry_ids=[ids[3][1]])
    after = await _rows(runtime)
    assert [r[0] for r in after if r[3] == "NO_MATCH"] == [ids[3][1]]


async def test_a_failed_flush_fails_every_caller_of_its_batch_and_writes_none(
    runtime: Any,
) -> None:
    good = [[activity(f"P{i}", "UNIB")] for i in range(5)]
    bad = [replace(activity("P9", "UNIB"), patron=cast(Any, (None, "P9")))]  # NOT NULL
    results = await asyncio.gather(
        *(ledger.record(runtime=runtime, crossings=c) for c in [*good, bad]),
        return_exceptions=True,
    )
    # SQLAlchemy's error in a transaction; asyncpg's own for PostgreSQL's single statement.
    assert all(isinstance(r, IntegrityError | NotNullViolationError) for r in results), results
    assert await _rows(runtime) == []
    # The writer goes on: the next callers are written.
    assert len(await ledger.record(runtime=runtime, crossings=good[0])) == 1
    assert len(await _rows(runtime)) == 1


async def test_rows_of_another_shape_in_the_same_batch_get_their_defaults(
    runtime: Any,
) -> None:
    """Rows of one shape go through Core's insert; a batch mixing shapes (a row leaving
    ``at``, ``fields`` and ``outcome`` to the table's defaults) still writes every row in
    order, with the defaults applied."""
    full = ledger_row()
    short = {k: v for k, v in full.items() if k not in ("at", "fields", "outcome")}
    short["patron_id"] = "P2"
    ids = await asyncio.gather(
        runtime.ledger_writer.write([full]), runtime.ledger_writer.write([short, short])
    )
    t = PrivacyLedgerEntry
    async with runtime.sessions() as session:
        got = (await session.execute(select(t).order_by(t.id))).scalars().all()
    assert [[e.id for e in got if e.patron_id == p] for p in ("P1", "P2")] == ids
    second = [e for e in got if e.patron_id == "P2"]
    assert all(e.fields == "" and e.outcome == "MATCHED" and e.at is not None for e in second)
    assert [e.at for e in got if e.patron_id == "P1"] == [full["at"]]


async def test_bad_values_fail_their_batch_with_a_clear_error_and_write_nothing(
    runtime: Any,
) -> None:
    """What the engine checks before any statement (NUL text, a time without a zone) holds
    for the ledger's own statement too, on both backends."""
    with pytest.raises(InvalidInput):
        await ledger.record(runtime=runtime, crossings=[activity("P\x001", "UNIB")])
    naive = ledger_row(patron_id="P2", at=datetime(2026, 1, 2))  # no time zone
    with pytest.raises(Exception, match="naive datetime"):
        await runtime.ledger_writer.write([naive])
    assert await _rows(runtime) == []
    assert len(await ledger.record(runtime=runtime, crossings=[activity("P3", "UNIB")])) == 1


@pytest.mark.postgres
async def test_the_writer_outlives_its_connection(pg_url: str) -> None:
    """PostgreSQL closes the writer's connection (a restart, an administrator): once the
    server's goodbye is read, the next flush is written on a fresh connection, and no row is
    lost or doubled."""
    engine = make_engine(pg_url)
    await upgrade(engine)
    sessions = make_sessionmaker(engine)
    writer = LedgerWriter.for_database(pg_url, sessions)
    runtime = _Runtime(sessions, writer, engine)
    try:
        await ledger.record(runtime=runtime, crossings=[activity("P1", "UNIB")])
        held = writer._held  # the writer's one connection, kept between flushes
        assert held is not None
        driver = await held.driver()
        gone = asyncio.Event()
        driver.add_termination_listener(lambda _connection: gone.set())
        await terminate_backends(pg_url)
        await gone.wait()  # the event loop has read the server's goodbye
        await ledger.record(runtime=runtime, crossings=[activity("P2", "UNIB")])
        assert [r[1] for r in sorted(await _rows(runtime))] == ["P1", "P2"]
    finally:
        await writer.close()
        await engine.dispose()


async def test_closing_waits_for_the_queued_rows_and_refuses_new_ones(runtime: Any) -> None:
    """The hub's shutdown (``HubRuntime.close``) closes the writer before its engine: every
    row queued by then is written first, and a row after that is refused, never dropped."""
    writer = runtime.ledger_writer
    callers = [
        asyncio.ensure_future(writer.write([ledger_row(patron_id=f"P{i}")])) for i in range(10)
    ]
    await asyncio.sleep(0)  # every caller has queued its row; the first flush is under way
    await writer.close()
    assert len(await _rows(runtime)) == 10
    assert sorted(i for ids in await asyncio.gather(*callers) for i in ids) == sorted(
        r[0] for r in await _rows(runtime)
    )
    with pytest.raises(RuntimeError, match="closed"):
        await writer.write([ledger_row(patron_id="late")])
    assert len(await _rows(runtime)) == 10


@pytest.mark.postgres
async def test_the_kept_connection_goes_back_to_the_pool_at_the_recycle_age(pg_url: str) -> None:
    """Kept between flushes (no checkout per flush); at the pool's recycle age handed back
    and checked out again, where the pool replaces a connection that old."""
    engine = make_engine(pg_url)
    await upgrade(engine)
    sessions = make_sessionmaker(engine)
    writer = LedgerWriter.for_database(pg_url, sessions)
    runtime = _Runtime(sessions, writer, engine)
    held = writer._held
    assert held is not None
    checkouts: list[object] = []
    event.listen(held.engine.sync_engine, "checkout", lambda *_: checkouts.append(1))
    try:
        for patron in ("P1", "P2", "P3"):
            await ledger.record(runtime=runtime, crossings=[activity(patron, "UNIB")])
        assert len(checkouts) == 1
        held._since -= POOL_RECYCLE_SECONDS + 1
        await ledger.record(runtime=runtime, crossings=[activity("P4", "UNIB")])
        assert len(checkouts) == 2
        assert [r[1] for r in sorted(await _rows(runtime))] == ["P1", "P2", "P3", "P4"]
    finally:
        await writer.close()
        await engine.dispose()
