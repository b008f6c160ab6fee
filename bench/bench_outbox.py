"""Letters through the outbox to a local SMTP server: delivery rate, and letters per second
with 10,000 pending (not a timed test).

A node database (SQLite, and PostgreSQL when reachable) gets 2,000 patrons; the letters are
written the way the loan jobs write them (``send_letters``, mail on, so each letter is a
notification + attachment + outbox message in the same transaction), five per patron. The
real delivery loop (``deliver_due`` with the real ``SmtpSender``, 4 kept connections) then
sends them to a counting aiosmtpd sink in its own process. Figures: letters per second for
a backlog of 500 and of 10,000, and the sink's count (every letter exactly once).

    .venv/bin/python -m bench.bench_outbox [--pending 10000] [--small 500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from tests.support import builders as b

from bench.common import drop_pg_database, free_ports, scratch_pg_database
from institution_node.domain.letters import Letter
from institution_node.loader.load import load
from institution_node.mail import SmtpSender, session_info
from institution_node.outbox import RetryPolicy, SenderRegistry, deliver_due
from institution_node.services.notifications import LetterDraft, send_letters
from institution_node.store.migrate import upgrade
from institution_node.store.models import Library, User
from network_common.db import make_engine, make_sessionmaker

RESULTS = Path(__file__).with_name("results")
PATRONS = 2000


def data() -> dict[str, Any]:
    d = b.two_library_institution("BENCH")
    d["users"] += [b.patron(f"BP-{n:05d}") for n in range(PATRONS)]
    return d


async def _write(sessions: Any, count: int) -> float:
    """Write ``count`` letters (batches of 500, as the jobs do); seconds taken."""
    async with sessions() as session:
        ids = list(await session.scalars(select(User.id).where(User.primary_id.like("BP-%"))))
        libraries = list(await session.scalars(select(Library.id)))
    started = time.perf_counter()
    for offset in range(0, count, 500):
        drafts = [
            LetterDraft(
                ids[n % len(ids)],
                Letter.OVERDUE_NOTICE,
                libraries[n % len(libraries)],
                f"Overdue: item {n}",
                f"Item {n} was due yesterday.",
            )
            for n in range(offset, min(count, offset + 500))
        ]
        async with sessions() as session:
            await send_letters(session, drafts, created_at=datetime.now(UTC))
            await session.commit()
    return time.perf_counter() - started


async def _deliver(sessions: Any, port: int, count: int) -> tuple[float, int]:
    sender = SmtpSender(
        host="127.0.0.1", port=port, mail_from="letters@bench.example.edu", connections=4
    )
    senders = SenderRegistry([sender])
    started = time.perf_counter()
    sent = 0
    try:
        while sent < count:
            report = await deliver_due(
                sessions, senders, now=datetime.now(UTC), policy=RetryPolicy()
            )
            if report.handled == 0:
                break
            sent += report.sent
    finally:
        await senders.aclose()
    return time.perf_counter() - started, sent


async def run_backend(name: str, url: str, port: int, pending: int, small: int) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        await upgrade(engine)
        async with make_sessionmaker(engine)() as session:
            await load(session, json.dumps(data()))
        sessions = make_sessionmaker(engine, info=session_info(smtp_host="127.0.0.1"))
        figures: dict[str, Any] = {}
        for label, count in (("small", small), ("pending", pending)):
            write_s = await _write(sessions, count)
            seconds, sent = await _deliver(sessions, port, count)
            figures[label] = {
                "letters": count,
                "sent": sent,
                "write_per_s": round(count / write_s, 1),
                "deliver_s": round(seconds, 2),
                "deliver_per_s": round(sent / seconds, 1),
            }
            print(
                f"{name:10} {count:>6} pending: written {count / write_s:8.1f}/s, "
                f"delivered {sent} in {seconds:6.2f} s = {sent / seconds:7.1f} letters/s",
                flush=True,
            )
        return figures
    finally:
        await engine.dispose()


async def measure(port: int, pending: int, small: int) -> tuple[dict[str, Any], int]:
    results: dict[str, Any] = {}
    expected = 0
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'node.db'}"
        results["sqlite"] = await run_backend("SQLite", url, port, pending, small)
        expected += pending + small
    pg = await scratch_pg_database()
    if pg is not None:
        try:
            results["postgres"] = await run_backend("PostgreSQL", pg, port, pending, small)
            expected += pending + small
        finally:
            await drop_pg_database(pg)
    return results, expected


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pending", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=500)
    args = parser.parse_args()
    (port,) = free_ports(1)
    sink = subprocess.Popen(
        [sys.executable, "-m", "bench.smtp_sink", str(port)], stdout=subprocess.PIPE, text=True
    )
    assert sink.stdout is not None
    assert sink.stdout.readline().strip() == "ready"
    try:
        results, expected = asyncio.run(measure(port, args.pending, args.small))
    finally:
        sink.terminate()
        out, _ = sink.communicate(timeout=30)
    accepted = int(out.strip().splitlines()[-1])
    print(f"the SMTP sink accepted {accepted} messages for {expected} letters")
    results["sink_accepted"] = accepted
    results["letters"] = expected
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "outbox.json").write_text(json.dumps(results, indent=2))
    return 0 if accepted == expected else 1


if __name__ == "__main__":
    raise SystemExit(main())
