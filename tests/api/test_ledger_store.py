"""The privacy ledger's table on both backends: walk-in lookups reserved under a limit, a
retry under the same key is the same entry, refused entries give their key up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from sqlalchemy import select

from network_common.db import make_engine, make_sessionmaker
from network_hub.ledger import entries as ledger
from network_hub.store.migrate import upgrade
from network_hub.store.models import PrivacyLedgerEntry


@dataclass
class _Runtime:
    sessions: Any


@pytest.fixture
async def runtime(db_url: str) -> AsyncIterator[Any]:
    engine = make_engine(db_url)
    await upgrade(engine)
    yield _Runtime(make_sessionmaker(engine))
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
    at = await ledger.record(
        runtime=runtime,
        crossings=[replace(base, from_member=m) for m in members],
    )
    await ledger.not_crossed(runtime=runtime, at=at, crossing=base, from_members=["UNIC"])
    t = PrivacyLedgerEntry
    async with runtime.sessions() as session:
        rows = (await session.execute(select(t.from_member, t.outcome).order_by(t.id))).all()
    assert [tuple(r) for r in rows] == [
        ("UNIB", "MATCHED"),
        ("UNIC", "NO_MATCH"),
        ("UNID", "MATCHED"),
    ]
