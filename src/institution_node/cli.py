"""``institution-node``: serve, migrate, load, import, users, keys, expire-holds and the loan
jobs (declare-lost, accrue-fines, loan-notices, overdue-and-lost)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from network_common import heap
from network_common.cli_support import CliError, run

from .commands import credentials, imports, loan_jobs
from .commands.common import database_url, node_engine
from .settings import NodeSettings

PROG = "institution-node"


def _read(path: Path) -> bytes:
    if not path.exists():
        raise CliError(f"{path}: no such file")
    if path.is_dir():
        raise CliError(f"{path}: is a directory, not a file")
    return path.read_bytes()


async def _load(settings: NodeSettings, path: Path) -> int:
    from network_common.db import make_sessionmaker

    from .loader.load import LoadError, load

    raw = _read(path)
    async with node_engine(settings, migrate=True) as engine, make_sessionmaker(engine)() as s:
        try:
            report = await load(s, raw)
        except LoadError as exc:
            print(f"{path}: nothing was loaded; {len(exc.problems)} problem(s):", file=sys.stderr)
            for problem in exc.problems:
                print(f"  {problem}", file=sys.stderr)
            return 2
    summary = ", ".join(f"{n} {what}" for what, n in report.counts.items())
    print(f"loaded {path}: {summary}")
    return 0


async def _migrate(settings: NodeSettings) -> int:
    async with node_engine(settings, migrate=True):
        pass
    print("database is at the latest schema")
    return 0


async def _expire_holds(settings: NodeSettings, now_text: str | None) -> int:
    from datetime import datetime

    from .services.requests.holdshelf_job import run as run_job

    now = None
    if now_text:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError:
            now = None
        if now is None or now.tzinfo is None:
            raise CliError(
                "--now needs a date and time with a timezone, e.g. 2026-01-31T12:00:00+00:00"
            )
    async with node_engine(settings, migrate=False):
        pass
    from .mail import session_info

    info = session_info(smtp_host=settings.smtp_host)
    report = await run_job(settings.resolved_database_url(), now=now, info=info)
    print(f"sent {report.reminders} reminder(s); expired {len(report.expired)} request(s)")
    return 0


def _serve(settings: NodeSettings) -> int:
    import uvicorn

    from network_common.observability import configure_logging

    from .app import create_app

    configure_logging()
    database_url(settings, create=True)
    settings.hub_jwks_document()  # a missing NODE_HUB_JWKS_FILE is said now, not per call
    asyncio.run(_migrate(settings))
    app = create_app(settings)
    heap.settle()  # network_common/heap.py
    # Access lines come from the app once each answer is out (network_common.observability).
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__)
    parser.add_argument("--data-dir", type=Path, help="overrides NODE_DATA_DIR")
    parser.add_argument("--database-url", help="overrides NODE_DATABASE_URL")
    parser.add_argument("--traceback", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the node's HTTP API with uvicorn")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    sub.add_parser("migrate", help="create the data directory and apply database migrations")
    load_cmd = sub.add_parser("load", help="validate and import a JSON load file")
    load_cmd.add_argument("file", type=Path)
    imports.add_parser(sub)
    credentials.add_parsers(sub)
    expire = sub.add_parser(
        "expire-holds", help="send hold-shelf reminders and expire overdue hold-shelf requests"
    )
    expire.add_argument("--now", help="ISO time to act as of (default: now; for testing)")
    loan_jobs.add_parsers(sub)
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    overrides: dict[str, object] = {}
    if args.data_dir:
        overrides["data_dir"] = args.data_dir
    if args.database_url:
        overrides["database_url"] = args.database_url
    if getattr(args, "host", None):
        overrides["host"] = args.host
    if getattr(args, "port", None):
        overrides["port"] = args.port
    settings = NodeSettings(**overrides)  # type: ignore[arg-type]
    command = args.command
    if command == "serve":
        return _serve(settings)
    if command == "migrate":
        return asyncio.run(_migrate(settings))
    if command == "expire-holds":
        return asyncio.run(_expire_holds(settings, args.now))
    if command in loan_jobs.COMMANDS:
        return asyncio.run(loan_jobs.run_command(settings, args))
    if command == "users":
        return asyncio.run(credentials.users_command(settings, args))
    if command == "import":
        return asyncio.run(imports.import_command(settings, args))
    if command == "keys":
        return asyncio.run(credentials.keys_command(settings, args))
    return asyncio.run(_load(settings, args.file))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run(PROG, lambda: _dispatch(args), traceback=args.traceback)


if __name__ == "__main__":
    raise SystemExit(main())
