"""``institution-node``: serve, migrate, load, expire-holds."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from institution_node.store.migrate import upgrade
from network_common.db import make_engine, make_sessionmaker

from .settings import NodeSettings


async def _load(settings: NodeSettings, path: Path, raw: bytes) -> int:
    from .loader.load import LoadError, load

    engine = make_engine(settings.resolved_database_url())
    try:
        await upgrade(engine)
        async with make_sessionmaker(engine)() as session:
            try:
                report = await load(session, raw)
            except LoadError as exc:
                print(
                    f"{path}: nothing was loaded; {len(exc.problems)} problem(s):", file=sys.stderr
                )
                for problem in exc.problems:
                    print(f"  {problem}", file=sys.stderr)
                return 2
    finally:
        await engine.dispose()
    summary = ", ".join(f"{n} {what}" for what, n in report.counts.items())
    print(f"loaded {path}: {summary}")
    return 0


async def _migrate(settings: NodeSettings) -> int:
    engine = make_engine(settings.resolved_database_url())
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    print("database is at the latest schema")
    return 0


async def _expire_holds(settings: NodeSettings, now_text: str | None) -> int:
    from datetime import datetime

    from .services.requests.holdshelf_job import run

    now = None
    if now_text:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError:
            now = None
        if now is None or now.tzinfo is None:
            print(
                "--now needs a date and time with a timezone, e.g. 2026-01-31T12:00:00+00:00",
                file=sys.stderr,
            )
            return 2
    report = await run(settings.resolved_database_url(), now=now)
    print(f"sent {report.reminders} reminder(s); expired {len(report.expired)} request(s)")
    return 0


def _serve(settings: NodeSettings) -> int:
    import uvicorn

    from network_common.observability import configure_logging

    from .app import create_app

    configure_logging()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(_migrate(settings))
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="institution-node", description=__doc__)
    parser.add_argument("--data-dir", type=Path, help="overrides NODE_DATA_DIR")
    parser.add_argument("--database-url", help="overrides NODE_DATABASE_URL")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the node's HTTP API with uvicorn")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    sub.add_parser("migrate", help="apply database migrations")
    load_cmd = sub.add_parser("load", help="validate and import a JSON load file")
    load_cmd.add_argument("file", type=Path)
    expire = sub.add_parser(
        "expire-holds", help="send hold-shelf reminders and expire overdue hold-shelf requests"
    )
    expire.add_argument("--now", help="ISO time to act as of (default: now; for testing)")
    args = parser.parse_args(argv)

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

    if args.command == "serve":
        return _serve(settings)
    if args.command == "migrate":
        return asyncio.run(_migrate(settings))
    if args.command == "expire-holds":
        return asyncio.run(_expire_holds(settings, args.now))
    if not args.file.exists():
        print(f"{args.file}: no such file", file=sys.stderr)
        return 2
    return asyncio.run(_load(settings, args.file, args.file.read_bytes()))


if __name__ == "__main__":
    raise SystemExit(main())
