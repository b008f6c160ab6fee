"""``institution-node import patrons|items|marc FILE``: real data in (docs/IMPORT.md)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from sqlalchemy import select

from network_common.cli_support import CliError
from network_common.db import make_sessionmaker

from ..loader.imports.items import import_items
from ..loader.imports.marc import IdField
from ..loader.imports.patrons import import_patrons
from ..loader.imports.problems import ImportRefused, ImportReport
from ..loader.imports.records import import_records
from ..settings import NodeSettings
from ..store.models import Institution
from .common import node_engine

#: At most this many problems are printed (the count is always given).
SHOWN = 200


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = sub.add_parser(
        "import", help="upsert patrons or items (CSV) or bibliographic records (MARC)"
    )
    imp.add_argument("kind", choices=("patrons", "items", "marc"))
    imp.add_argument("file", type=Path)
    imp.add_argument(
        "--skip-bad-rows",
        action="store_true",
        help="load the good rows and report the bad ones (default: load nothing if any is bad)",
    )
    imp.add_argument("--check", action="store_true", help="check and report; write nothing")
    imp.add_argument(
        "--id-field",
        default="001",
        help="marc: where the record id is, 001 or TAG$code such as 035$a (default 001)",
    )


def _print_problems(path: Path, error: ImportRefused, *, loaded: bool) -> None:
    head = "bad rows skipped" if loaded else "nothing was loaded"
    print(f"{path}: {head}; {len(error.problems)} problem(s):", file=sys.stderr)
    for problem in error.problems[:SHOWN]:
        print(f"  {problem}", file=sys.stderr)
    if len(error.problems) > SHOWN:
        print(f"  ... and {len(error.problems) - SHOWN} more", file=sys.stderr)


def check_file(path: Path) -> None:
    if not path.is_file():
        raise CliError(f"{path}: {'is a directory' if path.is_dir() else 'no such file'}")


async def import_command(settings: NodeSettings, args: argparse.Namespace) -> int:
    path: Path = args.file
    await asyncio.to_thread(check_file, path)
    id_field = None
    if args.kind == "marc":
        try:
            id_field = IdField.parse(args.id_field)
        except ValueError as exc:
            raise CliError(f"--id-field {exc}") from exc
    async with node_engine(settings, migrate=False) as engine, make_sessionmaker(engine)() as s:
        if await s.scalar(select(Institution.id)) is None:
            raise CliError("no institution is loaded yet: `institution-node load FILE` first")
        try:
            report: ImportReport
            if args.kind == "marc":
                assert id_field is not None
                stream = await asyncio.to_thread(path.open, "rb")
                with stream:
                    report = await import_records(
                        s, stream, id_field=id_field, skip_bad_rows=args.skip_bad_rows
                    )
            else:
                raw = await asyncio.to_thread(path.read_bytes)
                run = import_patrons if args.kind == "patrons" else import_items
                report = await run(s, raw, skip_bad_rows=args.skip_bad_rows)
        except ImportRefused as error:
            await s.rollback()
            _print_problems(path, error, loaded=False)
            return 2
        if args.check:
            await s.rollback()
        else:
            await s.commit()
    if report.skipped:
        _print_problems(path, ImportRefused(report.skipped), loaded=not args.check)
    what = {"patrons": "patrons", "items": "items", "marc": "records"}[args.kind]
    verb = "checked (nothing written)" if args.check else "imported"
    print(f"{verb} {path}: {report.summary(what)}")
    return 0
