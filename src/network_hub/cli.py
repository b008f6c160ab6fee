"""``network-hub``: serve, sync-index. (The demo network is ``network-demo``.)"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from pathlib import Path

from .network_file import NetworkFileError
from .settings import HubSettings


def _serve(settings: HubSettings) -> int:
    import uvicorn

    from network_common.observability import configure_logging

    from .app import create_app

    configure_logging()
    try:
        app = create_app(settings)
    except NetworkFileError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    # Everything built so far (schema, modules, settings) lives as long as the process: keep it
    # out of the collector's full passes, which otherwise show up in the hub's tail latency.
    gc.freeze()
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None)
    return 0


async def _sync_index(settings: HubSettings) -> int:
    from .runtime import HubRuntime
    from .services.index_sync import sync_index
    from .store.migrate import upgrade

    runtime = HubRuntime.create(settings)
    try:
        await upgrade(runtime.engine)
        counts = await sync_index(runtime=runtime)
    finally:
        await runtime.close()
    for code, count in counts.items():
        print(f"{code}: {'did not answer' if count is None else f'{count} linked accounts'}")
    return 0 if all(c is not None for c in counts.values()) else 1


def main(argv: list[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="network-hub", description=__doc__)
    parser.add_argument("--data-dir", type=Path, help="overrides HUB_DATA_DIR")
    parser.add_argument("--network-file", type=Path, help="overrides HUB_NETWORK_FILE")
    parser.add_argument("--database-url", help="overrides HUB_DATABASE_URL")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the hub's HTTP API with uvicorn")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    sub.add_parser("sync-index", help="rebuild the linked-account index from every member")
    args = parser.parse_args(args_list)

    overrides: dict[str, object] = {}
    for name in ("data_dir", "network_file", "database_url", "host", "port"):
        value = getattr(args, name, None)
        if value:
            overrides[name] = value
    settings = HubSettings(**overrides)  # type: ignore[arg-type]
    if args.command == "serve":
        return _serve(settings)
    try:
        return asyncio.run(_sync_index(settings))
    except NetworkFileError as exc:
        print(str(exc), file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
