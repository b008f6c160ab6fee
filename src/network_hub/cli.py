"""``network-hub``: serve, sync-index, check-network, keys. (The demo is ``network-demo``.)"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from network_common import heap
from network_common.cli_support import CliError, check_database_url, run
from network_common.keys import KeyRing

from .network_file import NetworkFileError, load_network
from .settings import HubSettings

PROG = "network-hub"


def _prepare(settings: HubSettings) -> None:
    """Said before anything starts: a bad network file, data directory or database URL."""
    load_network(settings.network_file)
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"{settings.data_dir}: cannot create the data directory ({exc})") from exc
    check_database_url(settings.resolved_database_url())


def _serve(settings: HubSettings) -> int:
    import uvicorn

    from network_common.observability import configure_logging

    from .app import create_app

    configure_logging()
    _prepare(settings)
    if settings.workers > 1:
        return _serve_workers(settings)
    app = create_app(settings)
    heap.settle()  # network_common/heap.py
    # Access lines come from the app once each answer is out (network_common.observability).
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False)
    return 0


def _serve_workers(settings: HubSettings) -> int:
    """``settings.workers`` uvicorn worker processes sharing one socket. What must happen
    once (signing key, migrations) happens here first; each worker then builds its own app
    from the same settings (``app.worker_app``), passed on as ``HUB_*`` variables."""
    import os

    import uvicorn

    from .runtime import SIGNING_KEY_FILE
    from .store.db import make_engine
    from .store.migrate import upgrade

    KeyRing(settings.data_dir / SIGNING_KEY_FILE)  # made once, not raced by the workers

    async def migrate() -> None:
        engine = make_engine(settings.resolved_database_url())
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(migrate())
    for name in ("data_dir", "network_file", "database_url", "host", "port"):
        value = getattr(settings, name)
        if value is not None:
            os.environ[f"HUB_{name.upper()}"] = str(value)
    uvicorn.run(
        "network_hub.app:worker_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=None,
        access_log=False,  # written by the app (network_common.observability)
    )
    return 0


async def _sync_index(settings: HubSettings) -> int:
    from .runtime import HubRuntime
    from .services.index_sync import sync_index
    from .store.migrate import upgrade

    _prepare(settings)
    runtime = HubRuntime.create(settings)
    try:
        await upgrade(runtime.engine)
        counts = await sync_index(runtime=runtime)
    finally:
        await runtime.close()
    for code, count in counts.items():
        print(f"{code}: {'did not answer' if count is None else f'{count} linked accounts'}")
    return 0 if all(c is not None for c in counts.values()) else 1


async def _prune_ledger(settings: HubSettings, days: int | None) -> int:
    """The privacy ledger's rows older than ``days`` (else HUB_LEDGER_RETENTION_DAYS) now,
    as the ``ledger-retention`` job does hourly (docs/PRIVACY_LEDGER.md)."""
    from network_common.db import make_engine, make_sessionmaker

    from .ledger.retention import prune
    from .store.migrate import upgrade

    days = settings.ledger_retention_days if days is None else days
    if days <= 0:
        raise CliError(
            "give --older-than-days N (or set HUB_LEDGER_RETENTION_DAYS): "
            "without it the ledger keeps its rows for ever"
        )
    if refusal := settings.retention_refusal(days):
        raise CliError(refusal)
    url = settings.resolved_database_url()
    check_database_url(url)
    engine = make_engine(url)
    try:
        await upgrade(engine)
        removed = await prune(
            make_sessionmaker(engine), older_than=datetime.now(UTC) - timedelta(days=days)
        )
    finally:
        await engine.dispose()
    print(f"{removed} privacy-ledger row(s) older than {days} day(s) removed")
    return 0


async def _check_network(settings: HubSettings) -> int:
    """Every member of the network file against its node (docs/ONBOARDING.md)."""
    from .members.registry import MemberRegistry
    from .members.service_tokens import ServiceTokens
    from .members.vetting import check_member
    from .runtime import SIGNING_KEY_FILE

    members = load_network(settings.network_file)
    ring = _keyring(settings, SIGNING_KEY_FILE)
    tokens = ServiceTokens(ring, issuer=settings.issuer)
    registry = MemberRegistry.create(members, settings=settings, tokens=tokens)
    try:
        checks = await asyncio.gather(
            *(
                check_member(c, hub_kid=ring.current.kid, hub_issuer=settings.issuer)
                for c in registry
            )
        )
    finally:
        await registry.aclose()
    for check in checks:
        if check.ok:
            print(f"{check.code}\tok\t{check.url}")
        elif check.mismatch is not None:
            print(f"{check.code}\tREFUSED\t{check.mismatch}")
        else:
            print(f"{check.code}\tUNREACHABLE\t{check.unreachable}")
    bad = [c for c in checks if not c.ok]
    print(
        f"{len(checks) - len(bad)} of {len(checks)} member(s) agree with {settings.network_file}",
        file=sys.stderr,
    )
    return 0 if not bad else 1


def _keyring(settings: HubSettings, name: str) -> KeyRing:
    if not settings.data_dir.is_dir():
        raise CliError(
            f"{settings.data_dir}: no such data directory (the hub makes it on its first start)"
        )
    return KeyRing(settings.data_dir / name)


def _keys(settings: HubSettings, args: argparse.Namespace) -> int:
    import json

    from .runtime import SERVICE_TOKEN_OVERLAP_SECONDS, SIGNING_KEY_FILE

    ring = _keyring(settings, SIGNING_KEY_FILE)
    if args.action == "rotate":
        overlap = args.overlap if args.overlap is not None else SERVICE_TOKEN_OVERLAP_SECONDS
        if overlap < SERVICE_TOKEN_OVERLAP_SECONDS - 60:
            raise CliError(f"--overlap {overlap} is shorter than a service token's life (300 s)")
        old = ring.current.kid
        new = ring.rotate(overlap_seconds=overlap)
        print(f"new hub signing key {new.kid}; {old} stays published for {overlap} s")
        print(
            "nodes that fetch NODE_HUB_JWKS_URL follow by themselves; give nodes with "
            "NODE_HUB_JWKS_FILE/_JSON the output of `network-hub keys jwks`",
            file=sys.stderr,
        )
    elif args.action == "jwks":
        print(json.dumps(ring.jwks(), indent=2))
    else:
        print("kid\tstate\tuntil")
        print(f"{ring.current.kid}\tcurrent\t-")
        now = datetime.now(UTC).timestamp()
        for r in ring.retired():
            until = datetime.fromtimestamp(r.until, UTC).strftime("%Y-%m-%d %H:%M:%SZ")
            print(f"{r.key.kid}\t{'retired' if r.until > now else 'expired'}\t{until}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__)
    parser.add_argument("--data-dir", type=Path, help="overrides HUB_DATA_DIR")
    parser.add_argument("--network-file", type=Path, help="overrides HUB_NETWORK_FILE")
    parser.add_argument("--database-url", help="overrides HUB_DATABASE_URL")
    parser.add_argument("--traceback", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the hub's HTTP API with uvicorn")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, help="overrides HUB_WORKERS (default 1)")
    sub.add_parser("sync-index", help="rebuild the linked-account index from every member")
    sub.add_parser(
        "check-network",
        help="check every member of the network file against its node (code, keys, URL)",
    )
    prune_ledger = sub.add_parser(
        "prune-ledger", help="remove the privacy ledger's rows older than the retention now"
    )
    prune_ledger.add_argument(
        "--older-than-days", type=int, help="overrides HUB_LEDGER_RETENTION_DAYS"
    )
    keys = sub.add_parser("keys", help="the hub's service-token signing keys")
    k = keys.add_subparsers(dest="action", required=True)
    k.add_parser("list", help="current and retired keys")
    k.add_parser("jwks", help="print the published key set (for nodes given NODE_HUB_JWKS_FILE)")
    rotate = k.add_parser("rotate", help="new key; the old one stays published for --overlap s")
    rotate.add_argument("--overlap", type=int, help="seconds (default 360)")
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    overrides: dict[str, object] = {}
    for name in ("data_dir", "network_file", "database_url", "host", "port", "workers"):
        value = getattr(args, name, None)
        if value:
            overrides[name] = value
    settings = HubSettings(**overrides)  # type: ignore[arg-type]
    if args.command == "serve":
        return _serve(settings)
    if args.command == "keys":
        return _keys(settings, args)
    if args.command == "prune-ledger":
        return asyncio.run(_prune_ledger(settings, args.older_than_days))
    if args.command == "check-network":
        return asyncio.run(_check_network(settings))
    return asyncio.run(_sync_index(settings))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))

    def command() -> int:
        try:
            return _dispatch(args)
        except NetworkFileError as exc:
            raise CliError(str(exc)) from exc

    return run(PROG, command, traceback=args.traceback)


if __name__ == "__main__":
    raise SystemExit(main())
