"""The loan jobs (lost, fines, courtesy/overdue notices) over 100,000 open loans on
PostgreSQL (not a timed test).

The loans are made with ``INSERT ... SELECT generate_series`` (10,000 patrons, 10 loans
each, due dates spread from 60 days ago to 29 days ahead, all under one rule with a fine
per day, a maximum and a lost limit of 30 days overdue), then ANALYZEd. Then
``run_overdue_and_lost`` runs at one ``now`` twice: the first run does the work, the second
must change nothing. For each job: seconds, batches and the SQL statements of each batch
(one transaction each: the count must not depend on the batch's content). Figures go to
``bench/results/loan_jobs.json``.

    .venv/bin/python -m bench.bench_loan_jobs [--loans 100000] [--patrons 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select, text

from bench.common import drop_pg_database, scratch_pg_database
from institution_node.loader.load import load
from institution_node.services.fulfilment import fines, lost, notices
from institution_node.services.fulfilment.terms import load_rule_book
from institution_node.store.migrate import upgrade
from institution_node.store.models import Fee, Loan, Notification
from network_common.db import make_engine, make_sessionmaker

RESULTS = Path(__file__).with_name("results")
RULE = {
    "name": "Stacks", "loan_period_days": 28, "fine_per_day": "0.25", "fine_grace_days": 1,
    "fine_maximum": "5.00", "lost_after_days_overdue": 30, "lost_replacement_fee": "40.00",
    "lost_processing_fee": "5.00",
}  # fmt: skip

FILL = [
    """INSERT INTO user_account (id, primary_id, kind, first_name, last_name, email, user_group,
                                 created_at)
       SELECT 1000 + g, 'P' || g, 'PATRON', 'First' || g, 'Last' || g, 'p' || g || '@x.edu',
              'UNDERGRAD', now()
       FROM generate_series(1, :patrons) g""",
    """INSERT INTO patron_role (user_id, library_id, expiry_date)
       SELECT 1000 + g, NULL, NULL FROM generate_series(1, :patrons) g""",
    """INSERT INTO bib_record (id, network_record_id, title, author)
       SELECT g, 'rec-' || g, 'Title ' || g, 'Author' FROM generate_series(1, :loans / 100) g""",
    """INSERT INTO holding (id, bib_id, library_id, location, call_number)
       SELECT g, g, CAST(:lib AS INTEGER), 'STACKS', 'QA ' || g
       FROM generate_series(1, :loans / 100) g""",
    """INSERT INTO item (id, barcode, bib_id, holding_id, library_id, location, loanable,
                         loan_period_days, renewals_allowed, requestable, status, version)
       SELECT g, 'B' || g, (g - 1) / 100 + 1, (g - 1) / 100 + 1, CAST(:lib AS INTEGER),
              'STACKS', true, 28, 2, true, 'ON_LOAN', 1
       FROM generate_series(1, :loans) g""",
    """INSERT INTO loan (id, item_id, user_id, owning_library_id, loan_desk_id, loan_library_id,
                         loaned_at, due_at, renewals, status, rule_id, terms, lost_at, version)
       SELECT g, g, 1000 + (g % :patrons) + 1, CAST(:lib AS INTEGER), CAST(:desk AS INTEGER),
              CAST(:lib AS INTEGER),
              CAST(:now AS TIMESTAMPTZ) - make_interval(days => 88 - (g % 90)),
              CAST(:now AS TIMESTAMPTZ) - make_interval(days => 60 - (g % 90)),
              0, 'ACTIVE', CAST(:rule AS INTEGER), CAST(:terms AS JSON),
              CAST(:now AS TIMESTAMPTZ) - make_interval(days => 30 - (g % 90)), 1
       FROM generate_series(1, :loans) g""",
    "SELECT setval(pg_get_serial_sequence('loan', 'id'), :loans)",
    "SELECT setval(pg_get_serial_sequence('user_account', 'id'), 1000 + :patrons)",
]


async def build(url: str, n_loans: int, n_patrons: int, now: datetime) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
        data = {
            "institution": {"code": "BENCH", "name": "Bench University",
                            "settings": {"separate_patron_notifications_by_library": True}},
            "libraries": [{"code": "MAIN", "name": "Main", "reply_to_email": "main@x.edu",
                           "desks": [{"code": "D1", "name": "Desk"}]}],
            "fulfilment_rules": [RULE],
        }  # fmt: skip
        async with make_sessionmaker(engine)() as session:
            await load(session, json.dumps(data))
            book = await load_rule_book(session)
        rule = book.rules[0]
        from institution_node.domain.fulfilment import ItemFacts

        terms = book.terms(None, ItemFacts(1, "STACKS", None, True, True, 28, 2))
        started = time.perf_counter()
        async with engine.begin() as conn:
            lib = (await conn.execute(text("SELECT id FROM library"))).scalar_one()
            desk = (await conn.execute(text("SELECT id FROM desk"))).scalar_one()
            params = {
                "loans": n_loans, "patrons": n_patrons, "lib": lib, "desk": desk, "now": now,
                "rule": rule.id, "terms": json.dumps(terms.to_dict()),
            }  # fmt: skip
            for sql in FILL:
                await conn.execute(text(sql), params)
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("ANALYZE"))
        print(
            f"made {n_loans} loans of {n_patrons} patrons in {time.perf_counter() - started:.1f} s"
        )
    finally:
        await engine.dispose()


async def run_jobs(url: str, now: datetime) -> dict[str, Any]:
    engine = make_engine(url)
    statements: list[int] = [0]

    def count(*_args: Any) -> None:
        statements[-1] += 1

    def committed(*_args: Any) -> None:
        statements.append(0)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    event.listen(engine.sync_engine, "commit", committed)
    sessions = make_sessionmaker(engine)
    out: dict[str, Any] = {}
    try:
        for run in ("first", "second"):
            for name, job in (
                ("lost", lost.declare_overdue_lost),
                ("fines", fines.accrue_fines),
                ("notices", notices.send_loan_notices),
            ):
                statements[:] = [0]
                started = time.perf_counter()
                report = await job(sessions, now=now)
                seconds = time.perf_counter() - started
                per_batch = [n for n in statements if n][: report.batches]
                out[f"{run}:{name}"] = {
                    "seconds": round(seconds, 2),
                    "batches": report.batches,
                    "statements_per_batch": sorted(Counter(per_batch).items()),
                    "report": {k: v for k, v in vars(report).items()}
                    if hasattr(report, "__dict__")
                    else {f: getattr(report, f) for f in report.__slots__},
                }
        async with sessions() as session:
            out["totals"] = {
                "fees": await session.scalar(select(func.count(Fee.id))),
                "letters": await session.scalar(select(func.count(Notification.id))),
                "lost loans": await session.scalar(
                    select(func.count(Loan.id)).where(Loan.status == "LOST")
                ),
            }
    finally:
        await engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--patrons", type=int, default=10_000)
    args = parser.parse_args()
    url = asyncio.run(scratch_pg_database())
    if url is None:
        print("PostgreSQL is not reachable: this benchmark needs it")
        return
    now = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=12)
    try:
        asyncio.run(build(url, args.loans, args.patrons, now))
        results = asyncio.run(run_jobs(url, now))
    finally:
        asyncio.run(drop_pg_database(url))
    print(f"\n{'run:job':<16} {'seconds':>8} {'batches':>8}  statements per batch (count x)")
    for key, r in results.items():
        if key == "totals":
            continue
        print(f"{key:<16} {r['seconds']:>8} {r['batches']:>8}  {r['statements_per_batch']}")
        print(f"{'':<16} {r['report']}")
    print(f"totals: {results['totals']}")
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / "loan_jobs.json"
    target.write_text(json.dumps({"args": vars(args), "results": results}, indent=2, default=str))
    print(f"\nwritten to {target}")


if __name__ == "__main__":
    main()
