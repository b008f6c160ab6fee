"""Patrons CSV (``lfn-patrons 1``): upsert of this institution's own patrons by primary id.

Columns: ``primary_id`` (required), ``first_name``, ``last_name``, ``email``, ``user_group``,
``expiry_date``, ``address``, ``libraries`` (patron role scope: library codes separated by
``;``, empty: institution-wide), ``role_expiry_date`` (default: ``expiry_date``).

A new patron gets one patron role per listed library (or one institution-wide role). An
existing patron gets the values of the columns the file has (columns it lacks are left
alone), a role for each listed scope it lacks, and those roles' expiry. Staff users and
linked accounts (whose home is another member) are never changed by this import.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ...domain.vocabulary import UserKind
from ...store.models import Library, PatronRole, User
from .csv_rows import CsvRow, RowError, check_width, read_rows
from .problems import ImportRefused, ImportReport, Problem
from .upsert import insert_many, rows_by_key, update_many

KIND, VERSION = "patrons", 1
FIELDS = ("first_name", "last_name", "email", "user_group", "expiry_date", "address")
COLUMNS = frozenset({"primary_id", *FIELDS, "libraries", "role_expiry_date"})
REQUIRED = frozenset({"primary_id"})


@dataclass(frozen=True, slots=True)
class PatronRow:
    line: int
    primary_id: str
    values: dict[str, Any]  # only the FIELDS the file has
    libraries: tuple[str | None, ...]  # None: institution-wide
    role_expiry: date | None


def _parse(row: CsvRow, present: frozenset[str]) -> PatronRow:
    check_width(row, len(present))
    primary_id = row.text("primary_id", max_length=128, required=True)
    assert primary_id is not None
    if ":" in primary_id:
        raise RowError("primary_id must not contain ':' (kept for linked accounts)")
    values: dict[str, Any] = {}
    limits = {"first_name": 128, "last_name": 128, "email": 255, "user_group": 64}
    for name, limit in limits.items():
        if name in present:
            text = row.text(name, max_length=limit)
            values[name] = (
                text if text is not None or name not in ("first_name", "last_name") else ""
            )
    if "address" in present:
        values["address"] = row.text("address", max_length=2000)
    if "expiry_date" in present:
        values["expiry_date"] = row.day("expiry_date")
    libraries: tuple[str | None, ...] = (None,)
    if "libraries" in present:
        codes = [c.strip() for c in row.values.get("libraries", "").split(";") if c.strip()]
        libraries = tuple(codes) if codes else (None,)
    role_expiry = row.day("role_expiry_date") if "role_expiry_date" in present else None
    return PatronRow(
        line=row.line,
        primary_id=primary_id,
        values=values,
        libraries=libraries,
        role_expiry=role_expiry or values.get("expiry_date"),
    )


def parse(raw: bytes) -> tuple[list[PatronRow], list[Problem]]:
    rows: list[PatronRow] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    present, csv_rows = read_rows(
        raw, kind=KIND, version=VERSION, columns=COLUMNS, required=REQUIRED
    )
    for csv_row in csv_rows:
        try:
            parsed = _parse(csv_row, present)
        except RowError as exc:
            problems.append(Problem(f"line {csv_row.line}", str(exc)))
            continue
        if parsed.primary_id in seen:
            problems.append(
                Problem(
                    f"line {parsed.line}",
                    f"primary_id {parsed.primary_id} is also on line {seen[parsed.primary_id]}",
                )
            )
            continue
        seen[parsed.primary_id] = parsed.line
        rows.append(parsed)
    return rows, problems


async def import_patrons(
    session: AsyncSession, raw: bytes, *, skip_bad_rows: bool = False
) -> ImportReport:
    """Check the whole file, then upsert its patrons in the session's transaction."""
    rows, problems = parse(raw)
    libs = {r[0]: r[1] for r in await session.execute(select(Library.code, Library.id))}
    existing = {
        r.primary_id: r
        for r in await rows_by_key(
            session,
            select(
                User.id,
                User.primary_id,
                User.kind,
                User.source_institution_code,
                *(getattr(User, f) for f in FIELDS),
            ),
            User.primary_id,
            [r.primary_id for r in rows],
        )
    }
    good: list[PatronRow] = []
    for row in rows:
        where = f"line {row.line}"
        old = existing.get(row.primary_id)
        if old is not None and old.kind != UserKind.PATRON:
            problems.append(Problem(where, f"{row.primary_id} is a staff user, not a patron"))
        elif old is not None and old.source_institution_code is not None:
            problems.append(
                Problem(where, f"{row.primary_id} is a linked account of another member's patron")
            )
        elif unknown := [c for c in row.libraries if c is not None and c not in libs]:
            problems.append(Problem(where, f"unknown library {', '.join(unknown)}"))
        else:
            good.append(row)
    problems.sort(key=lambda p: int(p.where.split()[1]) if p.where.startswith("line") else 0)
    if problems and not skip_bad_rows:
        raise ImportRefused(problems)
    report = ImportReport(skipped=problems)

    old_ids = [existing[r.primary_id].id for r in good if r.primary_id in existing]
    roles = {
        (r.user_id, r.library_id): r
        for r in await rows_by_key(
            session,
            select(
                PatronRole.id, PatronRole.user_id, PatronRole.library_id, PatronRole.expiry_date
            ),
            PatronRole.user_id,
            old_ids,
        )
    }
    new = [r for r in good if r.primary_id not in existing]
    changes: list[dict[str, Any]] = []
    add_roles: list[tuple[str, int | None, date | None]] = []
    role_changes: list[dict[str, Any]] = []
    for row in good:
        old = existing.get(row.primary_id)
        if old is None:
            add_roles += [(row.primary_id, _lib(libs, c), row.role_expiry) for c in row.libraries]
            continue
        diff = {k: v for k, v in row.values.items() if getattr(old, k) != v}
        if diff:
            changes.append({"id": old.id, **diff})
        touched = bool(diff)
        # Roles: one per listed scope; an existing patron keeps the other roles it has.
        for code in row.libraries:
            role = roles.get((old.id, _lib(libs, code)))
            if role is None:
                add_roles.append((row.primary_id, _lib(libs, code), row.role_expiry))
                touched = True
            elif row.role_expiry is not None and role.expiry_date != row.role_expiry:
                role_changes.append({"id": role.id, "expiry_date": row.role_expiry})
                touched = True
        if touched:
            report.updated += 1
        else:
            report.unchanged += 1
    created = await insert_many(
        session,
        User,
        [
            {
                "primary_id": r.primary_id,
                "kind": UserKind.PATRON.value,
                "first_name": "",
                "last_name": "",
                **r.values,
            }
            for r in new
        ],
        returning=(User.id, User.primary_id),
    )
    ids = {pid: uid for uid, pid in created} | {pid: r.id for pid, r in existing.items()}
    report.created = len(new)
    await update_many(session, User, changes)
    await insert_many(
        session,
        PatronRole,
        [
            {"user_id": ids[pid], "library_id": lib, "expiry_date": exp}
            for pid, lib, exp in add_roles
        ],
    )
    await update_many(session, PatronRole, role_changes)
    return report


def _lib(libs: dict[str, int], code: str | None) -> int | None:
    return None if code is None else libs[code]
