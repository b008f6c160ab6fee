"""The loan jobs as commands beside ``expire-holds``: ``declare-lost``, ``accrue-fines``,
``loan-notices`` and ``overdue-and-lost`` (all three in order). Each takes ``--now`` (an
ISO time with a timezone; default: the current time) and prints one line of figures."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from network_common.cli_support import CliError
from network_common.db import make_sessionmaker

from ..settings import NodeSettings
from .common import node_engine

COMMANDS = {
    "declare-lost": "declare loans lost that are past their terms' lost limit",
    "accrue-fines": "bring overdue fines up to date (fees owned by the item's library)",
    "loan-notices": "send courtesy and overdue notices, aggregated per patron",
    "overdue-and-lost": "run declare-lost, accrue-fines and loan-notices in that order",
}


def add_parsers(sub: Any) -> None:
    for name, text in COMMANDS.items():
        parser = sub.add_parser(name, help=text)
        parser.add_argument("--now", help="ISO time to act as of (default: now; for testing)")


def parse_now(text: str | None) -> datetime:
    """``--now``: a date and time with a timezone; the current time when not given."""
    if not text:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise CliError(
            "--now needs a date and time with a timezone, e.g. 2026-01-31T12:00:00+00:00"
        )
    return moment


async def run_command(settings: NodeSettings, args: argparse.Namespace) -> int:
    from ..mail import session_info
    from ..services.fulfilment import fines, jobs, lost, notices

    now = parse_now(args.now)
    async with node_engine(settings, migrate=False) as engine:
        # Letters written here are e-mailed by the node's outbox delivery (mail on).
        sessions = make_sessionmaker(engine, info=session_info(smtp_host=settings.smtp_host))
        if args.command == "declare-lost":
            print(_lost(await lost.declare_overdue_lost(sessions, now=now)))
        elif args.command == "accrue-fines":
            print(_fines(await fines.accrue_fines(sessions, now=now)))
        elif args.command == "loan-notices":
            print(_notices(await notices.send_loan_notices(sessions, now=now)))
        else:
            report = await jobs.run_overdue_and_lost(sessions, now=now)
            print(f"{_lost(report.lost)}; {_fines(report.fines)}; {_notices(report.notices)}")
    return 0


def _lost(r: Any) -> str:
    return (
        f"declared {r.loans} loan(s) lost, charged {r.fees} fee(s), "
        f"cancelled {r.cancelled_requests} request(s)"
    )


def _fines(r: Any) -> str:
    return f"fines: {r.created} started, {r.updated} grown over {r.loans} overdue loan(s)"


def _notices(r: Any) -> str:
    return f"sent {r.courtesy_letters} courtesy and {r.overdue_letters} overdue notice(s)"
