"""Command-line plumbing shared by ``institution-node`` and ``network-hub``.

Every command answers one clear line on stderr and a non-zero exit for a problem the
operator can fix (missing or fresh data directory, missing file, bad URL, unreachable or
unmigrated database, bad settings), never a traceback. ``--traceback`` shows one anyway.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from pydantic import ValidationError
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from network_common.errors import DomainError
from network_common.migrate import alembic_config

#: Exit code for a problem with the command's input or the installation.
USAGE = 2


class CliError(Exception):
    """A problem the operator can fix; the message is the one line to show."""


def settings_problem(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "settings"
        parts.append(f"{where}: {error['msg']}")
    return "bad setting: " + "; ".join(parts)


def explain(exc: BaseException) -> str | None:
    """The one line for an exception the operator can act on (None: unexpected)."""
    if isinstance(exc, CliError):
        return str(exc)
    if isinstance(exc, DomainError):
        return exc.message
    if isinstance(exc, ValidationError):
        return settings_problem(exc)
    if isinstance(exc, ArgumentError | NoSuchModuleError):
        return f"bad database URL: {exc}"
    if isinstance(exc, DBAPIError):
        original = exc.orig if exc.orig is not None else exc
        return f"the database cannot be used: {str(original).splitlines()[0]}"
    if isinstance(exc, FileNotFoundError):
        return f"{exc.filename}: no such file or directory"
    if isinstance(exc, PermissionError):
        return f"{exc.filename}: permission denied"
    if isinstance(exc, IsADirectoryError):
        return f"{exc.filename}: is a directory"
    if isinstance(exc, ConnectionError | TimeoutError | OSError):
        return f"cannot reach the database or service: {exc}"
    if isinstance(exc, SQLAlchemyError):
        return f"database error: {str(exc).splitlines()[0]}"
    return None


def run(prog: str, command: Callable[[], int], *, traceback: bool = False) -> int:
    """Run ``command``; map known problems to one line on stderr and exit code 2."""
    try:
        return command()
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if traceback or os.environ.get("LFN_TRACEBACK"):
            raise
        line = explain(exc)
        if line is None:
            print(
                f"{prog}: unexpected error ({type(exc).__name__}: {exc}); "
                "run again with --traceback for details",
                file=sys.stderr,
            )
            return 1
        print(f"{prog}: {line}", file=sys.stderr)
        return USAGE


def check_database_url(url: str) -> None:
    """Refuse a URL that is not a SQLAlchemy async SQLite/PostgreSQL URL, in one line."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise CliError(f"bad database URL {url!r}: {exc}") from exc
    if parsed.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
        raise CliError(
            f"bad database URL {url!r}: use sqlite+aiosqlite:///PATH or "
            "postgresql+asyncpg://USER:PASSWORD@HOST:PORT/DB"
        )
    if parsed.drivername.startswith("sqlite") and parsed.database:
        parent = Path(parsed.database).parent
        if not parent.is_dir():
            raise CliError(f"{parent}: no such directory for the SQLite database")


async def require_migrated(engine: AsyncEngine, *, folder: Path, what: str) -> None:
    """Refuse to work on a database that is empty or behind the code's migrations."""
    head = ScriptDirectory.from_config(alembic_config(folder=folder)).get_current_head()

    def current(connection: Connection) -> str | None:
        # Reading the revision is not news ("Context impl ..." at INFO): keep stderr to one line.
        log = logging.getLogger("alembic.runtime.migration")
        was = log.disabled
        log.disabled = True
        try:
            return MigrationContext.configure(connection).get_current_revision()
        finally:
            log.disabled = was

    async with engine.connect() as connection:
        revision = await connection.run_sync(current)
    if revision is None:
        raise CliError(f"the {what} database is empty: run `{what} migrate` first")
    if revision != head:
        raise CliError(
            f"the {what} database is at revision {revision}, the code needs {head}: "
            f"run `{what} migrate`"
        )
